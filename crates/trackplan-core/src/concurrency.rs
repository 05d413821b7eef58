//! Adaptive request concurrency: how many batches the worker keeps in delivery at once.
//!
//! A pure state machine, fed by the worker with each attempt's outcome and round trip and with
//! the moments a ready batch waited for a slot, at an injected `Instant`; no I/O, no clock.
//!
//! The rule is Vector's adaptive request concurrency (a loss- and delay-based AIMD, the kind
//! Netflix's concurrency-limits recommends for clients) with a slow start in front that is sized
//! by the backlog:
//!
//! - Slow start: while no overload was seen, batches waiting for a slot raise the limit at once
//!   to carry them (the batches in delivery plus the full ones waiting), up to the cap. TCP's
//!   slow start doubles once per round trip because a sender cannot see the path; this sender
//!   knows its backlog exactly, and Segment's API says when it is overloaded, so a burst to a
//!   distant endpoint is in flight in its first round trip instead of its sixth. Slow start
//!   ends at the first decrease (TCP's ssthresh) or, as Linux's HyStart ends it, when the round
//!   trip rises sharply (within 2.5 smoothed standard deviations, as Vector's guard, and at
//!   least 10 %, counts as near).
//! - Then decisions are taken once per window of one round trip, so a single slow or refused
//!   request moves the limit at most once, and requests sent before a change do not count
//!   against the limit that followed it.
//! - Overload is explicit in Segment's API: a window with a 429, a retryable 5xx, a timeout or a
//!   connection error halves the limit (TCP's multiplicative decrease), floor 1.
//! - A window in which a ready batch waited for a slot (a backlog) and whose round trip stayed
//!   near the smoothed one grows the limit by one (additive increase). Without a backlog the
//!   limit holds, so a quiet service keeps one request at a time.
//! - A rising round trip only holds the limit; it never lowers it. Vector and Netflix's delay
//!   limits shrink on it too, but here the round trip grows with the body (a backlog turns
//!   250-message batches into 500,000-byte ones) and with the sender's own CPU (gzip), which
//!   more or fewer requests do not fix; the server says when it is overloaded.
//! - The limit starts at 1 and never exceeds the cap (`ClientBuilder::max_in_flight`).
//!
//! Round trips come from accepted requests only: refused requests often return fast and would
//! look like good latency. Delay gradients measured against a minimum round trip (Envoy,
//! Netflix's gradient limits) are not used: round trips here vary with the body size (up to
//! 500,000 bytes), so a minimum is a weak baseline.

use std::time::{Duration, Instant};

use crate::retry::{classify, Outcome, StatusClass};

/// Multiplier applied to the limit after a window with an explicit overload signal.
const OVERLOAD_DECREASE: f64 = 0.5;
/// How many smoothed standard deviations above the smoothed round trip count as a rise.
const RISE_DEVIATIONS: f64 = 2.5;
/// The smallest rise counted, as a share of the smoothed round trip: the first windows have
/// no deviation yet, and a few percent is noise.
const MIN_RISE_SHARE: f64 = 0.1;
/// Weight of the newest window in the smoothed round trip and its variance (Vector's).
const SMOOTHING: f64 = 0.4;

/// What an attempt tells the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Response {
    /// The server took the batch; its round trip is a sample.
    Accepted,
    /// 429, a retryable 5xx or 408, a timeout, a connection error: the server or the path is
    /// overloaded.
    Overloaded,
    /// A refusal about this batch alone (400, 413...): neither load nor latency.
    Refused,
}

impl Response {
    /// How an attempt's outcome counts, by the same status classes the retry rules use.
    pub(crate) fn of(outcome: &Outcome) -> Response {
        match outcome {
            Outcome::Status { status, .. } => match classify(*status) {
                StatusClass::Success => Response::Accepted,
                StatusClass::Retryable | StatusClass::RateLimited => Response::Overloaded,
                StatusClass::Fatal => Response::Refused,
            },
            Outcome::ConnectionError(_) | Outcome::TimedOut => Response::Overloaded,
        }
    }
}

/// Why the limit changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// Batches waited for a slot and the round trip held.
    Backlog,
    /// The server refused or failed requests, or did not answer.
    Overload,
}

impl Cause {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Cause::Backlog => "backlog",
            Cause::Overload => "overload",
        }
    }
}

/// A change of the limit, for the worker to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LimitChange {
    pub previous: usize,
    pub limit: usize,
    pub cause: Cause,
}

/// Exponentially weighted mean and variance of the windows' round trips, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Smoothed {
    mean: f64,
    variance: f64,
}

impl Smoothed {
    fn first(sample: f64) -> Smoothed {
        Smoothed {
            mean: sample,
            variance: 0.0,
        }
    }

    /// Finch's incremental update of an exponentially weighted mean and variance.
    fn update(&mut self, sample: f64) {
        let diff = sample - self.mean;
        let step = SMOOTHING * diff;
        self.mean += step;
        self.variance = (1.0 - SMOOTHING) * (self.variance + diff * step);
    }

    /// Whether `sample` is a sharp rise over the smoothed round trip.
    fn is_rise(&self, sample: f64) -> bool {
        let margin = (RISE_DEVIATIONS * self.variance.sqrt()).max(MIN_RISE_SHARE * self.mean);
        sample > self.mean + margin
    }
}

/// What happened during the current window.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    /// When it opened; `None` for the first, which the first response closes.
    started: Option<Instant>,
    round_trips: Duration,
    samples: u32,
    backlog: bool,
    overloaded: bool,
}

impl Window {
    fn mean_round_trip(&self) -> Option<f64> {
        (self.samples > 0).then(|| self.round_trips.as_secs_f64() / f64::from(self.samples))
    }
}

/// The in-flight limit and what it is decided from.
#[derive(Debug, Clone)]
pub(crate) struct ConcurrencyController {
    cap: usize,
    adaptive: bool,
    limit: usize,
    /// Following the backlog, until the first decrease or a sharp rise of the round trip.
    slow_start: bool,
    round_trip: Option<Smoothed>,
    window: Window,
}

impl ConcurrencyController {
    /// An adaptive limit starting at 1 and never above `cap` (at least 1).
    pub(crate) fn adaptive(cap: usize) -> ConcurrencyController {
        Self::new(cap, true)
    }

    /// A limit pinned at `cap`; round trips are still measured.
    pub(crate) fn fixed(cap: usize) -> ConcurrencyController {
        Self::new(cap, false)
    }

    fn new(cap: usize, adaptive: bool) -> ConcurrencyController {
        let cap = cap.max(1);
        ConcurrencyController {
            cap,
            adaptive,
            limit: if adaptive { 1 } else { cap },
            slow_start: true,
            round_trip: None,
            window: Window::default(),
        }
    }

    /// Batches allowed in delivery now.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// The smoothed round trip of accepted requests, once one was measured.
    pub(crate) fn round_trip(&self) -> Option<Duration> {
        self.round_trip
            .map(|s| Duration::from_secs_f64(s.mean.max(0.0)))
    }

    /// Batches were ready while every slot was taken: `waiting` of them, with `in_flight` in
    /// delivery. In slow start the limit rises at once to carry them all (up to the cap);
    /// returns that change. Afterwards the backlog only counts when the window closes.
    pub(crate) fn note_backlog(&mut self, in_flight: usize, waiting: usize) -> Option<LimitChange> {
        self.window.backlog = true;
        if !self.adaptive || !self.slow_start {
            return None;
        }
        let wanted = (in_flight + waiting).min(self.cap);
        (wanted > self.limit).then(|| {
            let previous = std::mem::replace(&mut self.limit, wanted);
            LimitChange {
                previous,
                limit: wanted,
                cause: Cause::Backlog,
            }
        })
    }

    /// An attempt that took `round_trip` came back at `now`. Returns the change of the limit,
    /// if this response closed a window that moved it.
    pub(crate) fn record(
        &mut self,
        response: Response,
        round_trip: Duration,
        now: Instant,
    ) -> Option<LimitChange> {
        match response {
            Response::Accepted => {
                self.window.round_trips += round_trip;
                self.window.samples += 1;
            }
            Response::Overloaded => self.window.overloaded = true,
            Response::Refused => {}
        }
        if self.window_open(now) {
            return None;
        }
        self.close_window(now)
    }

    /// Whether the window runs on at `now`. It lasts one round trip, long enough for the
    /// requests sent under the last decision to answer: the window's own if shorter than the
    /// smoothed one, so a slow request (a TLS handshake, a cold server) does not stretch the
    /// windows after it.
    fn window_open(&self, now: Instant) -> bool {
        let (Some(started), Some(smoothed)) = (self.window.started, self.round_trip) else {
            return false;
        };
        let length = self
            .window
            .mean_round_trip()
            .map_or(smoothed.mean, |own| own.min(smoothed.mean));
        now.saturating_duration_since(started).as_secs_f64() < length
    }

    fn close_window(&mut self, now: Instant) -> Option<LimitChange> {
        let window = std::mem::take(&mut self.window);
        let current = window.mean_round_trip();
        let previous = self.limit;
        let rose = current.is_some_and(|c| self.round_trip.is_some_and(|s| s.is_rise(c)));
        let decision = self.decide(&window, current.is_some(), rose);
        if let Some(sample) = current {
            match &mut self.round_trip {
                Some(smoothed) => smoothed.update(sample),
                None => self.round_trip = Some(Smoothed::first(sample)),
            }
        }
        self.window.started = Some(now);
        // Slow start ends at the first decrease (TCP's ssthresh; a signal at the floor of 1
        // takes nothing off and leaves it on) or at a sharp rise (HyStart).
        self.slow_start &= !rose && decision.is_none_or(|(limit, _)| limit >= previous);
        let (limit, cause) = decision?;
        self.limit = limit;
        (limit != previous).then_some(LimitChange {
            previous,
            limit,
            cause,
        })
    }

    /// The new limit for a closed window and why, or `None` to hold it. `sampled`: the window
    /// measured a round trip; `rose`: sharply above the smoothed one.
    fn decide(&self, window: &Window, sampled: bool, rose: bool) -> Option<(usize, Cause)> {
        if !self.adaptive {
            return None;
        }
        if window.overloaded {
            let halved = ((self.limit as f64 * OVERLOAD_DECREASE) as usize).max(1);
            return Some((halved, Cause::Overload));
        }
        // Slow start grows as batches wait (`note_backlog`); no sample (only refusals) says
        // nothing about latency.
        if self.slow_start || !sampled || rose || !window.backlog || self.limit >= self.cap {
            return None;
        }
        Some((self.limit + 1, Cause::Backlog))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTT: Duration = Duration::from_millis(20);

    /// Drives a controller through windows at a fixed clock.
    struct Run {
        controller: ConcurrencyController,
        now: Instant,
    }

    impl Run {
        fn adaptive(cap: usize) -> Run {
            Run {
                controller: ConcurrencyController::adaptive(cap),
                now: Instant::now(),
            }
        }

        /// Out of slow start at `limit`: a burst to twice that, one round trip, then an
        /// overloaded window.
        fn additive(cap: usize, limit: usize) -> Run {
            let mut run = Run::adaptive(cap);
            run.accepted(false);
            run.controller.note_backlog(1, 2 * limit - 1);
            assert_eq!(run.controller.limit(), 2 * limit);
            assert_eq!(run.window(false, &[(Response::Overloaded, RTT)]), limit);
            run
        }

        /// One window: a backlog of one batch or none, then `responses`, each `round_trip`
        /// long, the last one closing the window. Returns the limit after it.
        fn window(&mut self, backlog: bool, responses: &[(Response, Duration)]) -> usize {
            if backlog {
                let limit = self.controller.limit();
                self.controller.note_backlog(limit, 1);
            }
            // Step past the window's end, so the last response closes it.
            self.now += self.controller.round_trip().unwrap_or(RTT) * 2;
            for &(response, round_trip) in responses {
                self.controller.record(response, round_trip, self.now);
            }
            self.controller.limit()
        }

        fn accepted(&mut self, backlog: bool) -> usize {
            self.window(backlog, &[(Response::Accepted, RTT)])
        }
    }

    #[test]
    fn outcomes_count_by_the_retry_rules_status_classes() {
        let status = |status| Outcome::Status {
            status,
            retry_after: None,
        };
        assert_eq!(Response::of(&status(200)), Response::Accepted);
        for overload in [429, 500, 502, 503, 504, 408] {
            assert_eq!(Response::of(&status(overload)), Response::Overloaded);
        }
        assert_eq!(Response::of(&Outcome::TimedOut), Response::Overloaded);
        assert_eq!(
            Response::of(&Outcome::ConnectionError("refused".to_owned())),
            Response::Overloaded
        );
        for refused in [400, 401, 413, 501] {
            assert_eq!(Response::of(&status(refused)), Response::Refused);
        }
    }

    #[test]
    fn starts_at_one_and_a_quiet_sender_stays_there() {
        let mut run = Run::adaptive(16);
        assert_eq!(run.controller.limit(), 1);
        for _ in 0..50 {
            assert_eq!(run.accepted(false), 1);
        }
        assert_eq!(run.controller.round_trip(), Some(RTT));
    }

    #[test]
    fn slow_start_carries_the_backlog_at_once_up_to_the_cap() {
        let mut controller = ConcurrencyController::adaptive(12);
        // Before any answer: the batches waiting go out together.
        assert_eq!(
            controller.note_backlog(1, 5),
            Some(LimitChange {
                previous: 1,
                limit: 6,
                cause: Cause::Backlog
            })
        );
        assert_eq!(controller.note_backlog(6, 40).map(|c| c.limit), Some(12));
        // A smaller backlog never lowers it.
        assert_eq!(controller.note_backlog(2, 1), None);
        assert_eq!(controller.limit(), 12);
    }

    #[test]
    fn after_a_decrease_growth_is_additive_and_needs_the_round_trip_held() {
        let mut run = Run::additive(64, 8);
        // Out of slow start, a large backlog no longer raises the limit at once.
        assert_eq!(run.controller.note_backlog(8, 50), None);
        assert_eq!(run.accepted(true), 9);
        assert_eq!(run.accepted(true), 10);
        // Slower than the smoothed round trip, within the tolerance: still near it.
        let slower = RTT + RTT / 20;
        assert_eq!(run.window(true, &[(Response::Accepted, slower)]), 11);
        // A sharp rise: hold.
        assert_eq!(run.window(true, &[(Response::Accepted, RTT * 2)]), 11);
        // No backlog: hold.
        assert_eq!(run.accepted(false), 11);
    }

    #[test]
    fn overload_halves_the_limit_once_per_window_and_never_below_one() {
        let mut run = Run::adaptive(64);
        run.accepted(false);
        run.controller.note_backlog(1, 31);
        assert_eq!(run.controller.limit(), 32);
        let storm = [(Response::Overloaded, RTT); 10];
        assert_eq!(run.window(true, &storm), 16);
        assert_eq!(run.window(false, &[(Response::Overloaded, RTT)]), 8);
        for _ in 0..5 {
            run.window(false, &[(Response::Overloaded, RTT)]);
        }
        assert_eq!(run.controller.limit(), 1);
        // Slow start is over: the backlog grows the limit by one per window.
        assert_eq!(run.accepted(true), 2);
    }

    #[test]
    fn overload_at_the_floor_leaves_slow_start_on() {
        let mut run = Run::adaptive(64);
        assert_eq!(run.window(false, &[(Response::Overloaded, RTT)]), 1);
        assert_eq!(run.controller.note_backlog(1, 7).map(|c| c.limit), Some(8));
    }

    #[test]
    fn a_sharp_rise_ends_slow_start_and_never_lowers_the_limit() {
        let mut run = Run::adaptive(64);
        for _ in 0..3 {
            run.accepted(false);
        }
        run.controller.note_backlog(1, 3);
        assert_eq!(run.window(false, &[(Response::Accepted, RTT * 3)]), 4);
        // HyStart: from here a backlog no longer raises the limit at once...
        assert_eq!(run.controller.note_backlog(4, 20), None);
        // ...but by one per window near the smoothed round trip (now well above 20 ms).
        assert_eq!(run.window(false, &[(Response::Accepted, RTT * 4)]), 5);
        assert_eq!(run.window(true, &[(Response::Accepted, RTT * 3)]), 6);
    }

    #[test]
    fn responses_inside_a_window_do_not_decide() {
        let mut run = Run::adaptive(64);
        run.accepted(false);
        run.controller.note_backlog(1, 3);
        assert_eq!(run.controller.limit(), 4);
        let now = run.now + RTT / 2;
        for _ in 0..5 {
            assert_eq!(run.controller.record(Response::Overloaded, RTT, now), None);
        }
        assert_eq!(run.controller.limit(), 4);
        // The window's end decides once, for everything it saw.
        let change = run
            .controller
            .record(Response::Accepted, RTT, run.now + RTT);
        assert_eq!(
            change,
            Some(LimitChange {
                previous: 4,
                limit: 2,
                cause: Cause::Overload
            })
        );
    }

    #[test]
    fn noise_within_the_deviation_is_not_a_rise() {
        let mut run = Run::additive(64, 2);
        // Round trips alternating 15 and 25 ms build a deviation of about 5 ms.
        let noisy = |i: u32| {
            (
                Response::Accepted,
                Duration::from_millis(15 + 10 * (i % 2) as u64),
            )
        };
        for i in 0..40 {
            assert_eq!(run.window(false, &[noisy(i)]), 2);
        }
        // Within 2.5 deviations of the ~20 ms mean: near it, so the backlog grows the limit.
        let within = Duration::from_millis(28);
        assert_eq!(run.window(true, &[(Response::Accepted, within)]), 3);
        assert_eq!(
            run.window(true, &[(Response::Accepted, Duration::from_millis(60))]),
            3,
            "a rise holds"
        );
    }

    #[test]
    fn refusals_of_one_batch_carry_no_signal() {
        let mut run = Run::additive(64, 4);
        assert_eq!(run.window(true, &[(Response::Refused, RTT / 10)]), 4);
        assert_eq!(run.controller.round_trip(), Some(RTT));
        assert_eq!(run.accepted(true), 5);
    }

    #[test]
    fn refused_and_failed_requests_are_not_round_trip_samples() {
        let mut run = Run::adaptive(64);
        run.window(
            false,
            &[
                (Response::Overloaded, Duration::from_millis(1)),
                (Response::Refused, Duration::from_millis(1)),
            ],
        );
        assert_eq!(run.controller.round_trip(), None);
        run.accepted(false);
        assert_eq!(run.controller.round_trip(), Some(RTT));
    }

    #[test]
    fn windows_last_one_smoothed_round_trip() {
        let mut run = Run::additive(64, 2);
        let start = run.now;
        run.controller.note_backlog(2, 1);
        assert_eq!(
            run.controller.record(
                Response::Accepted,
                RTT,
                start + RTT - Duration::from_millis(1)
            ),
            None
        );
        assert_eq!(
            run.controller.record(Response::Accepted, RTT, start + RTT),
            Some(LimitChange {
                previous: 2,
                limit: 3,
                cause: Cause::Backlog
            })
        );
    }

    #[test]
    fn a_slow_first_request_does_not_stretch_the_windows_after_it() {
        let mut controller = ConcurrencyController::adaptive(64);
        let start = Instant::now();
        // The first response decides at once: no round trip was known.
        controller.record(Response::Accepted, Duration::from_secs(3), start);
        controller.note_backlog(1, 3);
        assert_eq!(controller.limit(), 4);
        // The smoothed round trip is 3 s, but this window's requests take 20 ms: it closes
        // after 20 ms (and its overload halves the limit then).
        assert_eq!(
            controller.record(Response::Overloaded, RTT, start + RTT / 2),
            None
        );
        let change = controller.record(Response::Accepted, RTT, start + RTT);
        assert_eq!(change.map(|c| c.limit), Some(2));
    }

    #[test]
    fn a_fixed_limit_never_moves_but_measures_round_trips() {
        let mut controller = ConcurrencyController::fixed(8);
        let mut now = Instant::now();
        for response in [Response::Overloaded, Response::Accepted, Response::Refused] {
            assert_eq!(controller.note_backlog(1, 20), None);
            now += RTT * 2;
            assert_eq!(controller.record(response, RTT, now), None);
            assert_eq!(controller.limit(), 8);
        }
        assert_eq!(controller.round_trip(), Some(RTT));
    }

    #[test]
    fn a_zero_cap_still_allows_one_request() {
        assert_eq!(ConcurrencyController::adaptive(0).limit(), 1);
        assert_eq!(ConcurrencyController::fixed(0).limit(), 1);
    }
}
