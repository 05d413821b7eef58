//! Ack bookkeeping: which records are live, where each one's frame is, which segment files can
//! be deleted and which one is worth compacting. Pure state, no I/O; the spool applies its
//! decisions.

use std::collections::BTreeMap;
use std::ops::Range;

/// Where a record's frame is: segment, byte offset and frame length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Location {
    pub segment: u64,
    pub offset: u64,
    pub len: u64,
}

/// Bytes of one segment file, and how many records (and bytes of them) are still live.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentUsage {
    pub bytes: u64,
    pub live: u64,
    pub live_bytes: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// Segment files by name (the sequence number at their creation).
    segments: BTreeMap<u64, SegmentUsage>,
    /// Live (appended, not yet acknowledged) records by sequence number.
    live: BTreeMap<u64, Location>,
    total_bytes: u64,
}

impl Ledger {
    /// Registers a segment file of `bytes` bytes, or counts `bytes` more written to it.
    pub fn grow_segment(&mut self, segment: u64, bytes: u64) {
        self.segments.entry(segment).or_default().bytes += bytes;
        self.total_bytes += bytes;
    }

    /// Records live record `seq` at `location`. A repeated `seq` keeps its first location.
    pub fn insert(&mut self, seq: u64, location: Location) {
        if self.live.contains_key(&seq) {
            return;
        }
        self.live.insert(seq, location);
        let usage = self.segments.entry(location.segment).or_default();
        usage.live += 1;
        usage.live_bytes += location.len;
    }

    /// Records that live record `seq` was copied to `location` (its old frame is now dead).
    pub fn relocate(&mut self, seq: u64, location: Location) {
        if self.forget(seq).is_some() {
            self.insert(seq, location);
        }
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

    /// The live records of `segment`, in sequence order.
    pub fn live_in(&self, segment: u64) -> Vec<(u64, Location)> {
        let records = self
            .live
            .iter()
            .filter(|(_, location)| location.segment == segment);
        records.map(|(&seq, &location)| (seq, location)).collect()
    }

    /// Acknowledges every live record in `seqs`; returns how many were live.
    pub fn ack_range(&mut self, seqs: Range<u64>) -> usize {
        let acked: Vec<u64> = self.live.range(seqs).map(|(&seq, _)| seq).collect();
        for &seq in &acked {
            self.forget(seq);
        }
        acked.len()
    }

    fn forget(&mut self, seq: u64) -> Option<Location> {
        let location = self.live.remove(&seq)?;
        if let Some(usage) = self.segments.get_mut(&location.segment) {
            usage.live = usage.live.saturating_sub(1);
            usage.live_bytes = usage.live_bytes.saturating_sub(location.len);
        }
        Some(location)
    }

    /// Segments that can be deleted: the oldest ones, up to the first that still holds a live
    /// record, never the `active` one.
    ///
    /// Only the oldest go because a segment also holds the acks of records in older segments:
    /// deleting it while one of those survives would resurrect acknowledged records.
    pub fn reclaimable(&self, active: u64) -> Vec<u64> {
        self.segments
            .iter()
            .take_while(|&(&segment, usage)| segment != active && usage.live == 0)
            .map(|(&segment, _)| segment)
            .collect()
    }

    /// The oldest segment, when copying its few live records forward is what frees space: the
    /// spool is over half of `max_bytes` and at most a quarter of that segment is still live.
    ///
    /// A record that stays unacknowledged (a batch in a long retry) would otherwise pin every
    /// newer segment, and the spool would fill up with acknowledged records.
    pub fn compaction_candidate(&self, active: u64, max_bytes: u64) -> Option<u64> {
        let (&oldest, usage) = self.segments.first_key_value()?;
        let under_pressure = self.total_bytes.saturating_mul(2) > max_bytes;
        let mostly_dead = usage.live > 0 && usage.live_bytes.saturating_mul(4) <= usage.bytes;
        (oldest != active && under_pressure && mostly_dead).then_some(oldest)
    }

    /// Forgets a deleted segment.
    pub fn remove_segment(&mut self, segment: u64) {
        if let Some(usage) = self.segments.remove(&segment) {
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
    pub fn usage(&self, segment: u64) -> Option<SegmentUsage> {
        self.segments.get(&segment).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Segments of 100 bytes, each record 10 bytes long.
    fn ledger_with(segments: &[(u64, &[u64])]) -> Ledger {
        let mut ledger = Ledger::default();
        for &(segment, seqs) in segments {
            ledger.grow_segment(segment, 100);
            for (i, &seq) in seqs.iter().enumerate() {
                ledger.insert(
                    seq,
                    Location {
                        segment,
                        offset: 10 * i as u64,
                        len: 10,
                    },
                );
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
                live: 0,
                live_bytes: 0
            })
        );
    }

    #[test]
    fn repeated_inserts_keep_the_first_location() {
        let mut ledger = ledger_with(&[(0, &[0, 0])]);
        assert_eq!(
            ledger.usage(0),
            Some(SegmentUsage {
                bytes: 100,
                live: 1,
                live_bytes: 10
            })
        );
        assert_eq!(
            ledger.live_in(0),
            [(
                0,
                Location {
                    segment: 0,
                    offset: 0,
                    len: 10
                }
            )]
        );
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
    fn relocated_records_move_their_bytes_and_free_the_old_segment() {
        let mut ledger = ledger_with(&[(0, &[0, 1]), (2, &[2])]);
        ledger.ack_range(1..2);
        let moved = Location {
            segment: 2,
            offset: 10,
            len: 10,
        };
        ledger.relocate(0, moved);
        ledger.relocate(1, moved); // acknowledged: not resurrected
        assert_eq!(
            ledger.usage(0),
            Some(SegmentUsage {
                bytes: 100,
                live: 0,
                live_bytes: 0
            })
        );
        assert_eq!(
            ledger.usage(2),
            Some(SegmentUsage {
                bytes: 100,
                live: 2,
                live_bytes: 20
            })
        );
        assert_eq!(ledger.live_in(2).len(), 2);
        assert_eq!(ledger.reclaimable(2), [0]);
    }

    #[test]
    fn compaction_needs_pressure_a_mostly_dead_oldest_segment_and_a_live_record() {
        // Three segments of 100 bytes; the oldest holds 10 live bytes.
        let mut ledger = ledger_with(&[(0, &[0, 1, 2]), (3, &[3]), (4, &[])]);
        ledger.ack_range(1..3);
        assert_eq!(
            ledger.compaction_candidate(4, 1000),
            None,
            "300 of 1000 bytes: no pressure"
        );
        assert_eq!(ledger.compaction_candidate(4, 500), Some(0));
        assert_eq!(
            ledger.compaction_candidate(0, 500),
            None,
            "never the active segment"
        );

        let mostly_live = ledger_with(&[(0, &[0, 1, 2]), (3, &[])]);
        assert_eq!(
            mostly_live.compaction_candidate(3, 300),
            None,
            "30% live is too much"
        );

        let mut all_dead = ledger_with(&[(0, &[0]), (1, &[])]);
        all_dead.ack_range(0..1);
        assert_eq!(
            all_dead.compaction_candidate(1, 100),
            None,
            "deleted, not compacted"
        );
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
