//! Crash-safe spool: a write-ahead log of encoded messages that survives crashes and restarts.
//!
//! Every message is appended to a log file before the client's call returns; a batch is
//! acknowledged only after the server answered 2xx; at the next start everything not
//! acknowledged is replayed with its original bytes, hence its original `messageId`. Delivery is
//! at least once: a crash between the 2xx and the ack replays the batch, and Segment drops the
//! duplicates by `messageId`.
//!
//! ```
//! use trackplan_core::spool::{FsyncPolicy, Spool, SpoolOptions};
//!
//! let dir = tempfile::tempdir()?;
//! let options = SpoolOptions::default().fsync(FsyncPolicy::Always);
//! let (spool, recovered) = Spool::open(dir.path(), options.clone())?;
//! assert!(recovered.records.is_empty());
//! let first = spool.append(br#"{"messageId":"m1"}"#)?;
//! let _second = spool.append(br#"{"messageId":"m2"}"#)?;
//! spool.ack(&[first])?; // delivered: never replayed
//! drop(spool);
//!
//! let (_spool, recovered) = Spool::open(dir.path(), options)?;
//! assert_eq!(recovered.records.len(), 1);
//! assert_eq!(recovered.records[0].message, br#"{"messageId":"m2"}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Guarantees
//! - `append` returns after the frame is written to the file (it survives a crash of the
//!   process) and, with [`FsyncPolicy::Always`], after it is fsynced (it survives a power cut).
//!   With [`FsyncPolicy::Every`] a background thread fsyncs at that interval.
//! - Concurrent appenders share fsyncs (group commit).
//! - Acknowledged records are never replayed (unless the ack itself was lost to a power cut
//!   under [`FsyncPolicy::Every`]: then they are replayed, never lost).
//! - Damage (a torn tail after a crash, flipped bits) is detected by checksums, skipped, counted
//!   in [`Recovered`] and logged with `tracing`; the records around it are recovered.
//! - One spool per directory: [`Spool::open`] takes an exclusive lock ([`SpoolError::Locked`]).
//!
//! # On-disk format
//! The directory holds `LOCK` (the lock file, holding the owner's process id) and segment files
//! `seg-<N>.log`, where `N` is the next sequence number when the segment was started, as 20
//! decimal digits. A segment is a concatenation of frames,
//! all integers little-endian:
//!
//! ```text
//! offset  size  field
//! 0       4     magic F5 54 50 01 ("\xF5TP" + format version 1)
//! 4       4     body length n (u32)
//! 8       4     CRC-32 (IEEE) of bytes 4..12+n: the length field and the body
//! 12      n     body:
//!                 message: 01, sequence number (u64), the message bytes
//!                 ack:     02, then per acknowledged run: first sequence number (u64), count (u32)
//! ```
//!
//! A record's [`RecordId`] is its sequence number, increasing in append order across restarts;
//! replay is in sequence order, and when a sequence number occurs twice the first frame stands.
//! An ack frame always follows the messages it acknowledges, in the same or a newer segment.
//!
//! The spool appends to the newest segment and starts a new one past `segment_bytes`. A segment
//! file is deleted once it and every older segment hold no live record (deleting it earlier
//! would lose the acks it holds for older records). So that a record left unacknowledged for
//! long (a batch in a long retry) cannot pin every newer segment until the cap is reached, the
//! oldest segment is compacted when the spool is over half full and at most a quarter of that
//! segment is live: its live frames are copied unchanged to the newest segment, fsynced, and the
//! old file deleted.
//!
//! At open, a damaged tail is cut off; damage in the middle of a segment stays (and is counted
//! at every open) until the segment is deleted.

mod commit;
mod error;
mod frame;
mod ledger;
mod lock;
mod recover;
mod segment;

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

pub use error::SpoolError;

use commit::GroupCommit;
use ledger::{Ledger, Location};
use lock::DirLock;

/// When appended records are fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// `append` and `ack` return only after their frame is fsynced; concurrent callers share
    /// one fsync.
    Always,
    /// A background thread fsyncs at this interval (at least 1 ms). A process crash loses
    /// nothing (the data is in the OS); a power cut loses at most the last interval.
    Every(Duration),
}

impl Default for FsyncPolicy {
    /// Every 100 ms.
    fn default() -> Self {
        FsyncPolicy::Every(Duration::from_millis(100))
    }
}

/// How a [`Spool`] syncs, and how large it may grow.
///
/// ```
/// use std::time::Duration;
/// use trackplan_core::spool::{FsyncPolicy, SpoolOptions};
/// let options = SpoolOptions::default()
///     .fsync(FsyncPolicy::Every(Duration::from_millis(50)))
///     .max_bytes(16 << 20);
/// ```
#[derive(Debug, Clone)]
pub struct SpoolOptions {
    fsync: FsyncPolicy,
    max_bytes: u64,
    segment_bytes: u64,
}

impl Default for SpoolOptions {
    /// Fsync every 100 ms, at most 64 MiB, 4 MiB segments.
    fn default() -> Self {
        SpoolOptions {
            fsync: FsyncPolicy::default(),
            max_bytes: 64 << 20,
            segment_bytes: 4 << 20,
        }
    }
}

impl SpoolOptions {
    /// When appended records are fsynced (default: every 100 ms).
    pub fn fsync(mut self, policy: FsyncPolicy) -> Self {
        self.fsync = policy;
        self
    }

    /// The size cap of all segment files together (default 64 MiB). An append that would go
    /// over it fails with [`SpoolError::Full`]; acknowledgements are always accepted.
    pub fn max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The size past which a new segment file is started (default 4 MiB, at most a quarter of
    /// `max_bytes`, so that acknowledged space can be reclaimed before the cap is reached).
    pub fn segment_bytes(mut self, segment_bytes: u64) -> Self {
        self.segment_bytes = segment_bytes;
        self
    }

    fn effective_segment_bytes(&self) -> u64 {
        self.segment_bytes.min(self.max_bytes / 4).max(1)
    }
}

/// Names one appended record; pass it to [`Spool::ack`] once the record was delivered.
///
/// Ids increase in append order, also across restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(u64);

impl RecordId {
    /// The record's sequence number in the log.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A record appended but not acknowledged before the spool was last closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredRecord {
    /// Acknowledge the record with this id once it is delivered. It stays in the spool until
    /// then: do not append it again.
    pub id: RecordId,
    /// The original bytes given to [`Spool::append`].
    pub message: Vec<u8>,
}

/// What [`Spool::open`] found in the directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Every unacknowledged record, in append order.
    pub records: Vec<RecoveredRecord>,
    /// Damaged regions skipped (a torn tail after a crash, flipped bits); each counts as one
    /// record. Each is also logged with `tracing` at warn level.
    pub corrupt_records: u64,
    /// Bytes those regions took.
    pub corrupt_bytes: u64,
}

/// Counters of a running spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpoolStats {
    /// Records appended (or recovered) and not yet acknowledged.
    pub live_records: usize,
    /// Bytes all segment files take, counted against `max_bytes`.
    pub used_bytes: u64,
    /// Group-commit fsyncs run for appends, acks, `sync` and the background flusher (group
    /// commit makes this lower than the number of appends). Closing a segment at rotation or
    /// compaction also fsyncs it; those are not counted.
    pub fsyncs: u64,
}

/// A crash-safe, size-capped write-ahead log of messages in one directory.
///
/// Shareable between threads (`&self` methods). Dropping it fsyncs what is pending and releases
/// the directory lock.
#[derive(Debug)]
pub struct Spool {
    shared: Arc<Shared>,
    /// Wakes and stops the background flusher of [`FsyncPolicy::Every`].
    flusher: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    options: SpoolOptions,
    log: Mutex<Log>,
    commit: GroupCommit,
    _lock: DirLock,
}

/// The writing end, guarded by one mutex.
#[derive(Debug)]
struct Log {
    dir: PathBuf,
    segment_bytes: u64,
    max_bytes: u64,
    active: Arc<File>,
    active_start: u64,
    active_len: u64,
    next_seq: u64,
    /// Frames written so far: the group-commit ticket of the last one.
    written: u64,
    ledger: Ledger,
    /// Reused encoding buffer.
    frame: Vec<u8>,
}

impl Spool {
    /// Opens (creating it if needed) the spool in `dir`, takes its lock and recovers every
    /// unacknowledged record.
    ///
    /// Fails with [`SpoolError::Locked`] when another process or `Spool` holds `dir`.
    pub fn open(
        dir: impl AsRef<Path>,
        options: SpoolOptions,
    ) -> Result<(Spool, Recovered), SpoolError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(SpoolError::io("create", &dir))?;
        let lock = DirLock::acquire(&dir)?;
        let recover::LogState {
            mut ledger,
            records,
            next_seq,
            last_segment,
            corrupt_records,
            corrupt_bytes,
        } = recover::recover(&dir)?;

        // Appends continue in the newest segment: recovery cut any damaged tail off it.
        let (active_start, active_path) = match last_segment {
            Some(last) => last,
            None => (next_seq, create_segment(&dir, next_seq)?),
        };
        let active = OpenOptions::new()
            .append(true)
            .open(&active_path)
            .map_err(SpoolError::io("open", &active_path))?;
        let active_len = active
            .metadata()
            .map_err(SpoolError::io("stat", &active_path))?
            .len();
        ledger.grow_segment(active_start, 0); // registers a freshly created segment
        let mut log = Log {
            dir: dir.clone(),
            segment_bytes: options.effective_segment_bytes(),
            max_bytes: options.max_bytes,
            active: Arc::new(active),
            active_start,
            active_len,
            next_seq,
            written: 0,
            ledger,
            frame: Vec::new(),
        };
        log.reclaim();

        let shared = Arc::new(Shared {
            dir,
            options: options.clone(),
            log: Mutex::new(log),
            commit: GroupCommit::default(),
            _lock: lock,
        });
        let flusher = match options.fsync {
            FsyncPolicy::Always => None,
            FsyncPolicy::Every(interval) => Some(spawn_flusher(&shared, interval)?),
        };
        let records = records
            .into_iter()
            .map(|(seq, message)| RecoveredRecord {
                id: RecordId(seq),
                message,
            })
            .collect();
        let recovered = Recovered {
            records,
            corrupt_records,
            corrupt_bytes,
        };
        Ok((Spool { shared, flusher }, recovered))
    }

    /// Appends one message; the returned id acknowledges it later.
    ///
    /// Returns once the message is written (and fsynced under [`FsyncPolicy::Always`]). Fails
    /// with [`SpoolError::Full`] when the spool is at its cap. After an fsync error the record
    /// may still be replayed at the next open.
    pub fn append(&self, message: &[u8]) -> Result<RecordId, SpoolError> {
        let frame_len = frame::message_frame_len(message.len()) as u64;
        let max = self.shared.options.max_bytes;
        if message.len() > frame::MAX_PAYLOAD_LEN || frame_len > max {
            return Err(SpoolError::RecordTooLarge {
                len: frame_len,
                max,
            });
        }
        let (id, ticket) = {
            let mut log = self.shared.lock_log();
            let used = log.ledger.total_bytes();
            if used + frame_len > max {
                return Err(SpoolError::Full {
                    used,
                    max,
                    needed: frame_len,
                });
            }
            let seq = log.next_seq;
            let location = log.write_with(seq, |out| frame::encode_message(seq, message, out))?;
            let ticket = log.written;
            log.next_seq += 1;
            log.ledger.insert(seq, location);
            log.reclaim();
            (RecordId(seq), ticket)
        };
        self.shared.wait_if_always(ticket)?;
        Ok(id)
    }

    /// Marks records as delivered: they are never replayed, and segment files holding only
    /// acknowledged records are deleted. Unknown or already acknowledged ids are ignored.
    pub fn ack(&self, ids: &[RecordId]) -> Result<(), SpoolError> {
        let ticket = {
            let mut log = self.shared.lock_log();
            let live = log.ledger.live_among(ids.iter().map(|id| id.0));
            if live.is_empty() {
                return Ok(());
            }
            let ranges = frame::ranges_of_sorted(&live);
            let next_seq = log.next_seq;
            log.write_with(next_seq, |out| frame::encode_ack(&ranges, out))?;
            let ticket = log.written;
            for range in ranges {
                log.ledger.ack_range(range.seqs());
            }
            log.reclaim();
            ticket
        };
        self.shared.wait_if_always(ticket)
    }

    /// Fsyncs everything appended and acknowledged so far, whatever the policy.
    pub fn sync(&self) -> Result<(), SpoolError> {
        self.shared.sync()
    }

    /// Live records, bytes used and fsyncs run.
    pub fn stats(&self) -> SpoolStats {
        let (live_records, used_bytes) = {
            let log = self.shared.lock_log();
            (log.ledger.live_records(), log.ledger.total_bytes())
        };
        SpoolStats {
            live_records,
            used_bytes,
            fsyncs: self.shared.commit.fsyncs(),
        }
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if let Some((stop, flusher)) = self.flusher.take() {
            drop(stop);
            let _ = flusher.join();
        }
        if let Err(err) = self.shared.sync() {
            tracing::warn!(error = %err, "spool: final fsync failed");
        }
    }
}

impl Shared {
    fn lock_log(&self) -> MutexGuard<'_, Log> {
        // Nothing panics while holding the lock; recover the state if something ever did.
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait_if_always(&self, ticket: u64) -> Result<(), SpoolError> {
        match self.options.fsync {
            FsyncPolicy::Always => self.wait_durable(ticket),
            FsyncPolicy::Every(_) => Ok(()),
        }
    }

    fn sync(&self) -> Result<(), SpoolError> {
        let written = self.lock_log().written;
        self.wait_durable(written)
    }

    fn wait_durable(&self, ticket: u64) -> Result<(), SpoolError> {
        let snapshot = || {
            let log = self.lock_log();
            (log.active.clone(), log.written)
        };
        self.commit
            .wait_durable(ticket, snapshot)
            .map_err(|source| {
                let path = self.lock_log().active_path();
                SpoolError::Io {
                    action: "fsync",
                    path,
                    source,
                }
            })
    }
}

fn spawn_flusher(
    shared: &Arc<Shared>,
    interval: Duration,
) -> Result<(mpsc::Sender<()>, JoinHandle<()>), SpoolError> {
    let interval = interval.max(Duration::from_millis(1));
    let (stop, stopped) = mpsc::channel::<()>();
    let shared = Arc::clone(shared);
    let dir = shared.dir.clone();
    let handle = std::thread::Builder::new()
        .name("trackplan-spool-fsync".into())
        .spawn(move || {
            // Runs until the `Spool` drops the sender; its `Drop` does the final fsync.
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                if let Err(err) = shared.sync() {
                    tracing::warn!(error = %err, "spool: periodic fsync failed");
                }
            }
        })
        .map_err(SpoolError::io("start the fsync thread for", dir))?;
    Ok((stop, handle))
}

impl Log {
    fn active_path(&self) -> PathBuf {
        self.dir.join(segment::file_name(self.active_start))
    }

    /// Encodes a frame into the reused buffer and writes it (see `write_frame`).
    fn write_with(
        &mut self,
        next_seq: u64,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> Result<Location, SpoolError> {
        let mut frame = std::mem::take(&mut self.frame);
        frame.clear();
        encode(&mut frame);
        let written = self.write_frame(&frame, next_seq);
        self.frame = frame;
        written
    }

    /// Writes one frame at the end of the active segment, rotating first when it is full, and
    /// returns where it landed; its group-commit ticket is then `self.written`. `next_seq` names
    /// a new segment. A failed write is cut off again so no half frame is left behind.
    fn write_frame(&mut self, frame: &[u8], next_seq: u64) -> Result<Location, SpoolError> {
        let len = frame.len() as u64;
        // Segments are named after the next sequence number: rotate only once it moved on.
        if self.active_len > 0
            && self.active_len + len > self.segment_bytes
            && next_seq > self.active_start
        {
            self.rotate(next_seq)?;
        }
        if let Err(source) = (&*self.active).write_all(frame) {
            let path = self.active_path();
            if let Err(err) = self.active.set_len(self.active_len) {
                tracing::warn!(segment = %path.display(), error = %err, "spool: cannot cut off a failed write");
            }
            return Err(SpoolError::Io {
                action: "write",
                path,
                source,
            });
        }
        let location = Location {
            segment: self.active_start,
            offset: self.active_len,
            len,
        };
        self.active_len += len;
        self.ledger.grow_segment(self.active_start, len);
        self.written += 1;
        Ok(location)
    }

    /// Closes the active segment (fsynced, so its frames need no later group commit) and
    /// starts segment `start`.
    fn rotate(&mut self, start: u64) -> Result<(), SpoolError> {
        self.active
            .sync_data()
            .map_err(SpoolError::io("fsync", self.active_path()))?;
        let path = create_segment(&self.dir, start)?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(SpoolError::io("open", &path))?;
        self.active = Arc::new(file);
        self.active_start = start;
        self.active_len = 0;
        self.ledger.grow_segment(start, 0);
        Ok(())
    }

    /// Deletes the segment files the ledger no longer needs, compacting the oldest one first
    /// when a few live records keep it (and everything newer) alive under space pressure.
    fn reclaim(&mut self) {
        self.delete_reclaimable();
        if let Some(oldest) = self
            .ledger
            .compaction_candidate(self.active_start, self.max_bytes)
        {
            match self.compact(oldest) {
                Ok(()) => self.delete_reclaimable(),
                Err(err) => {
                    tracing::warn!(error = %err, "spool: cannot compact the oldest segment")
                }
            }
        }
    }

    fn delete_reclaimable(&mut self) {
        let mut removed = false;
        for start in self.ledger.reclaimable(self.active_start) {
            let path = self.dir.join(segment::file_name(start));
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => {
                    // Kept and counted; retried at the next reclaim.
                    tracing::warn!(segment = %path.display(), error = %err, "spool: cannot delete an acknowledged segment");
                    break;
                }
            }
            tracing::debug!(segment = %path.display(), "spool: deleted an acknowledged segment");
            self.ledger.remove_segment(start);
            removed = true;
        }
        if removed {
            // Best effort: a deletion lost to a power cut only leaves acknowledged records.
            let _ = sync_dir(&self.dir);
        }
    }

    /// Copies the live records of segment `oldest` to the active segment, frame for frame
    /// (same sequence numbers, so replay order and ids are unchanged), and fsyncs the copies
    /// so that the old segment can go. Until it is deleted, recovery keeps the first copy.
    fn compact(&mut self, oldest: u64) -> Result<(), SpoolError> {
        let path = self.dir.join(segment::file_name(oldest));
        let mut file = File::open(&path).map_err(SpoolError::io("open", &path))?;
        let mut frame = Vec::new();
        for (seq, location) in self.ledger.live_in(oldest) {
            frame.resize(location.len as usize, 0);
            file.seek(SeekFrom::Start(location.offset))
                .and_then(|_| file.read_exact(&mut frame))
                .map_err(SpoolError::io("read", &path))?;
            let intact = matches!(
                frame::decode(&frame),
                frame::Decoded::Frame { frame: frame::Frame::Message { seq: found, .. }, .. } if found == seq
            );
            if !intact {
                // Damaged since it was written: leave the segment alone rather than copy it.
                let source = std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "record {seq} at offset {} no longer checks out",
                        location.offset
                    ),
                );
                return Err(SpoolError::Io {
                    action: "compact",
                    path,
                    source,
                });
            }
            let next_seq = self.next_seq;
            let moved = self.write_frame(&frame, next_seq)?;
            self.ledger.relocate(seq, moved);
        }
        self.active
            .sync_data()
            .map_err(SpoolError::io("fsync", self.active_path()))?;
        tracing::debug!(segment = %path.display(), "spool: compacted the oldest segment");
        Ok(())
    }
}

/// Creates an empty segment file and makes its directory entry durable.
fn create_segment(dir: &Path, start: u64) -> Result<PathBuf, SpoolError> {
    let path = dir.join(segment::file_name(start));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(SpoolError::io("create", &path))?;
    sync_dir(dir).map_err(SpoolError::io("fsync", dir))?;
    Ok(path)
}

/// Makes file creations and deletions in `dir` durable. Only Unix can open a directory for
/// this; elsewhere the step is skipped.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    if cfg!(unix) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;
