//! Adaptive request concurrency end to end: a backlog raises the number of requests in flight,
//! 429s bring it down, and a quiet client sends one request at a time.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Semaphore;
use trackplan_core::{
    BatchRequest, Client, FullPolicy, RawEvent, RetryPolicy, SendFuture, Transport,
    TransportResponse, User,
};

/// Answers after a fixed delay and records how many requests were in flight as each started;
/// in storm mode it answers every second request 429 without `Retry-After`. Requests wait for
/// the gate to open first, so a test can build a backlog that does not depend on how fast it
/// enqueues.
#[derive(Clone)]
struct CountingTransport {
    latency: Duration,
    gate: Arc<Semaphore>,
    storm: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    /// Requests in flight as each request started (itself included), in order.
    concurrency: Arc<Mutex<Vec<usize>>>,
    /// Messages in accepted requests.
    accepted: Arc<AtomicUsize>,
}

impl CountingTransport {
    fn with_latency(latency: Duration) -> CountingTransport {
        CountingTransport {
            latency,
            gate: Arc::new(Semaphore::new(Semaphore::MAX_PERMITS)),
            storm: Arc::default(),
            requests: Arc::default(),
            in_flight: Arc::default(),
            concurrency: Arc::default(),
            accepted: Arc::default(),
        }
    }

    fn closed(latency: Duration) -> CountingTransport {
        CountingTransport {
            gate: Arc::new(Semaphore::new(0)),
            ..Self::with_latency(latency)
        }
    }

    fn open(&self) {
        self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    }

    fn concurrency(&self) -> Vec<usize> {
        self.concurrency.lock().unwrap().clone()
    }
}

impl Transport for CountingTransport {
    fn send<'a>(&'a self, request: BatchRequest<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            drop(self.gate.acquire().await);
            let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.concurrency.lock().unwrap().push(now);
            tokio::time::sleep(self.latency).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            if self.storm.load(Ordering::SeqCst) && n.is_multiple_of(2) {
                return Ok(TransportResponse::status(429));
            }
            self.accepted
                .fetch_add(request.message_count, Ordering::SeqCst);
            Ok(TransportResponse::status(200))
        })
    }
}

fn client(transport: &CountingTransport, flush_interval: Duration) -> Client {
    Client::builder("key")
        .transport(transport.clone())
        .flush_interval(flush_interval)
        .when_full(FullPolicy::Block(Duration::from_secs(30)))
        // Short backoffs keep the storm quick; the rule under test is the controller's. Every
        // second request is refused, and with few in flight one batch can meet refusal after
        // refusal: enough retries that none runs out (it would fail before the flush that
        // reports it is called).
        .retry_policy(RetryPolicy {
            base_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            max_retries: 100,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

/// `n` messages of about 1 KB: some 450 fill a 500,000-byte batch.
fn track_padded(client: &Client, n: usize) {
    let pad = "x".repeat(1_000);
    for i in 0..n {
        let event = RawEvent::new("Padded", json!({ "i": i, "pad": pad }));
        client.track(&User::id("u"), &event).unwrap();
    }
}

#[test]
fn a_backlog_raises_the_requests_in_flight_and_429s_bring_them_down() {
    let transport = CountingTransport::closed(Duration::from_millis(20));
    let client = client(&transport, Duration::from_secs(60));
    assert_eq!(client.metrics().in_flight_limit, 1, "starts at one request");

    track_padded(&client, 15_000);
    transport.open();
    assert!(client.flush_blocking().is_complete());
    let backlog = transport.concurrency();
    let peak = backlog.iter().copied().max().unwrap();
    assert!(peak > 2, "the backlog raised concurrency: {backlog:?}");
    assert!(peak <= 32, "the default cap holds: {backlog:?}");
    // Slow start carries the backlog (some 33 full batches) in its first round trip: the
    // first 32 requests overlap instead of doubling 1, 2, 4... per round trip (at most 16).
    let first_round = backlog.iter().take(32).copied().max().unwrap();
    assert!(first_round >= 24, "{backlog:?}");
    let metrics = client.metrics();
    assert!(metrics.in_flight_limit > 2, "{metrics:?}");
    assert!(
        metrics
            .round_trip
            .is_some_and(|rtt| rtt >= Duration::from_millis(20)),
        "{metrics:?}"
    );

    transport.storm.store(true, Ordering::SeqCst);
    // The limit stays where the backlog took it until a 429 answers.
    track_padded(&client, 15_000);
    assert!(client.flush_blocking().is_complete());
    let storm = &transport.concurrency()[backlog.len()..];
    let tail = &storm[storm.len() - 10..];
    assert!(
        tail.iter().all(|&n| n <= 2),
        "429s on every second request leave one or two requests in flight: {storm:?}"
    );
    assert!(
        client.metrics().in_flight_limit <= 2,
        "{:?}",
        client.metrics()
    );
    assert_eq!(client.metrics().failed, 0, "{:?}", client.metrics());
    assert_eq!(transport.accepted.load(Ordering::SeqCst), 30_000);
}

#[test]
fn a_quiet_client_sends_one_request_at_a_time() {
    let transport = CountingTransport::with_latency(Duration::from_millis(5));
    let client = client(&transport, Duration::from_millis(50));
    let start = Instant::now();
    let mut sent = 0;
    while start.elapsed() < Duration::from_secs(1) {
        track_padded(&client, 1);
        sent += 1;
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(client
        .shutdown_blocking(Duration::from_secs(10))
        .is_complete());
    let concurrency = transport.concurrency();
    assert!(concurrency.len() >= 10, "{concurrency:?}");
    assert!(concurrency.iter().all(|&n| n == 1), "{concurrency:?}");
    assert_eq!(client.metrics().in_flight_limit, 1);
    assert_eq!(transport.accepted.load(Ordering::SeqCst), sent);
}
