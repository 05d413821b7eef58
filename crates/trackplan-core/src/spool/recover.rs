//! Reading a spool directory back at open: live records, the ledger, damage counts.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use super::frame::{self, Frame};
use super::ledger::{Ledger, Location};
use super::{segment, SpoolError};

/// The state of a spool directory as found on disk.
#[derive(Debug, Default)]
pub(crate) struct LogState {
    pub ledger: Ledger,
    /// Live records by sequence number, i.e. in append order.
    pub records: BTreeMap<u64, Vec<u8>>,
    /// The next sequence number to hand out.
    pub next_seq: u64,
    /// The newest segment, which the spool keeps appending to.
    pub last_segment: Option<(u64, PathBuf)>,
    pub corrupt_records: u64,
    pub corrupt_bytes: u64,
}

/// Replays every segment of `dir`, oldest first, and cuts damaged tails off so that appends
/// continue after the last intact frame (and the damage is not counted again at the next open).
pub(crate) fn recover(dir: &Path) -> Result<LogState, SpoolError> {
    let mut state = LogState::default();
    for (start, path) in segment::list(dir).map_err(SpoolError::io("list", dir))? {
        let bytes = std::fs::read(&path).map_err(SpoolError::io("read", &path))?;
        let scan = frame::scan(&bytes);
        for region in &scan.corrupt {
            tracing::warn!(
                segment = %path.display(),
                offset = region.start,
                bytes = region.len(),
                "spool: skipped a corrupt or torn record"
            );
            state.corrupt_records += 1;
            state.corrupt_bytes += region.len() as u64;
        }
        for (offset, frame) in scan.frames {
            apply(&mut state, start, offset as u64, frame);
        }
        if scan.valid_end < bytes.len() {
            truncate(&path, scan.valid_end as u64)?;
        }
        state.ledger.grow_segment(start, scan.valid_end as u64);
        state.next_seq = state.next_seq.max(start);
        state.last_segment = Some((start, path));
    }
    if state.corrupt_records > 0 || !state.records.is_empty() {
        tracing::info!(
            dir = %dir.display(),
            records = state.records.len(),
            corrupt_records = state.corrupt_records,
            corrupt_bytes = state.corrupt_bytes,
            "spool: recovered unacknowledged records"
        );
    }
    Ok(state)
}

fn apply(state: &mut LogState, segment: u64, offset: u64, frame: Frame<'_>) {
    match frame {
        Frame::Message { seq, payload } => {
            state.next_seq = state.next_seq.max(seq.saturating_add(1));
            // A record copied forward by compaction appears twice until the old segment is
            // deleted; the first copy stands.
            if !state.ledger.is_live(seq) {
                let len = frame::message_frame_len(payload.len()) as u64;
                state.ledger.insert(
                    seq,
                    Location {
                        segment,
                        offset,
                        len,
                    },
                );
                state.records.insert(seq, payload.to_vec());
            }
        }
        Frame::Ack { ranges } => {
            for range in ranges {
                state.ledger.ack_range(range.seqs());
                let acked: Vec<u64> = state.records.range(range.seqs()).map(|(&s, _)| s).collect();
                for seq in acked {
                    state.records.remove(&seq);
                }
            }
        }
    }
}

fn truncate(path: &Path, len: u64) -> Result<(), SpoolError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(SpoolError::io("open", path))?;
    file.set_len(len)
        .map_err(SpoolError::io("truncate", path))?;
    file.sync_all().map_err(SpoolError::io("fsync", path))
}
