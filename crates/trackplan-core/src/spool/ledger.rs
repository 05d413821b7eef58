//! Ack bookkeeping: which records are live, which segment holds each, and which segment files
//! can be deleted. Pure state, no I/O; the spool applies its decisions.

use std::collections::BTreeMap;
use std::ops::Range;

/// Bytes and live records of one segment file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentUsage {
    pub bytes: u64,
    pub live: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// Segment files by first sequence number.
    segments: BTreeMap<u64, SegmentUsage>,
    /// Live (appended, not yet acknowledged) records: sequence number -> segment.
    live: BTreeMap<u64, u64>,
    total_bytes: u64,
}

impl Ledger {
    /// Registers a segment file of `bytes` bytes.
    pub fn add_segment(&mut self, start: u64, bytes: u64) {
        self.segments.entry(start).or_default().bytes += bytes;
        self.total_bytes += bytes;
    }

    /// Counts `bytes` written to segment `start`.
    pub fn grow_segment(&mut self, start: u64, bytes: u64) {
        self.add_segment(start, bytes);
    }

    /// Records that segment `segment` holds live record `seq`. A repeated `seq` is ignored.
    pub fn insert(&mut self, seq: u64, segment: u64) {
        if self.live.contains_key(&seq) {
            return;
        }
        self.live.insert(seq, segment);
        self.segments.entry(segment).or_default().live += 1;
    }

    pub fn is_live(&self, seq: u64) -> bool {
        self.live.contains_key(&seq)
    }

    /// The live ones among `seqs`, sorted and without repeats: what an ack has to record.
    pub fn live_among(&self, seqs: impl IntoIterator<Item = u64>) -> Vec<u64> {
        let mut live: Vec<u64> = seqs.into_iter().filter(|&seq| self.is_live(seq)).collect();
        live.sort_unstable();
        live.dedup();
        live
    }

    /// Acknowledges every live record in `seqs`; returns how many were live.
    pub fn ack_range(&mut self, seqs: Range<u64>) -> usize {
        let acked: Vec<(u64, u64)> = self.live.range(seqs).map(|(&s, &seg)| (s, seg)).collect();
        for &(seq, segment) in &acked {
            self.live.remove(&seq);
            if let Some(usage) = self.segments.get_mut(&segment) {
                usage.live = usage.live.saturating_sub(1);
            }
        }
        acked.len()
    }

    /// Segments that can be deleted: the oldest ones, up to the first that still holds a live
    /// record, never the `active` one.
    ///
    /// Only the oldest go because a segment also holds the acks of records in older segments:
    /// deleting it while one of those survives would resurrect acknowledged records.
    pub fn reclaimable(&self, active: u64) -> Vec<u64> {
        self.segments
            .iter()
            .take_while(|&(&start, usage)| start != active && usage.live == 0)
            .map(|(&start, _)| start)
            .collect()
    }

    /// Forgets a deleted segment.
    pub fn remove_segment(&mut self, start: u64) {
        if let Some(usage) = self.segments.remove(&start) {
            self.total_bytes -= usage.bytes;
        }
    }

    /// Bytes of all segment files, acknowledged records included until their file is deleted.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    pub fn live_records(&self) -> usize {
        self.live.len()
    }

    #[cfg(test)]
    pub fn usage(&self, start: u64) -> Option<SegmentUsage> {
        self.segments.get(&start).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger_with(segments: &[(u64, &[u64])]) -> Ledger {
        let mut ledger = Ledger::default();
        for &(start, seqs) in segments {
            ledger.add_segment(start, 100);
            for &seq in seqs {
                ledger.insert(seq, start);
            }
        }
        ledger
    }

    #[test]
    fn acks_count_only_live_records_once() {
        let mut ledger = ledger_with(&[(0, &[0, 1, 2])]);
        assert_eq!(ledger.live_among([2, 2, 7, 0]), [0, 2]);
        assert_eq!(ledger.ack_range(0..1), 1);
        assert_eq!(ledger.ack_range(0..3), 2);
        assert_eq!(ledger.ack_range(0..3), 0);
        assert_eq!(ledger.live_records(), 0);
        assert_eq!(
            ledger.usage(0),
            Some(SegmentUsage {
                bytes: 100,
                live: 0
            })
        );
    }

    #[test]
    fn repeated_inserts_are_ignored() {
        let mut ledger = ledger_with(&[(0, &[0, 0])]);
        assert_eq!(ledger.usage(0).map(|u| u.live), Some(1));
        ledger.ack_range(0..1);
        assert_eq!(ledger.live_records(), 0);
    }

    #[test]
    fn only_the_oldest_fully_acked_segments_are_reclaimable() {
        let mut ledger = ledger_with(&[(0, &[0, 1]), (2, &[2]), (3, &[3]), (4, &[])]);
        assert!(ledger.reclaimable(4).is_empty());
        ledger.ack_range(2..4);
        assert!(
            ledger.reclaimable(4).is_empty(),
            "segment 0 still holds record 0 and 1"
        );
        ledger.ack_range(0..2);
        assert_eq!(ledger.reclaimable(4), [0, 2, 3]);
        assert_eq!(ledger.reclaimable(3), [0, 2], "the active segment stays");
    }

    #[test]
    fn removing_segments_releases_their_bytes() {
        let mut ledger = ledger_with(&[(0, &[]), (5, &[5])]);
        ledger.grow_segment(5, 20);
        assert_eq!(ledger.total_bytes(), 220);
        ledger.remove_segment(0);
        ledger.remove_segment(0);
        assert_eq!(ledger.total_bytes(), 120);
    }
}
