//! Segment's retry rules (segment-api.md §7, §8): the public [`RetryPolicy`], [`FailureReason`]
//! and [`parse_retry_after`]; inside the crate, a pure decision of what follows one attempt,
//! given the answer, the retries so far and the clock's time. No I/O and no sleeping here, so
//! every rule is unit-tested with plain `Instant`s and a fixed jitter.

use std::time::{Duration, Instant, SystemTime};

/// How a batch is retried. The defaults are Segment's aligned cross-SDK rules.
///
/// ```
/// use std::time::Duration;
/// use trackplan_core::RetryPolicy;
/// let cli = RetryPolicy { max_retries: 3, max_backoff: Duration::from_secs(5), ..RetryPolicy::default() };
/// assert_eq!(cli.base_backoff, Duration::from_millis(500));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Counted retries after the first attempt (default 10, so at most 11 attempts).
    pub max_retries: u32,
    /// Nominal delay before the first counted retry; doubled for each further one (default 0.5 s).
    pub base_backoff: Duration,
    /// Cap on one backoff delay, jitter included (default 60 s).
    pub max_backoff: Duration,
    /// Shortest wait on a 429 with `Retry-After` (default 1 s).
    pub min_retry_after: Duration,
    /// Cap on a `Retry-After` wait (default 300 s).
    pub max_retry_after: Duration,
    /// Give up this long after a batch's first failure, however few retries were counted
    /// (default 12 h).
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 10,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            min_retry_after: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(300),
            max_total: Duration::from_secs(12 * 60 * 60),
        }
    }
}

impl RetryPolicy {
    /// How long a 429 whose `Retry-After` asks for `requested` pauses sending: at least
    /// [`min_retry_after`](Self::min_retry_after), at most [`max_retry_after`](Self::max_retry_after).
    ///
    /// ```
    /// use std::time::Duration;
    /// use trackplan_core::RetryPolicy;
    /// let segment = RetryPolicy::default();
    /// assert_eq!(segment.retry_after_wait(Duration::ZERO), Duration::from_secs(1));
    /// assert_eq!(segment.retry_after_wait(Duration::from_secs(86_400)), Duration::from_secs(300));
    /// ```
    pub fn retry_after_wait(&self, requested: Duration) -> Duration {
        requested
            .max(self.min_retry_after)
            .min(self.max_retry_after)
    }
}

/// What one attempt to send a batch came back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The server answered. `retry_after` is the parsed `Retry-After` header, if any.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No answer: connection refused or reset, DNS or TLS failure.
    ConnectionError(String),
    /// No answer within the request timeout.
    TimedOut,
}

/// The next step for a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Delivered: the server accepted the batch.
    Done,
    /// Send it again after `after`. `counted` is false for a 429 with `Retry-After`, which does
    /// not use up a retry.
    Retry { after: Duration, counted: bool },
    /// Give up; the messages go to the failure callback with this reason.
    Fail(FailureReason),
}

/// Why a batch was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FailureReason {
    /// The server refused the batch with an answer that retrying cannot change (400, 401, 413...).
    #[error("the server refused the batch with HTTP {status}")]
    Rejected { status: u16 },
    /// Every allowed retry failed; `last` is the final attempt's outcome.
    #[error("gave up after {retries} retries; last attempt: {last}")]
    RetriesExhausted { retries: u32, last: String },
    /// Retrying went on longer than [`RetryPolicy::max_total`].
    #[error("gave up after retrying for {}s; last attempt: {last}", .elapsed.as_secs())]
    RetryTimeExhausted { elapsed: Duration, last: String },
    /// `shutdown(timeout)` or drop ran out of time before the batch was delivered.
    #[error("not delivered before the shutdown deadline")]
    ShutdownDeadline,
}

/// Where a batch stands in its retries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RetryState {
    /// Counted retries so far: the `n` of the next backoff and the next `X-Retry-Count` - 1.
    pub(crate) counted: u32,
    /// Attempts after the first, counted or not: the value of `X-Retry-Count` on the next attempt.
    pub(crate) attempts_after_first: u32,
    /// When the first failed attempt came back.
    pub(crate) first_failure: Option<Instant>,
}

impl RetryState {
    /// Record the step taken after an attempt that came back at `now`.
    pub(crate) fn advance(&mut self, step: &Step, now: Instant) {
        if let Step::Retry { counted, .. } = step {
            self.first_failure.get_or_insert(now);
            self.attempts_after_first += 1;
            if *counted {
                self.counted += 1;
            }
        }
    }
}

/// How a status code is handled (segment-api.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusClass {
    Success,
    /// Retry with backoff, counted.
    Retryable,
    /// 429: `Retry-After` path when the header is present, else a counted retry.
    RateLimited,
    /// Drop and report.
    Fatal,
}

/// Classify an HTTP status code.
pub(crate) fn classify(status: u16) -> StatusClass {
    match status {
        200..=299 => StatusClass::Success,
        429 => StatusClass::RateLimited,
        408 | 410 | 460 => StatusClass::Retryable,
        501 | 505 | 511 => StatusClass::Fatal,
        500..=599 => StatusClass::Retryable,
        _ => StatusClass::Fatal,
    }
}

/// Decide what follows an attempt that came back at `now` with `outcome`.
///
/// `jitter` is a draw from U\[1, 2): the caller supplies it so this stays deterministic.
pub(crate) fn decide(
    outcome: &Outcome,
    state: &RetryState,
    policy: &RetryPolicy,
    now: Instant,
    jitter: f64,
) -> Step {
    let (retry_after, class) = match outcome {
        Outcome::Status {
            status,
            retry_after,
        } => (*retry_after, classify(*status)),
        Outcome::ConnectionError(_) | Outcome::TimedOut => (None, StatusClass::Retryable),
    };
    match class {
        StatusClass::Success => return Step::Done,
        StatusClass::Fatal => {
            let status = match outcome {
                Outcome::Status { status, .. } => *status,
                _ => 0,
            };
            return Step::Fail(FailureReason::Rejected { status });
        }
        StatusClass::Retryable | StatusClass::RateLimited => {}
    }
    let elapsed = state
        .first_failure
        .map_or(Duration::ZERO, |first| now.saturating_duration_since(first));
    if elapsed >= policy.max_total {
        return Step::Fail(FailureReason::RetryTimeExhausted {
            elapsed,
            last: describe(outcome),
        });
    }
    if let (StatusClass::RateLimited, Some(wait)) = (class, retry_after) {
        return Step::Retry {
            after: policy.retry_after_wait(wait),
            counted: false,
        };
    }
    if state.counted >= policy.max_retries {
        return Step::Fail(FailureReason::RetriesExhausted {
            retries: state.counted,
            last: describe(outcome),
        });
    }
    Step::Retry {
        after: backoff(state.counted, policy, jitter),
        counted: true,
    }
}

/// The delay before counted retry `n` (0-based): `base x 2^n x jitter`, capped at `max_backoff`.
pub(crate) fn backoff(n: u32, policy: &RetryPolicy, jitter: f64) -> Duration {
    let jitter = if (1.0..2.0).contains(&jitter) {
        jitter
    } else {
        1.0
    };
    let nominal = policy.base_backoff.as_secs_f64() * 2f64.powi(n.min(62) as i32) * jitter;
    Duration::try_from_secs_f64(nominal).map_or(policy.max_backoff, |d| d.min(policy.max_backoff))
}

/// Parse a `Retry-After` value: delay seconds or an HTTP date (any of the three forms), relative
/// to `now`. A date in the past means zero; `None` when the value is neither. The wait a client
/// actually takes is [`RetryPolicy::retry_after_wait`] of this.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use trackplan_core::retry::parse_retry_after;
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), Some(Duration::from_secs(30)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A short description of an outcome, for failure reasons and logs.
pub(crate) fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Status { status, .. } => format!("HTTP {status}"),
        Outcome::ConnectionError(message) => format!("connection error: {message}"),
        Outcome::TimedOut => "request timed out".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Outcome {
        Outcome::Status {
            status: code,
            retry_after: None,
        }
    }

    fn after_retries(counted: u32) -> RetryState {
        RetryState {
            counted,
            attempts_after_first: counted,
            first_failure: None,
        }
    }

    #[test]
    fn retryable_and_fatal_statuses_follow_segment_rules() {
        for code in [408, 410, 429, 460, 500, 502, 503, 504, 599] {
            assert!(
                matches!(
                    classify(code),
                    StatusClass::Retryable | StatusClass::RateLimited
                ),
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 413, 422, 501, 505, 511, 300] {
            assert_eq!(classify(code), StatusClass::Fatal, "{code}");
        }
        assert_eq!(classify(200), StatusClass::Success);
        assert_eq!(classify(204), StatusClass::Success);
    }

    #[test]
    fn success_is_done_and_400_fails_at_once() {
        let now = Instant::now();
        let policy = RetryPolicy::default();
        assert_eq!(
            decide(&status(200), &RetryState::default(), &policy, now, 1.0),
            Step::Done
        );
        assert_eq!(
            decide(&status(400), &RetryState::default(), &policy, now, 1.0),
            Step::Fail(FailureReason::Rejected { status: 400 })
        );
        assert_eq!(
            decide(&status(511), &RetryState::default(), &policy, now, 1.0),
            Step::Fail(FailureReason::Rejected { status: 511 })
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let policy = RetryPolicy::default();
        let nominal: Vec<f64> = (0..10)
            .map(|n| backoff(n, &policy, 1.0).as_secs_f64())
            .collect();
        assert_eq!(
            nominal,
            [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
        );
        assert_eq!(backoff(2, &policy, 1.5), Duration::from_secs(3));
        assert_eq!(backoff(6, &policy, 1.99), Duration::from_secs(60));
        // Out-of-range jitter falls back to 1 instead of shortening or overflowing the delay.
        assert_eq!(backoff(0, &policy, 7.0), Duration::from_millis(500));
        assert_eq!(backoff(u32::MAX, &policy, 1.0), Duration::from_secs(60));
    }

    #[test]
    fn server_errors_timeouts_and_resets_are_counted_retries_up_to_the_limit() {
        let now = Instant::now();
        let policy = RetryPolicy::default();
        for outcome in [
            status(500),
            status(408),
            Outcome::TimedOut,
            Outcome::ConnectionError("reset".into()),
        ] {
            assert_eq!(
                decide(&outcome, &after_retries(3), &policy, now, 1.0),
                Step::Retry {
                    after: Duration::from_secs(4),
                    counted: true
                }
            );
            assert_eq!(
                decide(&outcome, &after_retries(10), &policy, now, 1.0),
                Step::Fail(FailureReason::RetriesExhausted {
                    retries: 10,
                    last: describe(&outcome)
                })
            );
        }
    }

    #[test]
    fn retry_after_on_429_is_honoured_capped_and_not_counted() {
        let now = Instant::now();
        let policy = RetryPolicy::default();
        let limited = |secs| Outcome::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            decide(&limited(7), &after_retries(10), &policy, now, 1.0),
            Step::Retry {
                after: Duration::from_secs(7),
                counted: false
            }
        );
        assert_eq!(
            decide(&limited(3600), &RetryState::default(), &policy, now, 1.0),
            Step::Retry {
                after: Duration::from_secs(300),
                counted: false
            }
        );
        assert_eq!(
            decide(&limited(0), &RetryState::default(), &policy, now, 1.0),
            Step::Retry {
                after: Duration::from_secs(1),
                counted: false
            }
        );
        // Without the header a 429 is an ordinary counted retry.
        assert_eq!(
            decide(&status(429), &RetryState::default(), &policy, now, 1.0),
            Step::Retry {
                after: Duration::from_millis(500),
                counted: true
            }
        );
    }

    #[test]
    fn retrying_stops_after_the_total_time_cap_even_when_rate_limited() {
        let start = Instant::now();
        let policy = RetryPolicy::default();
        let state = RetryState {
            counted: 0,
            attempts_after_first: 500,
            first_failure: Some(start),
        };
        let later = start + Duration::from_secs(12 * 3600);
        let limited = Outcome::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(60)),
        };
        assert!(matches!(
            decide(&limited, &state, &policy, later, 1.0),
            Step::Fail(FailureReason::RetryTimeExhausted { .. })
        ));
        assert!(matches!(
            decide(
                &limited,
                &state,
                &policy,
                later - Duration::from_secs(1),
                1.0
            ),
            Step::Retry { counted: false, .. }
        ));
    }

    #[test]
    fn state_counts_retries_and_remembers_the_first_failure() {
        let t0 = Instant::now();
        let mut state = RetryState::default();
        state.advance(
            &Step::Retry {
                after: Duration::ZERO,
                counted: false,
            },
            t0,
        );
        state.advance(
            &Step::Retry {
                after: Duration::ZERO,
                counted: true,
            },
            t0 + Duration::from_secs(5),
        );
        state.advance(&Step::Done, t0 + Duration::from_secs(9));
        assert_eq!(
            state,
            RetryState {
                counted: 1,
                attempts_after_first: 2,
                first_failure: Some(t0)
            }
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:28:10 2015", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
