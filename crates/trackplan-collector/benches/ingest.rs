//! Ingestion throughput of the collector with validation on.
//!
//! Posts 100,000 realistic "Order Completed" messages (11 properties, two products), in
//! batches under Segment's 500,000-byte limit, over loopback to a collector validating against
//! `schemas/ecommerce.json`, and prints messages per second and peak memory. Three rounds show
//! that memory stays bounded by the ring (10,000 messages) however much arrives.
//!
//! Run: `cargo bench -p trackplan-collector --bench ingest`

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trackplan_collector::{Collector, CollectorConfig, DEFAULT_MAX_EVENTS};

const MESSAGES: usize = 100_000;
const BATCH_BYTES: usize = 450_000;
const CONNECTIONS: usize = 4;
const ROUNDS: usize = 3;

fn main() {
    // Separate, named threads for the collector and the client, so the collector's own CPU
    // time can be read from /proc whatever else the machine runs.
    let server = runtime("collector");
    let client = runtime("client");
    let plan_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/ecommerce.json");
    let plan = trackplan_plan::load(&plan_path).unwrap_or_else(|errors| panic!("{errors}"));

    let bodies = Arc::new(batches(MESSAGES));
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    println!(
        "{MESSAGES} Order Completed messages, {} batches, {:.1} MB of JSON ({} B per message), \
         {CONNECTIONS} connections, {} collector threads",
        bodies.len(),
        bytes as f64 / 1e6,
        bytes / MESSAGES,
        SERVER_THREADS
    );
    println!(
        "before the collector starts: VmRSS {} MiB",
        status_mib("VmRSS")
    );

    for (label, config) in [
        ("validation on ", CollectorConfig::new().plan(plan.clone())),
        ("validation off", CollectorConfig::new()),
    ] {
        let collector = server
            .block_on(Collector::start(config))
            .expect("collector");
        for round in 1..=ROUNDS {
            let cpu_before = thread_cpu("collector");
            let elapsed = client.block_on(post_all(collector.url(), Arc::clone(&bodies)));
            let cpu = thread_cpu("collector") - cpu_before;
            let stats = collector.stats();
            assert_eq!(
                stats.received as usize,
                round * MESSAGES,
                "every message arrived"
            );
            assert_eq!(
                stats.invalid,
                0,
                "the messages fit the plan: {:?}",
                collector.events().first()
            );
            println!(
                "{label} round {round}: {:>7.0} messages/s wall ({:.2} s, {:>5.1} MB/s); collector CPU \
                 {:.2} µs per message = {:>7.0} messages per CPU-second; stored {} (ring {DEFAULT_MAX_EVENTS}); \
                 VmRSS {} MiB, VmHWM {} MiB",
                MESSAGES as f64 / elapsed.as_secs_f64(),
                elapsed.as_secs_f64(),
                bytes as f64 / 1e6 / elapsed.as_secs_f64(),
                cpu.as_secs_f64() * 1e6 / MESSAGES as f64,
                MESSAGES as f64 / cpu.as_secs_f64(),
                collector.events().len(),
                status_mib("VmRSS"),
                status_mib("VmHWM"),
            );
        }
        server.block_on(collector.shutdown()).expect("shutdown");
    }

    in_process(&plan, &bodies);
}

const SERVER_THREADS: usize = 2;

fn runtime(name: &str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(SERVER_THREADS)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("runtime")
}

/// CPU time (user + system) of this process's threads named `name`, from /proc.
fn thread_cpu(name: &str) -> Duration {
    const TICKS_PER_SECOND: u64 = 100; // Linux USER_HZ
    let mut ticks = 0;
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        let field = |n: usize| {
            fields
                .get(n - 3)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        ticks += field(14) + field(15);
    }
    Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
}

/// The work of each request without HTTP, on one thread: parse, validate, drop.
fn in_process(plan: &trackplan_plan::Plan, bodies: &[Vec<u8>]) {
    use trackplan_collector::ingest::{parse_messages, Endpoint};
    let validator = trackplan_collector::Validator::new(std::slice::from_ref(plan)).expect("plan");
    let (mut parse, mut validate) = (Duration::ZERO, Duration::ZERO);
    for body in bodies {
        let started = Instant::now();
        let messages = parse_messages(Endpoint::Batch, body, |_| true).expect("parse");
        let parsed = Instant::now();
        let violations: usize = messages
            .iter()
            .map(|message| validator.validate(message).len())
            .sum();
        assert_eq!(violations, 0);
        drop(messages);
        parse += parsed - started;
        validate += parsed.elapsed();
    }
    let per = |elapsed: Duration| elapsed.as_secs_f64() * 1e6 / MESSAGES as f64;
    println!(
        "one thread, no HTTP, each batch parsed whole then validated: parse {:.2} µs, validate and free {:.2} µs per message",
        per(parse),
        per(validate)
    );
}

/// Posts every body over `CONNECTIONS` concurrent connections; the time until the last answer.
async fn post_all(url: &str, bodies: Arc<Vec<Vec<u8>>>) -> Duration {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .expect("client");
    let endpoint = format!("{url}/v1/batch");
    let started = Instant::now();
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|worker| {
            let (client, endpoint, bodies) =
                (client.clone(), endpoint.clone(), Arc::clone(&bodies));
            tokio::spawn(async move {
                for body in bodies.iter().skip(worker).step_by(CONNECTIONS) {
                    let response = client
                        .post(&endpoint)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("post");
                    assert_eq!(response.status(), 200);
                    response.bytes().await.expect("answer");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    started.elapsed()
}

/// Request bodies of whole messages, each under `BATCH_BYTES`.
fn batches(count: usize) -> Vec<Vec<u8>> {
    let mut bodies = Vec::new();
    let mut items: Vec<String> = Vec::new();
    let mut size = 0;
    for n in 0..count {
        let item = order_completed(n).to_string();
        if size + item.len() + 100 > BATCH_BYTES {
            bodies.push(body(&items));
            items.clear();
            size = 0;
        }
        size += item.len() + 1;
        items.push(item);
    }
    if !items.is_empty() {
        bodies.push(body(&items));
    }
    bodies
}

fn body(items: &[String]) -> Vec<u8> {
    format!(
        "{{\"batch\":[{}],\"sentAt\":\"2026-11-29T10:00:00.000Z\",\"writeKey\":\"bench\"}}",
        items.join(",")
    )
    .into_bytes()
}

/// A message as trackplan's client sends it: ids, timestamps, library context, 11 properties
/// with two products.
fn order_completed(n: usize) -> Value {
    json!({
        "type": "track",
        "event": "Order Completed",
        "userId": format!("user-{}", n % 5_000),
        "messageId": format!("8f6b2c1e-4a7d-4f1e-9c3b-{n:012}"),
        "timestamp": "2026-11-29T10:00:00.000Z",
        "context": {"library": {"name": "trackplan", "version": "0.1.0"}},
        "properties": {
            "checkout_id": format!("chk_{n}"),
            "order_id": format!("ord_{n}"),
            "affiliation": "Google Store",
            "total": 27.50,
            "subtotal": 22.50,
            "revenue": 25.00,
            "shipping": 3.0,
            "tax": 2.0,
            "discount": 2.5,
            "coupon": "hasbros",
            "currency": "USD",
            "products": [
                {"product_id": "507f1f77bcf86cd799439011", "sku": "45790-32", "name": "Monopoly: 3rd Edition",
                 "price": 19.0, "quantity": 1, "category": "Games"},
                {"product_id": "505bd76785ebb509fc183733", "sku": "46493-32", "name": "Uno Card Game",
                 "price": 3.0, "quantity": 2, "category": "Games"}
            ]
        }
    })
}

/// A memory figure of this process from /proc/self/status, in MiB (0 where unavailable).
fn status_mib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let kib = line
                    .strip_prefix(field)?
                    .strip_prefix(':')?
                    .trim()
                    .strip_suffix("kB")?;
                kib.trim().parse::<u64>().ok()
            })
        })
        .map_or(0, |kib| kib / 1024)
}
