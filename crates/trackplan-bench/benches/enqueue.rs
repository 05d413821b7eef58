//! The cost of one `track()` call alone: encoding plus enqueue, with a transport that answers
//! at once, so neither the network nor a server competes for the CPU.
//!
//! `cargo bench -p trackplan-bench --bench enqueue` (append `-- derive`, `-- plan` or `-- RawEvent`
//! to run one variant). Prints wall time per call and the caller thread's CPU time per call.

use std::time::{Duration, Instant};

use trackplan::{
    BatchRequest, Client, EncodeError, Event, FullPolicy, PlanMetadata, Properties, RawEvent,
    SendFuture, Transport, TransportResponse, User, ValidationPolicy,
};
use trackplan_bench::{order, OrderCompleted, OrderData};

/// Accepts every batch without reading it.
struct Discard;

impl Transport for Discard {
    fn send<'a>(&'a self, _request: BatchRequest<'a>) -> SendFuture<'a> {
        Box::pin(std::future::ready(Ok(TransportResponse::status(200))))
    }
}

/// An event as `plan!` and `trackplan generate` types send it: with plan metadata, which goes
/// into `context.protocols` and `context.trackplan` on every call.
struct FromPlan<E>(E);

impl<E: Properties> Properties for FromPlan<E> {
    fn write_properties(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.0.write_properties(out)
    }

    fn plan_metadata(&self) -> Option<PlanMetadata> {
        Some(PlanMetadata {
            plan: "Shop",
            event_version: Some(3),
            generator_version: "0.1.0",
        })
    }
}

impl<E: Event> Event for FromPlan<E> {
    fn event_name(&self) -> &str {
        self.0.event_name()
    }
}

fn main() {
    let events = if std::env::args().any(|a| a == "--bench") {
        200_000
    } else {
        1_000
    };
    let orders: Vec<OrderData> = (0..1_000).map(order).collect();
    let users: Vec<User> = orders
        .iter()
        .map(|o| User::id(o.user_id.as_str()))
        .collect();
    // `cargo bench ... -- derive` runs one variant only (for profiling).
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    for (label, raw, plan) in [
        ("derive", false, false),
        ("plan", false, true),
        ("RawEvent", true, false),
    ] {
        if !only.is_empty() && !only.iter().any(|o| o == label) {
            continue;
        }
        let client = Client::builder("bench")
            .transport(Discard)
            .validation(ValidationPolicy::Off)
            .when_full(FullPolicy::Block(Duration::from_secs(60)))
            .build()
            .expect("client");
        let raw_events: Vec<RawEvent> = if raw {
            orders
                .iter()
                .map(|o| RawEvent::new("Order Completed", o.to_json()))
                .collect()
        } else {
            Vec::new()
        };
        let cpu_start = thread_cpu_ns();
        let start = Instant::now();
        for i in 0..events {
            let n = i % orders.len();
            let result = if raw {
                client.track(&users[n], &raw_events[n])
            } else if plan {
                client.track(&users[n], &FromPlan(OrderCompleted::from(&orders[n])))
            } else {
                client.track(&users[n], &OrderCompleted::from(&orders[n]))
            };
            assert!(result.is_ok());
        }
        let elapsed = start.elapsed();
        let cpu = thread_cpu_ns()
            .zip(cpu_start)
            .map(|(end, start)| end - start);
        let report = client.shutdown_blocking(Duration::from_secs(60));
        assert_eq!(report.failed_count(), 0);
        let on_cpu = cpu.map_or_else(
            || "n/a".to_owned(),
            |ns| format!("{:.0}", ns as f64 / events as f64),
        );
        println!(
            "track() with {label:<8}: {:>6.0} ns/call, {on_cpu:>6} ns/call on the caller's CPU ({events} calls, {:.0} calls/s)",
            elapsed.as_nanos() as f64 / events as f64,
            events as f64 / elapsed.as_secs_f64()
        );
    }
}

/// CPU time of the calling thread in ns (Linux: the first field of
/// `/proc/thread-self/schedstat`). Unlike wall time it leaves out the time the caller is
/// preempted by the client's worker or by other processes on a shared machine, so it is the
/// steadier figure for the cost of `track()` itself.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
