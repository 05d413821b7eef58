//! Soak: the client at a steady load against the in-process collector with injected faults,
//! then an account by messageId of what was delivered, duplicated and lost, and the peak memory.
//!
//! ```text
//! cargo run --release --example soak -- --seconds 60 --rate 5000 [--queue-mib 64]
//! ```
//!
//! The client sends through a resetting TCP proxy to the collector. Faults rotate in phases:
//! clean; every 3rd request answered 500; every 4th 429 with `Retry-After: 1`; every 5th hung
//! (the client's 2 s request timeout ends it); every answer delayed 300 ms; connections reset
//! (open ones severed, the next 4 reset mid-request); the collector stopped, down for a phase,
//! then restarted on the same port. The collector records every accepted message to a file,
//! which is counted by messageId after the run (so counting costs no memory during it).
//!
//! Exits 1 when a message accepted by the client was never delivered.

#[path = "../tests/faults_support/mod.rs"]
mod faults_support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use faults_support::{start_configured, ResetProxy, WRITE_KEY};
use serde_json::{json, Value};
use trackplan::{CallOptions, Client, EnqueueError, RawEvent, RetryPolicy, User};
use trackplan_collector::{Collector, CollectorConfig, Failure, Faults};

const USAGE: &str = "usage: soak [--seconds N] [--rate MESSAGES_PER_SECOND] [--queue-mib N]";

/// The run's settings.
#[derive(Debug, Clone, Copy)]
struct Args {
    seconds: u64,
    rate: u64,
    queue_mib: usize,
}

impl Args {
    /// Every problem with the arguments at once.
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, Vec<String>> {
        let mut parsed = Args {
            seconds: 60,
            rate: 5_000,
            queue_mib: 64,
        };
        let mut problems = Vec::new();
        while let Some(flag) = args.next() {
            let value = args.next();
            let number = |name: &str| match value.as_deref().map(str::parse::<u64>) {
                Some(Ok(n)) if n > 0 => Ok(n),
                _ => Err(format!(
                    "{name} needs a whole number above 0, got {value:?}"
                )),
            };
            let result = match flag.as_str() {
                "--seconds" => number("--seconds").map(|n| parsed.seconds = n),
                "--rate" => number("--rate").map(|n| parsed.rate = n),
                "--queue-mib" => number("--queue-mib").map(|n| parsed.queue_mib = n as usize),
                other => Err(format!("unknown argument {other:?}")),
            };
            problems.extend(result.err());
        }
        if problems.is_empty() {
            Ok(parsed)
        } else {
            Err(problems)
        }
    }
}

/// One fault phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Clean,
    ServerErrors,
    RateLimited,
    Hangs,
    Slow,
    Resets,
    Down,
}

const PHASES: [Phase; 7] = [
    Phase::Clean,
    Phase::ServerErrors,
    Phase::RateLimited,
    Phase::Hangs,
    Phase::Slow,
    Phase::Resets,
    Phase::Down,
];

impl Phase {
    /// The collector's faults during this phase.
    fn faults(self) -> Faults {
        let failing = |every, status, retry_after| Faults {
            fail: Some(Failure {
                every,
                status,
                retry_after,
            }),
            ..Faults::default()
        };
        match self {
            Phase::ServerErrors => failing(3, 500, None),
            Phase::RateLimited => failing(4, 429, Some(Duration::from_secs(1))),
            Phase::Hangs => Faults {
                hang_every: Some(5),
                ..Faults::default()
            },
            Phase::Slow => Faults {
                delay: Some(Duration::from_millis(300)),
                ..Faults::default()
            },
            Phase::Clean | Phase::Resets | Phase::Down => Faults::default(),
        }
    }
}

/// What the fault schedule did.
#[derive(Debug, Default)]
struct FaultCounts {
    restarts: u64,
    phases: u64,
}

fn collector_config(record: &Path) -> CollectorConfig {
    CollectorConfig::new()
        .write_key(WRITE_KEY)
        .max_events(1_000)
        .record(record)
}

/// Rotate through the phases until `stop`, one phase every `phase_length`.
async fn run_faults(
    mut collector: Option<Collector>,
    addr: SocketAddr,
    record: &Path,
    proxy: &ResetProxy,
    phase_length: Duration,
    stop: &AtomicBool,
) -> (Option<Collector>, FaultCounts) {
    let mut counts = FaultCounts::default();
    for phase in PHASES.iter().cycle() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        counts.phases += 1;
        tracing::info!(?phase, "soak phase");
        if collector.is_none() {
            collector = Some(start_configured(addr, collector_config(record)).await);
            counts.restarts += 1;
        }
        match phase {
            Phase::Resets => {
                // Sporadic, as on a real network: a run of resets longer than the retry budget
                // (10 per batch) would rightly end in the failure callback.
                proxy.sever_all();
                proxy.reset_next(4);
            }
            Phase::Down => {
                if let Some(running) = collector.take() {
                    if let Err(error) = running.shutdown().await {
                        eprintln!("soak: the collector did not stop cleanly: {error}");
                    }
                }
            }
            _ => {}
        }
        if let Some(running) = &collector {
            running.set_faults(phase.faults());
        }
        tokio::time::sleep(phase_length).await;
    }
    if let Some(running) = &collector {
        running.set_faults(Faults::default());
    } else {
        collector = Some(start_configured(addr, collector_config(record)).await);
        counts.restarts += 1;
    }
    (collector, counts)
}

/// What the caller side saw.
#[derive(Debug, Default)]
struct Load {
    /// Per message index: accepted by `track` (1) or refused (0).
    accepted: Vec<bool>,
    refused: u64,
    elapsed: Duration,
}

/// Call `track` at `rate` per second for `duration`, pacing every millisecond.
fn generate_load(client: &Client, rate: u64, duration: Duration) -> Load {
    let total = rate * duration.as_secs();
    let mut load = Load {
        accepted: Vec::with_capacity(total as usize),
        ..Load::default()
    };
    let started = Instant::now();
    for i in 0..total {
        // Message i is due at i / rate seconds: sleep in 1 ms steps while ahead.
        let due = Duration::from_micros(i * 1_000_000 / rate);
        while started.elapsed() + Duration::from_millis(1) < due {
            std::thread::sleep(Duration::from_millis(1));
        }
        let event = RawEvent::new(
            "Order Completed",
            json!({
                "order_id": format!("o-{i}"),
                "checkout_id": "c-7",
                "total": 27.5,
                "revenue": 25.0,
                "shipping": 3.0,
                "tax": 2.0,
                "discount": 2.5,
                "coupon": "WINTER",
                "currency": "EUR",
                "products": [
                    { "product_id": "p-1", "sku": "S-1", "name": "Mug", "price": 12.5, "quantity": 1 },
                    { "product_id": "p-2", "sku": "S-2", "name": "Tea", "price": 7.5, "quantity": 2 },
                ],
            }),
        );
        let options = CallOptions::new().message_id(message_id(i));
        match client.track_with(&User::id(format!("u{}", i % 1_000)), &event, &options) {
            Ok(_) => load.accepted.push(true),
            Err(EnqueueError::QueueFull { .. }) => {
                load.accepted.push(false);
                load.refused += 1;
            }
            Err(other) => panic!("message {i} refused: {other}"),
        }
    }
    load.elapsed = started.elapsed();
    load
}

fn message_id(index: u64) -> String {
    format!("soak-{index}")
}

fn index_of(id: &str) -> Option<usize> {
    id.strip_prefix("soak-")?.parse().ok()
}

/// Arrivals per message index, from the collector's recording.
fn count_arrivals(record: &Path, messages: usize) -> std::io::Result<(Vec<u32>, u64)> {
    use std::io::BufRead;
    let mut arrivals = vec![0u32; messages];
    let mut unexpected = 0;
    let file = std::io::BufReader::new(std::fs::File::open(record)?);
    for line in file.lines() {
        let line = line?;
        let message: Value = serde_json::from_str(&line).map_err(std::io::Error::other)?;
        match message["messageId"]
            .as_str()
            .and_then(index_of)
            .filter(|&i| i < messages)
        {
            Some(i) => arrivals[i] += 1,
            None => unexpected += 1,
        }
    }
    Ok((arrivals, unexpected))
}

/// The process's peak resident memory (VmHWM), in KiB.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(problems) => {
            for problem in problems {
                eprintln!("soak: {problem}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    // RUST_LOG=trackplan_core=debug shows every request and retry on stderr.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(soak(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("soak: {error}");
            ExitCode::from(2)
        }
    }
}

/// Run the soak and print the account; true when nothing was lost.
async fn soak(args: Args) -> std::io::Result<bool> {
    let dir = tempfile::tempdir()?;
    let record = dir.path().join("received.ndjson");
    let collector = start_configured(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        collector_config(&record),
    )
    .await;
    let addr = collector.addr();
    let proxy = ResetProxy::start(addr).await;

    let queue_cap = args.queue_mib << 20;
    let failed = Arc::new(AtomicU64::new(0));
    let failed_sink = Arc::clone(&failed);
    let client = Client::builder(WRITE_KEY)
        .endpoint(proxy.url())
        .queue_capacity_bytes(queue_cap)
        .request_timeout(Duration::from_secs(2))
        .flush_interval(Duration::from_millis(200))
        .retry_policy(RetryPolicy {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            min_retry_after: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(2),
            ..RetryPolicy::default()
        })
        .on_failure(move |batch| {
            eprintln!(
                "soak: {} messages given up: {}",
                batch.messages.len(),
                batch.reason
            );
            failed_sink.fetch_add(batch.messages.len() as u64, Ordering::SeqCst);
        })
        .build()
        .map_err(std::io::Error::other)?;

    let duration = Duration::from_secs(args.seconds);
    let phase_length = (duration / 15).max(Duration::from_secs(1));
    let stop = Arc::new(AtomicBool::new(false));
    let load_client = client.clone();
    let load_stop = Arc::clone(&stop);
    let load = tokio::task::spawn_blocking(move || {
        let load = generate_load(&load_client, args.rate, duration);
        load_stop.store(true, Ordering::SeqCst);
        load
    });
    let (collector, faults) =
        run_faults(Some(collector), addr, &record, &proxy, phase_length, &stop).await;
    let load = load.await.map_err(std::io::Error::other)?;

    let drain_started = Instant::now();
    let report = client.shutdown(Duration::from_secs(60)).await;
    let drain = drain_started.elapsed();
    let peak_kib = peak_memory_kib();
    let metrics = client.metrics();
    if let Some(collector) = collector {
        collector.shutdown().await?;
    }
    let stats_resets = proxy.resets();
    drop(proxy);

    let (arrivals, unexpected) = count_arrivals(&record, load.accepted.len())?;
    let (mut delivered, mut duplicated, mut lost, mut refused_but_arrived) =
        (0u64, 0u64, 0u64, 0u64);
    for (accepted, &n) in load.accepted.iter().zip(&arrivals) {
        match (*accepted, n) {
            (true, 0) => lost += 1,
            (true, n) => {
                delivered += 1;
                duplicated += u64::from(n - 1);
            }
            (false, 0) => {}
            (false, _) => refused_but_arrived += 1,
        }
    }
    let accepted = load.accepted.len() as u64 - load.refused;
    let percent = |part: u64| 100.0 * part as f64 / accepted.max(1) as f64;
    let peak = peak_kib.map_or("unknown".to_owned(), |kib| {
        format!("{:.1} MiB", kib as f64 / 1024.0)
    });

    println!(
        "soak: {} s at {} msg/s ({} calls in {:.1} s), queue cap {} MiB, request timeout 2 s",
        args.seconds,
        args.rate,
        load.accepted.len(),
        load.elapsed.as_secs_f64(),
        args.queue_mib
    );
    println!(
        "faults: {} phases of {:.1} s (clean, 500 every 3rd, 429+Retry-After every 4th, hang every 5th, 300 ms delay, resets, collector down), {} restarts on the same port, {} connections reset",
        faults.phases,
        phase_length.as_secs_f64(),
        faults.restarts,
        stats_resets
    );
    println!(
        "client: accepted {accepted}, refused (queue full) {}, retried requests {}, given up {} (shutdown report: {} undelivered), drained in {:.1} s",
        load.refused,
        metrics.retried,
        failed.load(Ordering::SeqCst),
        report.failed_count(),
        drain.as_secs_f64()
    );
    println!(
        "delivered {delivered}, duplicated {duplicated} ({:.3}%), lost {lost} ({:.3}%), unexpected {}",
        percent(duplicated),
        percent(lost),
        unexpected + refused_but_arrived
    );
    println!(
        "peak memory (VmHWM) {peak}, queue cap {} MiB",
        args.queue_mib
    );
    Ok(lost == 0 && unexpected == 0 && refused_but_arrived == 0)
}
