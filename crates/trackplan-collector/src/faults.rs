//! Fault injection for ingestion requests, so clients can test their retry handling against
//! the real collector: fail every Nth request, delay every answer, or never answer.

use std::time::Duration;

/// Faults applied to ingestion requests (`/v1/...`); the API and the page are never affected.
///
/// Requests are numbered from 1 in arrival order. A failed or hung request stores nothing, as
/// a real server that failed would.
///
/// ```
/// use std::time::Duration;
/// use trackplan_collector::{Failure, Faults};
///
/// // Every third request gets a 429 asking the client to wait one second.
/// let faults = Faults {
///     fail: Some(Failure { every: 3, status: 429, retry_after: Some(Duration::from_secs(1)) }),
///     ..Faults::default()
/// };
/// assert!(faults.is_active());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Answer every Nth request with an error status.
    pub fail: Option<Failure>,
    /// Wait this long before answering each request.
    pub delay: Option<Duration>,
    /// Never answer every Nth request (until the client gives up or the collector stops).
    pub hang_every: Option<u64>,
}

/// An injected error answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// Fail requests number `every`, `2 * every`, ... (1 fails them all; 0 never fails).
    pub every: u64,
    /// The HTTP status to answer, such as 500, 503 or 429.
    pub status: u16,
    /// A `Retry-After` header to send, in whole seconds.
    pub retry_after: Option<Duration>,
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultAction {
    Proceed,
    Fail(Failure),
    Hang,
}

impl Faults {
    /// Whether any fault is configured.
    pub fn is_active(&self) -> bool {
        self.fail.is_some_and(|fail| fail.every > 0)
            || self.delay.is_some_and(|delay| !delay.is_zero())
            || self.hang_every.is_some_and(|every| every > 0)
    }

    /// The action for request number `request` (from 1); hanging wins over failing.
    pub(crate) fn action(&self, request: u64) -> FaultAction {
        let hits = |every: u64| every > 0 && request.is_multiple_of(every);
        if self.hang_every.is_some_and(hits) {
            return FaultAction::Hang;
        }
        match self.fail {
            Some(failure) if hits(failure.every) => FaultAction::Fail(failure),
            _ => FaultAction::Proceed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNAVAILABLE: Failure = Failure {
        every: 3,
        status: 503,
        retry_after: None,
    };

    #[test]
    fn no_faults_by_default() {
        let faults = Faults::default();
        assert!(!faults.is_active());
        assert!((1..100).all(|n| faults.action(n) == FaultAction::Proceed));
    }

    #[test]
    fn every_nth_request_fails() {
        let faults = Faults {
            fail: Some(UNAVAILABLE),
            ..Faults::default()
        };
        let failed: Vec<u64> = (1..=10)
            .filter(|&n| matches!(faults.action(n), FaultAction::Fail(_)))
            .collect();
        assert_eq!(failed, [3, 6, 9]);
    }

    #[test]
    fn hanging_wins_over_failing() {
        let faults = Faults {
            fail: Some(UNAVAILABLE),
            hang_every: Some(2),
            ..Faults::default()
        };
        assert_eq!(faults.action(6), FaultAction::Hang);
        assert_eq!(faults.action(3), FaultAction::Fail(UNAVAILABLE));
        assert_eq!(faults.action(1), FaultAction::Proceed);
    }

    #[test]
    fn zero_periods_never_fire() {
        let faults = Faults {
            fail: Some(Failure {
                every: 0,
                ..UNAVAILABLE
            }),
            hang_every: Some(0),
            delay: Some(Duration::ZERO),
        };
        assert!(!faults.is_active());
        assert_eq!(faults.action(1), FaultAction::Proceed);
    }
}
