//! Transport peer comparison, in one run: the same realistic "Order Completed" events through
//! trackplan (typed with `#[derive(Event)]` at its defaults, with fixed in-flight limits instead
//! of the adaptive one, with gzip off, and untyped `RawEvent`), the `segment` crate 0.2.6
//! (`AutoBatcher`) and `rudderanalytics` 2.0.1, each at its default settings, to the same loopback
//! server.
//!
//! For each library: events/s end to end (first call until everything is delivered), the time
//! spent inside its per-event calls, the time spent building each event as that library takes
//! it (the derived struct; a `json!` value for the others), and the final flush/shutdown wait, with ratios against
//! trackplan (derive). Scenarios: plain loopback, and loopback with 20 ms and with 100 ms added
//! to every answer (network round trips to a Segment region), where trackplan's adaptive limit
//! is also compared with each fixed limit. Then a fault run (1 request in 5 answered 500, 1 in
//! 7 answered 429 with `Retry-After: 1`) with the share each library delivered; a 429 storm
//! (every second request 429 without `Retry-After`, 20 ms answers) with the requests each
//! delivered batch took, adaptive against the fixed 2 in flight trackplan had before; and a
//! quiet sender (1 event a second) with the most requests in flight and each batch's wait.
//!
//! `cargo bench -p trackplan-bench --bench transport`
//! Environment: `BENCH_EVENTS` (default 100000), `BENCH_FAULT_EVENTS` (default 10000, also the
//! storm's), `BENCH_QUIET_SECS` (default 12), `BENCH_SCENARIOS` (comma-separated subset of
//! `loopback,latency,far,faults,storm,quiet`; default all), `BENCH_RUNS` (comma-separated
//! subset of `derive,fixed,capped,no_gzip,raw,segment,rudder`; default all; the first one
//! selected is the base of the ratios), `BENCH_FIXED` (the fixed limits compared, default
//! `1,2,4,8,16,32,64`), `BENCH_CAPS` (caps of further adaptive runs, default `64`). Each adaptive
//! run is held against the best fixed limit up to its cap.

use std::time::{Duration, Instant};

use trackplan::{Client, FullPolicy, RawEvent, User, ValidationPolicy};
use trackplan_bench::{order, Faults, LoopbackServer, OrderCompleted, OrderData};

const WRITE_KEY: &str = "bench-write-key";

/// Distinct orders cycled through, generated before timing starts (so the figures measure the
/// libraries, not the test-data generator).
const POOL: usize = 1_000;

/// How trackplan is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// `#[derive(Event)]`, default settings.
    Derive,
    /// `#[derive(Event)]` with this many requests always allowed in flight
    /// (`max_in_flight(n).adaptive_concurrency(false)`; 2 was the default before the adaptive
    /// limit).
    Fixed(usize),
    /// `#[derive(Event)]`, adaptive with this cap (`max_in_flight(n)`): what a user with a
    /// distant endpoint gets by raising the cap.
    Capped(usize),
    /// `#[derive(Event)]` with gzip off (a loopback or LAN collector: no bandwidth to save).
    DeriveNoGzip,
    /// `RawEvent` with a `serde_json::Value`, default settings.
    Raw,
}

impl Variant {
    /// The variant's name in `BENCH_RUNS`.
    fn key(self) -> &'static str {
        match self {
            Variant::Derive => "derive",
            Variant::Fixed(_) => "fixed",
            Variant::Capped(_) => "capped",
            Variant::DeriveNoGzip => "no_gzip",
            Variant::Raw => "raw",
        }
    }
}

/// Whether `BENCH_RUNS` (comma-separated; unset means all) selects the run named `key`, so a
/// profiler can watch one library alone.
fn selected(key: &str) -> bool {
    std::env::var("BENCH_RUNS").map_or(true, |runs| runs.split(',').any(|r| r.trim() == key))
}

/// One library's run.
struct Run {
    library: String,
    /// How trackplan was used; `None` for the other libraries.
    variant: Option<Variant>,
    events: usize,
    elapsed: Duration,
    /// Building each event as the library takes it (the typed struct, or the `json!` value).
    in_build: Duration,
    /// Inside the per-event calls (`track`, `push`, `send`).
    in_calls: Duration,
    /// Inside the final flush or shutdown.
    in_final: Duration,
    delivered: u64,
    /// Messages the server accepted more than once (by `messageId`; only trackplan sends ids).
    duplicates: u64,
    requests: u64,
    /// Requests answered 200.
    accepted_requests: u64,
    /// The most requests the server handled at once.
    peak_in_flight: u64,
    /// trackplan's in-flight limit and smoothed round trip once everything was delivered.
    limit: Option<(u64, Option<Duration>)>,
}

impl Run {
    fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }

    fn ns_per_call(&self) -> f64 {
        self.in_calls.as_nanos() as f64 / self.events as f64
    }

    fn ns_per_build(&self) -> f64 {
        self.in_build.as_nanos() as f64 / self.events as f64
    }

    /// The caller's whole cost of an event: building it, then the call.
    fn in_caller(&self) -> Duration {
        self.in_build + self.in_calls
    }
}

/// Times one call and adds it to `total`.
fn timed<T>(total: &mut Duration, call: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let result = call();
    *total += start.elapsed();
    result
}

struct Bench {
    server: LoopbackServer,
    orders: Vec<OrderData>,
}

impl Bench {
    fn order(&self, i: usize) -> &OrderData {
        &self.orders[i % self.orders.len()]
    }

    fn trackplan(&self, events: usize, variant: Variant) -> Run {
        let mut builder = Client::builder(WRITE_KEY)
            .endpoint(&self.server.url)
            .validation(ValidationPolicy::Off)
            // A 100,000-event burst (~95 MB) is larger than the 64 MiB queue: wait for room,
            // as the other libraries' callers wait for their sends, instead of refusing.
            .when_full(FullPolicy::Block(Duration::from_secs(120)));
        match variant {
            Variant::Fixed(n) => builder = builder.max_in_flight(n).adaptive_concurrency(false),
            Variant::Capped(n) => builder = builder.max_in_flight(n),
            Variant::DeriveNoGzip => builder = builder.gzip(false),
            Variant::Derive | Variant::Raw => {}
        }
        let client = builder.build().expect("loopback client");
        let typed = variant != Variant::Raw;
        let start = Instant::now();
        let (mut in_build, mut in_calls) = (Duration::ZERO, Duration::ZERO);
        let mut refused = 0;
        for i in 0..events {
            let data = self.order(i);
            let user = User::id(data.user_id.as_str());
            let result = if typed {
                let event = timed(&mut in_build, || OrderCompleted::from(data));
                timed(&mut in_calls, || client.track(&user, &event))
            } else {
                let event = timed(&mut in_build, || {
                    RawEvent::new("Order Completed", data.to_json())
                });
                timed(&mut in_calls, || client.track(&user, &event))
            };
            refused += usize::from(result.is_err());
        }
        let mut in_final = Duration::ZERO;
        let report = timed(&mut in_final, || {
            client.shutdown_blocking(Duration::from_secs(900))
        });
        let elapsed = start.elapsed();
        let metrics = client.metrics();
        assert_eq!(refused, 0, "trackplan refused messages");
        assert_eq!(report.failed_count(), 0, "undelivered at shutdown");
        assert_eq!(self.server.duplicates(), 0, "a message was accepted twice");
        let library = match variant {
            Variant::Derive => "trackplan (derive)".to_owned(),
            Variant::Fixed(n) => format!("trackplan (fixed {n} in flight)"),
            Variant::Capped(n) => format!("trackplan (adaptive, cap {n})"),
            Variant::DeriveNoGzip => "trackplan (derive, no gzip)".to_owned(),
            Variant::Raw => "trackplan (RawEvent)".to_owned(),
        };
        Run {
            variant: Some(variant),
            limit: Some((metrics.in_flight_limit, metrics.round_trip)),
            ..self.finish(library, events, elapsed, [in_build, in_calls, in_final])
        }
    }

    fn segment(&self, events: usize) -> Run {
        use segment::message::{Track, User as SegmentUser};
        use segment::{AutoBatcher, Batcher, HttpClient};

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (elapsed, in_build, in_calls, in_final) = runtime.block_on(async {
            let http = HttpClient::new(reqwest::Client::new(), self.server.url.clone());
            let mut batcher = AutoBatcher::new(http, Batcher::new(None), WRITE_KEY.to_owned());
            let start = Instant::now();
            let (mut in_build, mut in_calls) = (Duration::ZERO, Duration::ZERO);
            for i in 0..events {
                let data = self.order(i);
                let message = timed(&mut in_build, || Track {
                    user: SegmentUser::UserId {
                        user_id: data.user_id.clone(),
                    },
                    event: "Order Completed".to_owned(),
                    properties: data.to_json(),
                    ..Default::default()
                });
                let call = Instant::now();
                // A failed send loses its batch: the crate has no retry.
                let _ = batcher.push(message).await;
                in_calls += call.elapsed();
            }
            let call = Instant::now();
            let _ = batcher.flush().await;
            (start.elapsed(), in_build, in_calls, call.elapsed())
        });
        self.finish(
            "segment 0.2.6".to_owned(),
            events,
            elapsed,
            [in_build, in_calls, in_final],
        )
    }

    /// rudderanalytics has no batcher of its own: its documented `Message::Batch`, 100 events a
    /// request, sent with its blocking client and default retries.
    fn rudder(&self, events: usize) -> Run {
        use rudderanalytics::client::RudderAnalytics;
        use rudderanalytics::message::{Batch, BatchMessage, Message, Track};

        const BATCH: usize = 100;
        let rudder = RudderAnalytics::load(WRITE_KEY.to_owned(), self.server.url.clone());
        let start = Instant::now();
        let (mut in_build, mut in_calls) = (Duration::ZERO, Duration::ZERO);
        let mut batch = Vec::with_capacity(BATCH);
        for i in 0..events {
            let data = self.order(i);
            let message = timed(&mut in_build, || {
                BatchMessage::Track(Track {
                    user_id: Some(data.user_id.clone()),
                    event: "Order Completed".to_owned(),
                    properties: Some(data.to_json()),
                    ..Default::default()
                })
            });
            batch.push(message);
            if batch.len() == BATCH || i + 1 == events {
                let message = Message::Batch(Batch {
                    batch: std::mem::take(&mut batch),
                    ..Default::default()
                });
                let _ = timed(&mut in_calls, || rudder.send(&message));
            }
        }
        self.finish(
            "rudderanalytics 2.0.1".to_owned(),
            events,
            start.elapsed(),
            [in_build, in_calls, Duration::ZERO],
        )
    }

    fn finish(
        &self,
        library: String,
        events: usize,
        elapsed: Duration,
        [in_build, in_calls, in_final]: [Duration; 3],
    ) -> Run {
        Run {
            library,
            variant: None,
            events,
            elapsed,
            in_build,
            in_calls,
            in_final,
            delivered: self.server.accepted(),
            duplicates: self.server.duplicates(),
            requests: self.server.requests(),
            accepted_requests: self.server.accepted_requests(),
            peak_in_flight: self.server.peak_in_flight(),
            limit: None,
        }
    }

    fn compare(&self, title: &str, events: usize, latency: Duration) {
        println!("{title}: {events} \"Order Completed\" events (10 properties, 2 products)");
        let mut variants = vec![Variant::Derive];
        if latency.is_zero() {
            variants.push(Variant::DeriveNoGzip);
        } else {
            variants.extend(fixed_limits().into_iter().map(Variant::Fixed));
            variants.extend(adaptive_caps().into_iter().map(Variant::Capped));
        }
        variants.push(Variant::Raw);
        let mut runs = Vec::new();
        for variant in variants {
            if selected(variant.key()) {
                self.server.reset(Faults::None, latency);
                runs.push(self.trackplan(events, variant));
            }
        }
        if selected("segment") {
            self.server.reset(Faults::None, latency);
            runs.push(self.segment(events));
        }
        // One blocking request of 100 events per round trip: minutes at 100 ms.
        if selected("rudder") && latency <= Duration::from_millis(20) {
            self.server.reset(Faults::None, latency);
            runs.push(self.rudder(events));
        }
        let Some(base) = runs.first() else {
            return;
        };
        println!(
            "  {:<33} {:>9} {:>9} {:>8} {:>11} {:>8} {:>12} {:>9} {:>9} {:>5} {:>9} {:>6} {:>12}",
            "library",
            "events/s",
            "tp faster",
            "ns/call",
            "calls vs tp",
            "build ns",
            "caller vs tp",
            "final ms",
            "delivered",
            "dups",
            "requests",
            "peak",
            "limit, rtt"
        );
        for run in &runs {
            println!(
                "  {:<33} {:>9.0} {:>8.2}x {:>8.0} {:>10.2}x {:>8.0} {:>11.2}x {:>9.1} {:>9} {:>5} {:>9} {:>6} {:>12}",
                run.library,
                run.events_per_sec(),
                base.events_per_sec() / run.events_per_sec(),
                run.ns_per_call(),
                run.in_calls.as_secs_f64() / base.in_calls.as_secs_f64(),
                run.ns_per_build(),
                run.in_caller().as_secs_f64() / base.in_caller().as_secs_f64(),
                run.in_final.as_secs_f64() * 1e3,
                run.delivered,
                run.duplicates,
                run.requests,
                run.peak_in_flight,
                run.limit.map_or(String::new(), |(limit, rtt)| format!(
                    "{limit}, {:.0} ms",
                    rtt.unwrap_or_default().as_secs_f64() * 1e3
                )),
            );
        }
        let find =
            |prefix: &'static str| runs.iter().filter(move |r| r.library.starts_with(prefix));
        let defaults = find("trackplan (derive)").next();
        // An adaptive limit is held against the fixed limits it may reach: those up to its cap.
        let best_fixed_up_to = |cap: usize| {
            runs.iter()
                .filter(|r| matches!(r.variant, Some(Variant::Fixed(n)) if n <= cap))
                .max_by(|a, b| a.events_per_sec().total_cmp(&b.events_per_sec()))
        };
        let adaptive =
            defaults
                .map(|d| (d, DEFAULT_CAP))
                .into_iter()
                .chain(runs.iter().filter_map(|r| match r.variant {
                    Some(Variant::Capped(cap)) => Some((r, cap)),
                    _ => None,
                }));
        for (run, cap) in adaptive {
            if let Some(best) = best_fixed_up_to(cap) {
                println!(
                    "  {} at {:.0}% of the best fixed limit up to its cap {cap} ({})",
                    run.library,
                    run.events_per_sec() * 100.0 / best.events_per_sec(),
                    best.library
                );
            }
        }
        if let (Some(defaults), Some(segment)) = (defaults, find("segment").next()) {
            println!(
                "  defaults {:.1}x the segment crate",
                defaults.events_per_sec() / segment.events_per_sec()
            );
        }
        println!();
    }

    /// Every second request answered 429 without `Retry-After`, answers after 20 ms: how many
    /// requests each delivered batch took, adaptive against the fixed 2 in flight trackplan
    /// had before.
    fn storm(&self, events: usize) {
        println!("429 storm: {events} events; every second request answered 429 without Retry-After, 20 ms answers");
        println!(
            "  {:<33} {:>10} {:>5} {:>9} {:>9} {:>12} {:>6} {:>9}",
            "library", "delivered", "dups", "requests", "batches", "req/batch", "peak", "seconds"
        );
        for variant in [Variant::Derive, Variant::Fixed(2)] {
            self.server
                .reset(Faults::Storm429, Duration::from_millis(20));
            let run = self.trackplan(events, variant);
            println!(
                "  {:<33} {:>10} {:>5} {:>9} {:>9} {:>12.2} {:>6} {:>9.1}",
                run.library,
                run.delivered,
                run.duplicates,
                run.requests,
                run.accepted_requests,
                run.requests as f64 / run.accepted_requests as f64,
                run.peak_in_flight,
                run.elapsed.as_secs_f64(),
            );
        }
        println!();
    }

    /// One event a second for `seconds`, answers after 20 ms, defaults: the most requests in
    /// flight, and how long each batch's first event waited for its request.
    fn quiet(&self, seconds: u64) {
        let flush_interval = Duration::from_secs(5); // the default
        println!("Quiet sender: 1 event a second for {seconds} s, 20 ms answers, defaults (flush interval {flush_interval:?})");
        self.server.reset(Faults::None, Duration::from_millis(20));
        let client = Client::builder(WRITE_KEY)
            .endpoint(&self.server.url)
            .validation(ValidationPolicy::Off)
            .build()
            .expect("loopback client");
        let start = Instant::now();
        let mut tracked = Vec::new();
        for i in 0..seconds {
            std::thread::sleep(
                (start + Duration::from_secs(i)).saturating_duration_since(Instant::now()),
            );
            let data = self.order(i as usize);
            tracked.push(Instant::now());
            client
                .track(
                    &User::id(data.user_id.as_str()),
                    &OrderCompleted::from(data),
                )
                .expect("queued");
        }
        // The last batch leaves by its flush interval, not at shutdown.
        std::thread::sleep(flush_interval + Duration::from_secs(1));
        let limit = client.metrics().in_flight_limit;
        assert!(client
            .shutdown_blocking(Duration::from_secs(10))
            .is_complete());
        let arrivals = self.server.arrivals();
        let mut first = 0;
        let mut longest_wait = Duration::ZERO;
        for &(arrived, messages) in &arrivals {
            longest_wait = longest_wait.max(arrived.saturating_duration_since(tracked[first]));
            first += messages as usize;
        }
        assert_eq!(first, tracked.len(), "every event delivered");
        println!(
            "  requests {}, most in flight {}, in-flight limit {limit}, longest wait of a batch's first event {:.2} s",
            arrivals.len(),
            self.server.peak_in_flight(),
            longest_wait.as_secs_f64()
        );
        println!();
    }

    fn faults(&self, events: usize) {
        println!("Faults: {events} events; 1 request in 5 answered 500, 1 in 7 answered 429 + Retry-After: 1");
        println!(
            "  {:<24} {:>10} {:>12} {:>5} {:>9} {:>9}",
            "library", "delivered", "% delivered", "dups", "requests", "seconds"
        );
        for library in 0..3 {
            self.server.reset(Faults::Mixed, Duration::ZERO);
            let run = match library {
                0 => self.trackplan(events, Variant::Derive),
                1 => self.segment(events),
                _ => self.rudder(events),
            };
            println!(
                "  {:<24} {:>10} {:>11.1}% {:>5} {:>9} {:>9.1}",
                run.library,
                run.delivered,
                run.delivered as f64 * 100.0 / run.events as f64,
                run.duplicates,
                run.requests,
                run.elapsed.as_secs_f64(),
            );
        }
    }
}

/// The default cap on requests in flight, as `ClientBuilder::max_in_flight` documents it.
const DEFAULT_CAP: usize = 32;

/// The caps of the adaptive runs besides the defaults (`BENCH_CAPS`, default 64).
fn adaptive_caps() -> Vec<usize> {
    env_list("BENCH_CAPS", "64")
}

/// The fixed in-flight limits compared with the adaptive one (`BENCH_FIXED`).
fn fixed_limits() -> Vec<usize> {
    env_list("BENCH_FIXED", "1,2,4,8,16,32,64")
}

/// A comma-separated list of counts from the environment variable `name`.
fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this without it: keep that
    // run tiny so the test suite stays fast.
    let benching = std::env::args().any(|a| a == "--bench");
    let events = if benching {
        env_count("BENCH_EVENTS", 100_000)
    } else {
        300
    };
    let fault_events = if benching {
        env_count("BENCH_FAULT_EVENTS", 10_000)
    } else {
        100
    };
    let bench = Bench {
        server: LoopbackServer::start().expect("loopback server"),
        orders: (0..POOL).map(order).collect(),
    };
    println!("Columns: tp faster = trackplan (derive) events/s over this row's; ns/call = mean time inside");
    println!("one track/push/send-per-event; calls vs tp = total time inside those calls over trackplan (derive)'s;");
    println!("build ns = mean time building one event as the library takes it (typed struct, json! value);");
    println!("caller vs tp = build + calls over trackplan (derive)'s; final ms = the closing flush or shutdown.\n");
    let scenarios = std::env::var("BENCH_SCENARIOS").unwrap_or_default();
    let wanted =
        |name: &str| scenarios.is_empty() || scenarios.split(',').any(|s| s.trim() == name);
    if wanted("loopback") {
        bench.compare("Loopback", events, Duration::ZERO);
    }
    if wanted("latency") {
        bench.compare(
            "Loopback + 20 ms per answer",
            events,
            Duration::from_millis(20),
        );
    }
    if wanted("far") {
        bench.compare(
            "Loopback + 100 ms per answer",
            events,
            Duration::from_millis(100),
        );
    }
    if wanted("faults") {
        bench.faults(fault_events);
    }
    if wanted("storm") {
        bench.storm(fault_events);
    }
    if wanted("quiet") {
        bench.quiet(if benching {
            env_count("BENCH_QUIET_SECS", 12) as u64
        } else {
            2
        });
    }
}
