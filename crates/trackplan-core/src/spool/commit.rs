//! Group commit: many appenders waiting for durability share one fsync.
//!
//! Every frame written gets a ticket (1, 2, 3...). A caller that needs ticket `t` durable either
//! finds it already covered, waits for the fsync in progress, or runs the next fsync itself,
//! covering every ticket written so far, so concurrent appenders pay for one fsync between them.

use std::fs::File;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

#[derive(Debug, Default)]
struct CommitState {
    /// Every ticket up to this one is durable.
    durable: u64,
    /// An fsync is in progress; others wait for it rather than start their own.
    syncing: bool,
    /// fsyncs run so far.
    fsyncs: u64,
}

#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    state: Mutex<CommitState>,
    changed: Condvar,
}

impl GroupCommit {
    /// Returns once every ticket up to `ticket` is durable.
    ///
    /// `snapshot` returns the file being written and the last ticket written to it; frames of
    /// older files were synced when those files were rotated out. An fsync error goes to the
    /// caller that ran it; the others then run their own.
    pub fn wait_durable(
        &self,
        ticket: u64,
        snapshot: impl Fn() -> (Arc<File>, u64),
    ) -> io::Result<()> {
        let mut state = self.lock();
        loop {
            if state.durable >= ticket {
                return Ok(());
            }
            if state.syncing {
                state = self
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.syncing = true;
            drop(state);
            let (file, covered) = snapshot();
            let result = file.sync_data();
            state = self.lock();
            state.syncing = false;
            state.fsyncs += 1;
            if result.is_ok() {
                state.durable = state.durable.max(covered);
            }
            self.changed.notify_all();
            result?;
        }
    }

    /// How many fsyncs ran.
    pub fn fsyncs(&self) -> u64 {
        self.lock().fsyncs
    }

    fn lock(&self) -> MutexGuard<'_, CommitState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn covered_tickets_need_no_fsync() {
        let file = Arc::new(tempfile::tempfile().expect("temp file"));
        let commit = GroupCommit::default();
        let snapshots = AtomicU64::new(0);
        let snapshot = || {
            snapshots.fetch_add(1, Ordering::SeqCst);
            (file.clone(), 5)
        };
        commit.wait_durable(3, snapshot).expect("fsync");
        for ticket in 0..=5 {
            commit.wait_durable(ticket, snapshot).expect("fsync");
        }
        assert_eq!(snapshots.load(Ordering::SeqCst), 1);
        assert_eq!(commit.fsyncs(), 1);
        commit.wait_durable(6, || (file.clone(), 9)).expect("fsync");
        assert_eq!(commit.fsyncs(), 2);
    }

    #[test]
    fn concurrent_waiters_all_return_durable() {
        let file = Arc::new(tempfile::tempfile().expect("temp file"));
        let commit = GroupCommit::default();
        let written = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let ticket = written.fetch_add(1, Ordering::SeqCst) + 1;
                        commit
                            .wait_durable(ticket, || (file.clone(), written.load(Ordering::SeqCst)))
                            .expect("fsync");
                        assert!(commit.lock().durable >= ticket);
                    }
                });
            }
        });
    }
}
