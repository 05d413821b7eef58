//! Arbitrary sequences of append, ack and reopen against a model: no unacknowledged record is
//! ever lost, no acknowledged one is ever replayed, the cap holds and the size accounting
//! matches the disk. The cap is small, so compaction and `Full` happen often.

use std::path::Path;
use std::time::Duration;

use super::{frame, segment, FsyncPolicy, RecordId, Spool, SpoolError, SpoolOptions};
use proptest::prelude::*;
use proptest::sample::Index;

const MAX_BYTES: u64 = 1200;

#[derive(Debug, Clone)]
enum Op {
    Append(Vec<u8>),
    /// Acknowledges the picked live records, plus one already acknowledged record if any.
    Ack(Vec<Index>),
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => proptest::collection::vec(any::<u8>(), 0..120).prop_map(Op::Append),
        3 => proptest::collection::vec(any::<Index>(), 0..6).prop_map(Op::Ack),
        1 => Just(Op::Reopen),
    ]
}

fn options() -> SpoolOptions {
    // Small segments, so rotation and deletion happen often; the fsync interval is irrelevant
    // here (a clean close syncs), so keep it long.
    SpoolOptions::default()
        .fsync(FsyncPolicy::Every(Duration::from_secs(3600)))
        .segment_bytes(300)
        .max_bytes(MAX_BYTES)
}

fn bytes_on_disk(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("read the spool dir")
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .and_then(segment::parse_file_name)
                .is_some()
        })
        .map(|entry| entry.metadata().map(|meta| meta.len()).unwrap_or(0))
        .sum()
}

fn reopen(dir: &Path, model: &[(RecordId, Vec<u8>)]) -> Result<Spool, TestCaseError> {
    let (spool, recovered) = Spool::open(dir, options()).expect("open the spool");
    let replayed: Vec<(RecordId, Vec<u8>)> = recovered
        .records
        .into_iter()
        .map(|record| (record.id, record.message))
        .collect();
    prop_assert_eq!(&replayed, model);
    prop_assert_eq!(recovered.corrupt_records, 0);
    Ok(spool)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn spool_matches_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut spool = reopen(dir.path(), &[])?;
        // Live records in append order, and the ids acknowledged so far.
        let mut model: Vec<(RecordId, Vec<u8>)> = Vec::new();
        let mut acked: Vec<RecordId> = Vec::new();
        for op in ops {
            match op {
                Op::Append(message) => match spool.append(&message) {
                    Ok(id) => {
                        if let Some((last, _)) = model.last() {
                            prop_assert!(*last < id);
                        }
                        model.push((id, message));
                    }
                    Err(SpoolError::Full { used, max, needed }) => {
                        prop_assert_eq!(max, MAX_BYTES);
                        prop_assert_eq!(needed, frame::message_frame_len(message.len()) as u64);
                        prop_assert!(used + needed > max);
                        // Acknowledged records alone never fill the spool: their segments go.
                        let stats = spool.stats();
                        prop_assert!(!model.is_empty(), "refused, nothing live: {:?}", stats);
                    }
                    Err(err) => panic!("append: {err}"),
                },
                Op::Ack(picks) => {
                    let mut ids: Vec<RecordId> = Vec::new();
                    if !model.is_empty() {
                        ids.extend(picks.iter().map(|pick| model[pick.index(model.len())].0));
                    }
                    ids.extend(acked.last().copied());
                    spool.ack(&ids).expect("ack");
                    model.retain(|(id, _)| !ids.contains(id));
                    acked.extend(ids);
                }
                Op::Reopen => {
                    drop(spool);
                    spool = reopen(dir.path(), &model)?;
                }
            }
            let stats = spool.stats();
            prop_assert_eq!(stats.live_records, model.len());
            prop_assert_eq!(stats.used_bytes, bytes_on_disk(dir.path()));
            prop_assert!(stats.used_bytes <= MAX_BYTES + 300, "{:?}", stats);
        }
        drop(spool);
        drop(reopen(dir.path(), &model)?);
    }
}
