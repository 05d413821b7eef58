//! The time the client reads and waits on: the system clock, or a test's [`ManualClock`].
//!
//! The flush interval, backoff, Retry-After pauses, timestamps and shutdown deadlines all go
//! through a [`Clock`], so tests drive them by advancing a manual clock instead of waiting
//! (posthog-rs's `Clock`/`ManualClock`). Two waits stay on real time because they bound real
//! work, not policy: the request timeout (I/O) and `FullPolicy::Block` (a caller's thread).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Notify;

use crate::json::{now_text, timestamp_text};

/// Where the client reads the time. A closed set: the real clock, or a manual one for tests.
#[derive(Clone, Debug, Default)]
pub(crate) enum Clock {
    #[default]
    System,
    Manual(ManualClock),
}

impl Clock {
    pub(crate) fn now(&self) -> Instant {
        match self {
            Clock::System => Instant::now(),
            Clock::Manual(clock) => clock.now(),
        }
    }

    /// The wall-clock time, for `sentAt`, message timestamps and HTTP-date `Retry-After` values.
    pub(crate) fn now_utc(&self) -> SystemTime {
        match self {
            Clock::System => SystemTime::now(),
            Clock::Manual(clock) => clock.now_utc(),
        }
    }

    /// The wall-clock time as a message `timestamp` (see [`format_timestamp`](crate::format_timestamp)).
    pub(crate) fn now_text(&self) -> [u8; 24] {
        match self {
            // Cached per second: this runs on every call.
            Clock::System => now_text(),
            Clock::Manual(clock) => timestamp_text(clock.now_utc().into()),
        }
    }

    /// Wait until the clock reads `deadline` or later.
    pub(crate) async fn sleep_until(&self, deadline: Instant) {
        match self {
            Clock::System => tokio::time::sleep_until(deadline.into()).await,
            Clock::Manual(clock) => clock.sleep_until(deadline).await,
        }
    }
}

/// A clock that moves only when a test advances it: flush intervals, backoff delays and
/// Retry-After pauses then take no real time, and a test can say exactly how much clock time
/// passed. Pass it to [`ClientBuilder::clock`](crate::ClientBuilder::clock).
///
/// It starts at the real time of its creation. The request timeout stays real (it bounds I/O),
/// so HTTP tests still talk to a real server.
///
/// ```
/// use std::time::Duration;
/// use trackplan_core::testing::ManualClock;
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(300));
/// assert_eq!(clock.now() - start, Duration::from_secs(300));
/// assert_eq!(clock.elapsed(), Duration::from_secs(300));
/// assert_eq!(clock.next_wake(), None, "nothing is waiting on it");
/// ```
#[derive(Clone)]
pub struct ManualClock {
    shared: Arc<ManualShared>,
}

struct ManualShared {
    start: Instant,
    start_utc: SystemTime,
    state: Mutex<ManualState>,
    /// Wakes every sleeper after an advance; each re-checks its own deadline.
    advanced: Notify,
}

#[derive(Default)]
struct ManualState {
    elapsed: Duration,
    /// Deadlines of the sleeps now waiting, by registration id.
    sleepers: BTreeMap<u64, Instant>,
    next_id: u64,
}

impl ManualClock {
    pub fn new() -> ManualClock {
        ManualClock {
            shared: Arc::new(ManualShared {
                start: Instant::now(),
                start_utc: SystemTime::now(),
                state: Mutex::new(ManualState::default()),
                advanced: Notify::new(),
            }),
        }
    }

    /// Move the clock forward by `by`, waking what waits until then.
    pub fn advance(&self, by: Duration) {
        self.state().elapsed += by;
        self.shared.advanced.notify_waiters();
    }

    /// The clock's reading.
    pub fn now(&self) -> Instant {
        self.shared.start + self.elapsed()
    }

    /// How far the clock was advanced since its creation.
    pub fn elapsed(&self) -> Duration {
        self.state().elapsed
    }

    /// The earliest time the client is waiting for (a flush interval, a backoff, a Retry-After
    /// pause, a shutdown deadline), if it waits on the clock at all.
    pub fn next_wake(&self) -> Option<Instant> {
        self.state().sleepers.values().min().copied()
    }

    /// Advance to [`next_wake`](Self::next_wake) when that is in the future: what a test calls
    /// to let the client's next timer fire. Returns how far the clock moved.
    pub fn advance_to_next_wake(&self) -> Duration {
        let step = self.next_wake().map_or(Duration::ZERO, |at| {
            at.saturating_duration_since(self.now())
        });
        if !step.is_zero() {
            self.advance(step);
        }
        step
    }

    fn now_utc(&self) -> SystemTime {
        self.shared.start_utc + self.elapsed()
    }

    async fn sleep_until(&self, deadline: Instant) {
        let _registered = Sleeper::register(self, deadline);
        loop {
            // Listen before reading the time, so an advance in between is not missed.
            let advanced = self.shared.advanced.notified();
            tokio::pin!(advanced);
            advanced.as_mut().enable();
            if self.now() >= deadline {
                return;
            }
            advanced.await;
        }
    }

    fn state(&self) -> MutexGuard<'_, ManualState> {
        // The state stays consistent even if a holder panicked: every update is one assignment.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("elapsed", &self.elapsed())
            .field("next_wake", &self.next_wake())
            .finish()
    }
}

/// A sleep's entry in [`ManualState::sleepers`], removed when the sleep ends or is dropped.
struct Sleeper<'a> {
    clock: &'a ManualClock,
    id: u64,
}

impl<'a> Sleeper<'a> {
    fn register(clock: &'a ManualClock, deadline: Instant) -> Sleeper<'a> {
        let mut state = clock.state();
        let id = state.next_id;
        state.next_id += 1;
        state.sleepers.insert(id, deadline);
        Sleeper { clock, id }
    }
}

impl Drop for Sleeper<'_> {
    fn drop(&mut self) {
        self.clock.state().sleepers.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_manual_sleep_ends_only_when_the_clock_reaches_its_deadline() {
        let clock = ManualClock::new();
        let deadline = clock.now() + Duration::from_secs(60);
        let sleeper = {
            let clock = clock.clone();
            std::thread::spawn(move || block_on(Clock::Manual(clock).sleep_until(deadline)))
        };
        while clock.next_wake().is_none() {
            std::thread::yield_now();
        }
        assert_eq!(clock.next_wake(), Some(deadline));
        clock.advance(Duration::from_secs(59));
        std::thread::sleep(Duration::from_millis(20));
        assert!(!sleeper.is_finished(), "59 of 60 s did not end the sleep");
        assert_eq!(clock.advance_to_next_wake(), Duration::from_secs(1));
        sleeper.join().unwrap();
        assert_eq!(clock.next_wake(), None, "a finished sleep is unregistered");
        assert_eq!(clock.advance_to_next_wake(), Duration::ZERO);
    }

    #[test]
    fn manual_wall_time_moves_with_the_clock() {
        let clock = ManualClock::new();
        let utc = Clock::Manual(clock.clone()).now_utc();
        clock.advance(Duration::from_millis(1500));
        assert_eq!(
            Clock::Manual(clock).now_utc().duration_since(utc).unwrap(),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn a_dropped_sleep_is_unregistered() {
        let clock = ManualClock::new();
        let manual = Clock::Manual(clock.clone());
        block_on(async {
            let sleep = manual.sleep_until(clock.now() + Duration::from_secs(1));
            tokio::pin!(sleep);
            assert!(futures_util::FutureExt::now_or_never(sleep.as_mut()).is_none());
            assert!(clock.next_wake().is_some());
        });
        assert_eq!(clock.next_wake(), None);
    }
}
