//! The client against the real collector on 127.0.0.1 with injected faults: the collector stopped
//! and restarted on the same port, connection resets, hung and slow requests, 500 and 429
//! storms, an unreachable endpoint, a full queue and a bounded shutdown. After recovery every
//! message arrives exactly once by messageId; what cannot be delivered is reported, never
//! dropped silently.
//!
//! Retry storms run Segment's own backoff and Retry-After policy on a manual clock that a
//! [`ClockDriver`] advances whenever the client waits; elsewhere intervals, backoffs and
//! timeouts are shortened through the builder. No test sleeps for seconds; every wait is bounded.

mod faults_support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faults_support::{
    arrivals, closed_loopback_port, eventually, start_collector, tally, ClockDriver, ResetProxy,
    Tally, WRITE_KEY,
};
use serde_json::json;
use trackplan::{
    Client, ClientBuilder, DeliveryReport, EnqueueError, FailedBatch, FailureReason, RawEvent,
    RetryPolicy, User, MAX_BATCH_BYTES,
};
use trackplan_collector::{Collector, Failure, Faults};
use trackplan_core::testing::ManualClock;

/// Room for every message a test sends: the collector's ring must not evict any.
const MAX_EVENTS: usize = 100_000;

/// The bound on any flush or shutdown in these tests; reaching it means the client hung.
const PATIENCE: Duration = Duration::from_secs(30);

/// Retries after 2 to 20 ms, Retry-After waits capped at 20 ms, and enough retries to outlast
/// every storm below.
fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 100,
        base_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(20),
        min_retry_after: Duration::ZERO,
        max_retry_after: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

/// [`client_to`] with Segment's retry policy on a manual clock, and the driver that lets its
/// pauses pass (keep it alive as long as the client).
fn client_on_driven_clock(url: &str, retry: RetryPolicy) -> (ClientBuilder, ClockDriver) {
    let clock = ManualClock::new();
    let driver = ClockDriver::start(&clock);
    (client_to(url).retry_policy(retry).clock(clock), driver)
}

fn client_to(url: &str) -> ClientBuilder {
    Client::builder(WRITE_KEY)
        .endpoint(url)
        .retry_policy(quick_retries())
        .request_timeout(Duration::from_millis(500))
        .flush_at(25)
        .flush_interval(Duration::from_millis(10))
}

/// Enqueue `n` distinct track calls; their messageIds.
fn send(client: &Client, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let event = RawEvent::new(
                "Order Completed",
                json!({ "order_id": format!("o-{i}"), "total": i, "currency": "EUR" }),
            );
            client
                .track(&User::id(format!("u{}", i % 17)), &event)
                .expect("the queue has room")
                .to_string()
        })
        .collect()
}

async fn flush(client: &Client) -> DeliveryReport {
    tokio::time::timeout(PATIENCE, client.flush())
        .await
        .expect("flush returned within the bound")
}

#[track_caller]
fn assert_exactly_once(sent: &[String], arrived: &HashMap<String, usize>) {
    let tally = tally(sent.iter().map(String::as_str), arrived);
    assert_eq!(
        tally,
        Tally {
            delivered: sent.len(),
            ..Tally::default()
        },
        "every message must arrive exactly once"
    );
}

/// Ids in order, to compare sets reported in any order (batches settle out of order).
fn sorted(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort();
    ids
}

fn failure(every: u64, status: u16, retry_after: Option<Duration>) -> Faults {
    Faults {
        fail: Some(Failure {
            every,
            status,
            retry_after,
        }),
        ..Faults::default()
    }
}

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_stopped_and_restarted_on_the_same_port_loses_nothing() {
    let first = start_collector(any_port(), MAX_EVENTS, Faults::default()).await;
    let addr = first.addr();
    let client = client_to(first.url()).build().unwrap();

    let mut sent = send(&client, 100);
    assert!(flush(&client).await.is_complete());
    let arrived_before_stop = arrivals(&[&first]);
    first.shutdown().await.unwrap();

    // Sent while nothing listens: refused connections, retried.
    sent.extend(send(&client, 100));
    let retried_before = client.metrics().retried;
    assert!(
        eventually(PATIENCE, || client.metrics().retried > retried_before + 3).await,
        "the client retries while the collector is down: {:?}",
        client.metrics()
    );

    let second = start_collector(addr, MAX_EVENTS, Faults::default()).await;
    sent.extend(send(&client, 100));
    let report = flush(&client).await;
    assert!(report.is_complete(), "{report:?}");

    let mut arrived = arrivals(&[&second]);
    for (id, n) in arrived_before_stop {
        *arrived.entry(id).or_insert(0) += n;
    }
    assert_exactly_once(&sent, &arrived);
    assert_eq!(client.metrics().failed, 0);
    second.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_connections_are_retried_until_delivered_exactly_once() {
    let collector = start_collector(any_port(), MAX_EVENTS, Faults::default()).await;
    let proxy = ResetProxy::start(collector.addr()).await;
    let client = client_to(&proxy.url()).build().unwrap();

    let mut sent = Vec::new();
    for _ in 0..5 {
        // Between rounds nothing is in flight: reset every pooled connection, and the next
        // three new ones once their request starts, so no request the collector accepted is
        // lost to a reset (which would make a retry a legitimate duplicate).
        proxy.sever_all();
        proxy.reset_next(3);
        sent.extend(send(&client, 60));
        let report = flush(&client).await;
        assert!(report.is_complete(), "{report:?}");
    }

    assert!(
        proxy.resets() >= 15,
        "each round resets three new connections: {} resets",
        proxy.resets()
    );
    assert!(client.metrics().retried >= 15, "{:?}", client.metrics());
    assert_exactly_once(&sent, &arrivals(&[&collector]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_requests_time_out_and_are_retried() {
    let hang_every_third = Faults {
        hang_every: Some(3),
        ..Faults::default()
    };
    let collector = start_collector(any_port(), MAX_EVENTS, hang_every_third).await;
    let client = client_to(collector.url())
        .request_timeout(Duration::from_millis(150))
        .build()
        .unwrap();

    // Six rounds make at least six requests, so at least two are hung.
    let mut sent = Vec::new();
    for _ in 0..6 {
        sent.extend(send(&client, 40));
        let report = flush(&client).await;
        assert!(report.is_complete(), "{report:?}");
    }

    assert_exactly_once(&sent, &arrivals(&[&collector]));
    assert!(
        collector.stats().rejected_requests >= 2,
        "requests were hung: {:?}",
        collector.stats()
    );
    assert!(client.metrics().retried >= 2, "{:?}", client.metrics());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_responses_within_the_timeout_are_not_retried() {
    let slow = Faults {
        delay: Some(Duration::from_millis(60)),
        ..Faults::default()
    };
    let collector = start_collector(any_port(), MAX_EVENTS, slow).await;
    let client = client_to(collector.url())
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let sent = send(&client, 200);
    let report = flush(&client).await;

    assert!(report.is_complete(), "{report:?}");
    assert_exactly_once(&sent, &arrivals(&[&collector]));
    assert_eq!(
        client.metrics().retried,
        0,
        "a slow answer is not a failure"
    );
}

/// An answer slower than the request timeout: the client gives up on the attempt and retries.
/// The collector may still store the first attempt, so this is at-least-once: nothing lost,
/// duplicates possible (Segment deduplicates by messageId).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_slower_than_the_timeout_are_retried_and_nothing_is_lost() {
    let slower_than_timeout = Faults {
        delay: Some(Duration::from_millis(250)),
        ..Faults::default()
    };
    let collector = start_collector(any_port(), MAX_EVENTS, slower_than_timeout).await;
    let client = client_to(collector.url())
        .request_timeout(Duration::from_millis(100))
        .build()
        .unwrap();

    let sent = send(&client, 150);
    assert!(
        eventually(PATIENCE, || client.metrics().retried >= 3).await,
        "attempts time out: {:?}",
        client.metrics()
    );
    collector.set_faults(Faults::default());
    let report = flush(&client).await;

    assert!(report.is_complete(), "{report:?}");
    let tally = tally(sent.iter().map(String::as_str), &arrivals(&[&collector]));
    assert_eq!((tally.lost, tally.unexpected), (0, 0), "{tally:?}");
    assert_eq!(tally.delivered, sent.len(), "{tally:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_500s_then_intermittent_503s_loses_nothing() {
    let collector = start_collector(any_port(), MAX_EVENTS, failure(1, 500, None)).await;
    let (client, _driver) = client_on_driven_clock(
        collector.url(),
        RetryPolicy {
            max_retries: 100,
            ..RetryPolicy::default()
        },
    );
    let client = client.build().unwrap();

    let mut sent = send(&client, 200);
    assert!(
        eventually(PATIENCE, || collector.stats().rejected_requests >= 20).await,
        "the storm is under way: {:?}",
        collector.stats()
    );
    assert_eq!(
        collector.stats().received,
        0,
        "nothing gets through a storm"
    );
    collector.set_faults(failure(3, 503, None));
    sent.extend(send(&client, 200));
    let report = flush(&client).await;

    assert!(report.is_complete(), "{report:?}");
    assert_exactly_once(&sent, &arrivals(&[&collector]));
    assert!(client.metrics().retried >= 20, "{:?}", client.metrics());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_429s_with_retry_after_uses_up_no_retries() {
    let rate_limited = failure(1, 429, Some(Duration::from_secs(1)));
    let collector = start_collector(any_port(), MAX_EVENTS, rate_limited).await;
    // Two counted retries per batch: far fewer than the 429s each batch meets.
    let (client, _driver) = client_on_driven_clock(
        collector.url(),
        RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        },
    );
    let client = client.build().unwrap();

    let sent = send(&client, 100);
    assert!(
        eventually(PATIENCE, || collector.stats().rejected_requests >= 30).await,
        "the storm is under way: {:?}",
        collector.stats()
    );
    collector.set_faults(Faults::default());
    let report = flush(&client).await;

    assert!(report.is_complete(), "{report:?}");
    assert_exactly_once(&sent, &arrivals(&[&collector]));
    assert_eq!(client.metrics().failed, 0);
}

/// "Unresolvable host": `nonexistent.invalid` would go to this machine's DNS server (glibc does
/// not special-case `.invalid`, and /etc/resolv.conf names a real resolver), so a closed
/// loopback port stands in for it: the same connect-error path, without leaving the machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_retried_until_it_comes_up() {
    let addr = closed_loopback_port();
    let (client, _driver) = client_on_driven_clock(
        &format!("http://{addr}"),
        RetryPolicy {
            max_retries: 100,
            ..RetryPolicy::default()
        },
    );
    let client = client.build().unwrap();

    let sent = send(&client, 150);
    assert!(
        eventually(PATIENCE, || client.metrics().retried >= 5).await,
        "{:?}",
        client.metrics()
    );
    let collector = start_collector(addr, MAX_EVENTS, Faults::default()).await;
    let report = flush(&client).await;

    assert!(report.is_complete(), "{report:?}");
    assert_exactly_once(&sent, &arrivals(&[&collector]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_never_comes_up_is_reported_to_the_failure_callback() {
    let failed: Arc<Mutex<Vec<FailedBatch>>> = Arc::default();
    let sink = Arc::clone(&failed);
    let (client, _driver) = client_on_driven_clock(
        &format!("http://{}", closed_loopback_port()),
        RetryPolicy {
            max_retries: 3,
            ..RetryPolicy::default()
        },
    );
    let client = client
        .on_failure(move |batch| sink.lock().unwrap().push(batch))
        .build()
        .unwrap();

    let sent = send(&client, 60);
    let report = flush(&client).await;

    let reported = sorted(report.undelivered().filter_map(|m| m.message_id()));
    let sent = sorted(sent);
    assert_eq!(reported, sent, "the report names every undelivered message");
    for batch in &report.failed {
        assert!(
            matches!(&batch.reason, FailureReason::RetriesExhausted { retries: 3, last } if last.contains("connection")),
            "{}",
            batch.reason
        );
    }
    let called_back = sorted(
        failed
            .lock()
            .unwrap()
            .iter()
            .flat_map(|b| b.messages.iter().filter_map(|m| m.message_id())),
    );
    assert_eq!(
        called_back, sent,
        "the callback got every undelivered message"
    );
    assert_eq!(client.metrics().failed, 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_refuses_and_counts_and_everything_accepted_arrives_after_recovery() {
    const CAPACITY: usize = 256 * 1024;
    const MAX_IN_FLIGHT: usize = 2;
    let addr = closed_loopback_port();
    let client = client_to(&format!("http://{addr}"))
        .queue_capacity_bytes(CAPACITY)
        .max_in_flight(MAX_IN_FLIGHT)
        .build()
        .unwrap();

    // ~1.2 KB messages until the queue has refused 50 in a row (bounded at 5,000 calls).
    let padding = "x".repeat(1_000);
    let (mut accepted, mut refused, mut refused_in_a_row) = (Vec::new(), 0u64, 0);
    for i in 0..5_000 {
        let event = RawEvent::new("Padded", json!({ "i": i, "padding": padding }));
        match client.track(&User::id("u1"), &event) {
            Ok(id) => {
                accepted.push(id.to_string());
                refused_in_a_row = 0;
            }
            Err(EnqueueError::QueueFull { capacity }) => {
                assert_eq!(capacity, CAPACITY);
                refused += 1;
                refused_in_a_row += 1;
                if refused_in_a_row == 50 {
                    break;
                }
            }
            Err(other) => panic!("unexpected refusal: {other}"),
        }
    }

    assert_eq!(
        client.metrics().refused,
        refused,
        "every refusal is counted"
    );
    // The cap holds what waits in the queue; the batches being retried (at most
    // MAX_IN_FLIGHT bodies of at most 500,000 bytes) have left it.
    let smallest_cost = padding.len() + 64;
    let most_accepted = (CAPACITY + MAX_IN_FLIGHT * MAX_BATCH_BYTES) / smallest_cost;
    assert!(
        accepted.len() <= most_accepted,
        "{} messages retained, the cap allows {most_accepted}",
        accepted.len()
    );
    assert!(
        accepted.len() >= CAPACITY / (2 * smallest_cost),
        "the queue filled up before refusing: {} accepted",
        accepted.len()
    );

    let collector = start_collector(addr, MAX_EVENTS, Faults::default()).await;
    let report = flush(&client).await;
    assert!(report.is_complete(), "{report:?}");
    assert_exactly_once(&accepted, &arrivals(&[&collector]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_returns_by_its_deadline_and_reports_what_was_not_delivered() {
    let hang_all = Faults {
        hang_every: Some(1),
        ..Faults::default()
    };
    let collector = start_collector(any_port(), MAX_EVENTS, hang_all).await;
    let failed: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&failed);
    // Without a deadline this client would wait 60 s per attempt, for hours of retries.
    let client = client_to(collector.url())
        .request_timeout(Duration::from_secs(60))
        .on_failure(move |batch| {
            assert_eq!(batch.reason, FailureReason::ShutdownDeadline);
            sink.lock()
                .unwrap()
                .extend(batch.messages.iter().filter_map(|m| m.message_id()));
        })
        .build()
        .unwrap();

    let sent = send(&client, 120);
    assert!(
        eventually(PATIENCE, || collector.stats().requests >= 1).await,
        "requests are hanging"
    );
    let report = tokio::time::timeout(PATIENCE, client.shutdown(Duration::from_millis(300)))
        .await
        .expect("shutdown returned by its deadline");

    let reported = sorted(report.undelivered().filter_map(|m| m.message_id()));
    let expected = sorted(sent);
    assert_eq!(
        reported, expected,
        "the report names every undelivered message"
    );
    assert!(report
        .failed
        .iter()
        .all(|b| b.reason == FailureReason::ShutdownDeadline));
    let called_back = sorted(failed.lock().unwrap().iter().cloned());
    assert_eq!(
        called_back, expected,
        "the callback got every undelivered message"
    );
    assert_eq!(report.delivered, 0);
    assert!(matches!(
        client.track(&User::id("u1"), &RawEvent::new("Late", json!({}))),
        Err(EnqueueError::ShutDown)
    ));
    assert_eq!(collector.stats().received, 0);
    stop(collector).await;
}

/// Stop a collector, releasing any request it still holds.
async fn stop(collector: Collector) {
    tokio::time::timeout(PATIENCE, collector.shutdown())
        .await
        .expect("the collector stopped")
        .expect("the collector's server ended cleanly");
}
