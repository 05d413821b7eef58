//! The spool's behaviour: replay, acks, damage, locking, cap, threads. Unit tests, because
//! damaging segments on purpose takes the private framing (`frame`, `segment`).

use std::path::Path;
use std::time::Duration;

use super::{frame, segment, FsyncPolicy, RecordId, Recovered, Spool, SpoolError, SpoolOptions};

/// Records as appended or replayed: id and bytes, in order.
type Records = Vec<(RecordId, Vec<u8>)>;

fn always() -> SpoolOptions {
    SpoolOptions::default().fsync(FsyncPolicy::Always)
}

fn message(i: usize) -> Vec<u8> {
    format!(r#"{{"type":"track","event":"Order Completed","messageId":"m-{i}"}}"#).into_bytes()
}

fn open(dir: &Path, options: SpoolOptions) -> (Spool, Recovered) {
    Spool::open(dir, options).expect("open the spool")
}

fn replayed(recovered: &Recovered) -> Records {
    recovered
        .records
        .iter()
        .map(|record| (record.id, record.message.clone()))
        .collect()
}

fn append_all(spool: &Spool, range: std::ops::Range<usize>) -> Records {
    range
        .map(|i| (spool.append(&message(i)).expect("append"), message(i)))
        .collect()
}

/// Sizes of the segment files in `dir`, oldest first.
fn segment_sizes(dir: &Path) -> Vec<(u64, u64)> {
    let mut sizes: Vec<(u64, u64)> = std::fs::read_dir(dir)
        .expect("read the spool dir")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let start = segment::parse_file_name(entry.file_name().to_str()?)?;
            Some((start, entry.metadata().ok()?.len()))
        })
        .collect();
    sizes.sort_unstable();
    sizes
}

fn only_segment(dir: &Path) -> std::path::PathBuf {
    let sizes = segment_sizes(dir);
    assert_eq!(sizes.len(), 1, "expected one segment: {sizes:?}");
    dir.join(segment::file_name(sizes[0].0))
}

#[test]
fn appended_records_are_replayed_with_their_ids_and_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (spool, recovered) = open(dir.path(), always());
    assert_eq!(recovered, Recovered::default());
    let appended = append_all(&spool, 0..3);
    drop(spool);

    let (_spool, recovered) = open(dir.path(), always());
    assert_eq!(replayed(&recovered), appended);
    assert_eq!((recovered.corrupt_records, recovered.corrupt_bytes), (0, 0));
}

#[test]
fn reopen_replays_only_unacknowledged_records_in_append_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (spool, _) = open(dir.path(), always());
    let appended = append_all(&spool, 0..10);
    let evens: Vec<RecordId> = appended
        .iter()
        .step_by(2)
        .map(|(id, _)| *id)
        .rev()
        .collect();
    spool.ack(&evens[..3]).expect("ack");
    spool
        .ack(&evens[2..])
        .expect("ack overlapping a previous ack");
    drop(spool);

    let odds: Vec<_> = appended.iter().skip(1).step_by(2).cloned().collect();
    let (spool, recovered) = open(dir.path(), always());
    assert_eq!(replayed(&recovered), odds);
    let newer = spool.append(&message(10)).expect("append after reopen");
    assert!(
        appended.iter().all(|(id, _)| *id < newer),
        "ids keep increasing across opens"
    );
    drop(spool);

    let (spool, recovered) = open(dir.path(), always());
    let mut expected = odds.clone();
    expected.push((newer, message(10)));
    assert_eq!(
        replayed(&recovered),
        expected,
        "replay does not consume records"
    );
    let all: Vec<RecordId> = recovered.records.iter().map(|record| record.id).collect();
    spool.ack(&all).expect("ack the replayed records");
    assert_eq!(spool.stats().live_records, 0);
    drop(spool);

    let (_spool, recovered) = open(dir.path(), always());
    assert!(recovered.records.is_empty(), "{recovered:?}");
}

#[test]
fn unknown_and_repeated_acks_are_ignored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (spool, _) = open(dir.path(), always());
    let appended = append_all(&spool, 0..2);
    let first = appended[0].0;
    spool.ack(&[first, first]).expect("ack");
    let size = spool.stats().used_bytes;
    spool.ack(&[first]).expect("repeated ack");
    assert_eq!(
        spool.stats().used_bytes,
        size,
        "a repeated ack writes nothing"
    );
    drop(spool);

    let (spool, recovered) = open(dir.path(), always());
    assert_eq!(replayed(&recovered), appended[1..]);
    spool
        .ack(&[first])
        .expect("ack of a record acknowledged before the restart");
    assert_eq!(spool.stats().live_records, 1);
}

#[test]
fn periodic_fsync_keeps_everything_across_a_clean_close() {
    for interval in [
        Duration::from_millis(100),
        Duration::from_secs(3600),
        Duration::ZERO,
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = SpoolOptions::default().fsync(FsyncPolicy::Every(interval));
        let (spool, _) = open(dir.path(), options.clone());
        let appended = append_all(&spool, 0..50);
        spool.sync().expect("explicit sync");
        drop(spool);
        let (_spool, recovered) = open(dir.path(), options);
        assert_eq!(replayed(&recovered), appended, "interval {interval:?}");
    }
}

/// A spool directory holding messages 0, 1 and 2 in one segment; returns the segment's bytes.
fn three_record_segment() -> (tempfile::TempDir, Vec<u8>, Records) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (spool, _) = open(dir.path(), always());
    let appended = append_all(&spool, 0..3);
    drop(spool);
    let bytes = std::fs::read(only_segment(dir.path())).expect("read the segment");
    (dir, bytes, appended)
}

/// Opens a fresh spool directory whose only segment holds `bytes`.
fn open_with_segment(bytes: &[u8]) -> (tempfile::TempDir, Spool, Recovered) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(segment::file_name(0)), bytes).expect("write the segment");
    let (spool, recovered) = open(dir.path(), always());
    (dir, spool, recovered)
}

#[test]
fn a_torn_tail_at_every_offset_loses_only_the_torn_record() {
    let (_source, bytes, appended) = three_record_segment();
    let last_len = frame::message_frame_len(message(2).len());
    let last_start = bytes.len() - last_len;
    for cut in 0..last_len {
        let (dir, spool, recovered) = open_with_segment(&bytes[..last_start + cut]);
        assert_eq!(replayed(&recovered), appended[..2], "cut {cut}");
        let torn = u64::from(cut > 0);
        assert_eq!(recovered.corrupt_records, torn, "cut {cut}");
        assert_eq!(recovered.corrupt_bytes, cut as u64, "cut {cut}");

        // The torn bytes are cut off: appends continue cleanly and the damage is counted once.
        let id = spool.append(&message(3)).expect("append after a torn tail");
        drop(spool);
        let (_spool, recovered) = open(dir.path(), always());
        let mut expected = appended[..2].to_vec();
        expected.push((id, message(3)));
        assert_eq!(replayed(&recovered), expected, "cut {cut}");
        assert_eq!(recovered.corrupt_records, 0, "cut {cut}");
    }
}

#[test]
fn a_flipped_bit_costs_only_its_own_record() {
    let (_source, bytes, appended) = three_record_segment();
    let frame_len = frame::message_frame_len(message(0).len());
    assert_eq!(
        bytes.len(),
        3 * frame_len,
        "messages 0 to 2 have the same length"
    );
    for (victim, survivors) in [(1, [0, 2]), (2, [0, 1])] {
        for bit in victim * frame_len * 8..(victim + 1) * frame_len * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            let (_dir, _spool, recovered) = open_with_segment(&damaged);
            let expected: Vec<_> = survivors.iter().map(|&i| appended[i].clone()).collect();
            assert_eq!(replayed(&recovered), expected, "bit {bit}");
            assert_eq!(recovered.corrupt_records, 1, "bit {bit}");
            assert_eq!(recovered.corrupt_bytes, frame_len as u64, "bit {bit}");
        }
    }
}

#[test]
fn garbage_segments_and_stray_files_do_not_stop_the_spool() {
    let dir = tempfile::tempdir().expect("temp dir");
    let garbage: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.path().join(segment::file_name(0)), &garbage).expect("write");
    std::fs::write(dir.path().join("notes.txt"), b"not a segment").expect("write");
    let (spool, recovered) = open(dir.path(), always());
    assert!(recovered.records.is_empty());
    assert_eq!(
        (recovered.corrupt_records, recovered.corrupt_bytes),
        (1, garbage.len() as u64)
    );
    let id = spool.append(&message(0)).expect("append");
    drop(spool);
    let (_spool, recovered) = open(dir.path(), always());
    assert_eq!(replayed(&recovered), [(id, message(0))]);
}

#[test]
fn a_second_open_of_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (spool, _) = open(dir.path(), always());
    let err = Spool::open(dir.path(), always()).expect_err("the directory is locked");
    match &err {
        SpoolError::Locked {
            dir: locked,
            holder,
        } => {
            assert_eq!(locked, dir.path());
            assert_eq!(*holder, Some(std::process::id()));
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(
        text.contains(&format!("by process {}", std::process::id())),
        "{text}"
    );
    assert!(
        text.contains("give each process its own spool directory"),
        "{text}"
    );

    drop(spool);
    open(dir.path(), always());
}

#[test]
fn the_cap_refuses_appends_until_acks_free_space() {
    let dir = tempfile::tempdir().expect("temp dir");
    let frame_len = frame::message_frame_len(message(0).len()) as u64;
    let max = 16 * frame_len;
    let (spool, _) = open(dir.path(), always().max_bytes(max));
    let mut ids = Vec::new();
    let err = loop {
        match spool.append(&message(0)) {
            Ok(id) => ids.push(id),
            Err(err) => break err,
        }
        assert!(ids.len() <= 16, "the cap was not enforced");
    };
    assert_eq!(ids.len(), 16);
    match err {
        SpoolError::Full {
            used,
            max: reported,
            needed,
        } => {
            assert_eq!((used, reported, needed), (max, max, frame_len));
        }
        other => panic!("expected Full, got {other:?}"),
    }
    assert!(matches!(
        spool.append(&message(0)),
        Err(SpoolError::Full { .. })
    ));

    spool.ack(&ids).expect("acks are accepted at the cap");
    assert!(spool.stats().used_bytes < max / 2, "{:?}", spool.stats());
    spool
        .append(&message(1))
        .expect("room again after the acks");
}

#[test]
fn a_record_larger_than_the_cap_is_refused_as_too_large() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (spool, _) = open(dir.path(), always().max_bytes(100));
    match spool.append(&[b'x'; 100]) {
        Err(SpoolError::RecordTooLarge { len, max: 100 }) => {
            assert_eq!(len, frame::message_frame_len(100) as u64)
        }
        other => panic!("expected RecordTooLarge, got {other:?}"),
    }
}

#[test]
fn acknowledged_segments_are_deleted_oldest_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let frame_len = frame::message_frame_len(message(0).len()) as u64;
    let options = always().segment_bytes(4 * frame_len);
    let (spool, _) = open(dir.path(), options.clone());
    let appended = append_all(&spool, 0..40);
    let segments = segment_sizes(dir.path()).len();
    assert!(segments >= 10, "{segments} segments");
    let ids: Vec<RecordId> = appended.iter().map(|(id, _)| *id).collect();

    // Far below the cap, the oldest record pins every later segment: they carry acks for it.
    spool.ack(&ids[1..]).expect("ack all but the first");
    assert_eq!(segment_sizes(dir.path()).len(), segments);
    spool.ack(&ids[..1]).expect("ack the first");
    let left = segment_sizes(dir.path());
    assert_eq!(left.len(), 1, "only the active segment stays: {left:?}");
    let on_disk: u64 = left.iter().map(|(_, size)| size).sum();
    assert_eq!(spool.stats().used_bytes, on_disk);
    drop(spool);

    let (_spool, recovered) = open(dir.path(), options);
    assert!(recovered.records.is_empty(), "{recovered:?}");
}

#[test]
fn concurrent_appends_are_all_kept_in_per_thread_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = always().segment_bytes(8 << 10);
    let (spool, _) = open(dir.path(), options.clone());
    const THREADS: usize = 8;
    const PER_THREAD: usize = 100;
    let per_thread: Vec<Records> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let spool = &spool;
                scope.spawn(move || append_all(spool, t * 1000..t * 1000 + PER_THREAD))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("appender thread"))
            .collect()
    });
    let stats = spool.stats();
    assert_eq!(stats.live_records, THREADS * PER_THREAD);
    drop(spool);

    let (_spool, recovered) = open(dir.path(), options);
    let mut expected: Vec<_> = per_thread.iter().flatten().cloned().collect();
    expected.sort();
    assert_eq!(
        replayed(&recovered),
        expected,
        "every record once, in id order"
    );
    for records in &per_thread {
        assert!(
            records.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "ids follow call order"
        );
    }
}

#[test]
fn the_background_flusher_fsyncs_without_being_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = SpoolOptions::default().fsync(FsyncPolicy::Every(Duration::from_millis(10)));
    let (spool, _) = open(dir.path(), options);
    assert_eq!(spool.stats().fsyncs, 0, "nothing written, nothing to sync");
    spool.append(&message(0)).expect("append");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while spool.stats().fsyncs == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the flusher never ran"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A `tracing` writer that keeps everything logged.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything this test binary logs. The subscriber is the global default, not a scoped one:
/// tracing caches each callsite's interest process-wide, so a scoped subscriber can miss events
/// whose callsite another test thread registered first.
fn global_logs() -> &'static LogBuffer {
    static LOGS: std::sync::OnceLock<LogBuffer> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = LogBuffer::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        logs
    })
}

#[test]
fn skipped_damage_is_logged_with_its_segment_and_offset() {
    let (_source, mut bytes, _) = three_record_segment();
    let frame_len = frame::message_frame_len(message(0).len());
    bytes[frame_len + 20] ^= 0x01;
    let logs = global_logs();
    let (dir, _spool, recovered) = open_with_segment(&bytes);
    assert_eq!(recovered.corrupt_records, 1);

    let logs = String::from_utf8(logs.0.lock().expect("log buffer").clone()).expect("UTF-8");
    // Other tests log their own damage concurrently: this test's lines name its directory.
    let segment = dir.path().join(segment::file_name(0));
    let warning = logs
        .lines()
        .find(|line| line.contains("WARN") && line.contains(&segment.display().to_string()))
        .expect("a warning naming this test's segment");
    assert!(
        warning.contains("skipped a corrupt or torn record"),
        "{warning}"
    );
    assert!(
        warning.contains(&segment.display().to_string()),
        "{warning}"
    );
    assert!(
        warning.contains(&format!("offset={frame_len}")),
        "{warning}"
    );
    assert!(warning.contains(&format!("bytes={frame_len}")), "{warning}");
}

#[test]
fn a_record_left_unacknowledged_does_not_fill_the_spool() {
    let dir = tempfile::tempdir().expect("temp dir");
    let frame_len = frame::message_frame_len(message(0).len()) as u64;
    let options = always().max_bytes(40 * frame_len);
    let (spool, _) = open(dir.path(), options.clone());
    let stuck = spool.append(&message(0)).expect("append");
    // Twenty-five times the cap flows through while the first record stays unacknowledged.
    for i in 1..1000 {
        let id = spool
            .append(&message(i))
            .unwrap_or_else(|err| panic!("append {i}: {err}"));
        spool.ack(&[id]).expect("ack");
        assert!(
            spool.stats().used_bytes <= 40 * frame_len,
            "{:?}",
            spool.stats()
        );
    }
    assert!(
        segment_sizes(dir.path()).len() <= 5,
        "{:?}",
        segment_sizes(dir.path())
    );
    drop(spool);

    let (spool, recovered) = open(dir.path(), options);
    assert_eq!(replayed(&recovered), [(stuck, message(0))]);
    spool.ack(&[stuck]).expect("ack");
}

#[test]
fn a_record_copied_by_an_interrupted_compaction_is_replayed_once() {
    // A crash after compaction copied record 0 forward but before the old segment was deleted.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut oldest = Vec::new();
    frame::encode_message(0, &message(0), &mut oldest);
    frame::encode_message(1, &message(1), &mut oldest);
    frame::encode_ack(&[frame::SeqRange { start: 1, len: 1 }], &mut oldest);
    let mut newest = Vec::new();
    frame::encode_message(2, &message(2), &mut newest);
    frame::encode_message(0, &message(0), &mut newest);
    std::fs::write(dir.path().join(segment::file_name(0)), oldest).expect("write");
    std::fs::write(dir.path().join(segment::file_name(2)), newest).expect("write");

    let (spool, recovered) = open(dir.path(), always());
    let ids: Vec<u64> = recovered
        .records
        .iter()
        .map(|record| record.id.get())
        .collect();
    assert_eq!(ids, [0, 2]);
    assert_eq!(recovered.records[0].message, message(0));
    let next = spool.append(&message(3)).expect("append");
    assert_eq!(
        next.get(),
        3,
        "sequence numbers continue after the highest seen"
    );
    spool.ack(&[recovered.records[0].id]).expect("ack");
    drop(spool);

    let (_spool, recovered) = open(dir.path(), always());
    let ids: Vec<u64> = recovered
        .records
        .iter()
        .map(|record| record.id.get())
        .collect();
    assert_eq!(ids, [2, 3], "acknowledging the record covers both copies");
}
