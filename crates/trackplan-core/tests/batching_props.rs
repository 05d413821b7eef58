//! Property tests of the whole pipeline (client, queue, worker, batcher) through `Capture`: for
//! arbitrary message sizes (up to and past the 32,000-byte limit), batch settings, flush and
//! pause timings, callers on several threads and retryable failures, no body is over 500,000
//! bytes or 2,500 messages (`flush_at` only triggers a batch), every accepted message arrives
//! exactly once (in order within a batch), and every call is either accepted or refused as too
//! large.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{json, Value};
use trackplan_core::testing::Capture;
use trackplan_core::{
    BatchRequest, Client, EnqueueError, RawEvent, RetryPolicy, SendFuture, Transport, User,
    MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES,
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn batches_respect_the_limits_and_lose_or_duplicate_nothing(
        sizes in proptest::collection::vec(0usize..31_000, 1..120),
        flush_at in 1usize..60,
        failures in proptest::collection::vec(prop_oneof![Just(500u16), Just(503), Just(429), Just(408)], 0..6),
        flush_every in 1usize..50,
    ) {
        let capture = Capture::new();
        capture.respond_with(failures);
        let client = capture
            .client_builder()
            .flush_at(flush_at)
            .flush_interval(Duration::from_millis(1))
            .retry_policy(RetryPolicy { max_retries: 10, base_backoff: Duration::ZERO, ..RetryPolicy::default() })
            .build()
            .unwrap();
        let mut ids = Vec::new();
        for (i, size) in sizes.iter().enumerate() {
            let event = RawEvent::new("Sized", json!({ "i": i, "pad": "x".repeat(*size) }));
            ids.push(client.track(&User::id("u"), &event).unwrap().to_string());
            if i % flush_every == 0 {
                prop_assert!(client.flush_blocking().is_complete());
            }
        }
        prop_assert!(client.shutdown_blocking(Duration::from_secs(30)).is_complete());

        for request in capture.requests() {
            let body = request.body.to_string();
            prop_assert!(body.len() <= MAX_BATCH_BYTES, "body of {} bytes", body.len());
            prop_assert!(request.body["batch"].as_array().is_some_and(|b| !b.is_empty() && b.len() <= MAX_BATCH_MESSAGES));
        }
        let delivered: Vec<String> = capture.messages().iter().map(|m| m["messageId"].as_str().unwrap_or_default().to_owned()).collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for id in &delivered {
            *counts.entry(id).or_default() += 1;
        }
        prop_assert!(counts.values().all(|&n| n == 1), "duplicates delivered");
        prop_assert_eq!(counts.len(), ids.len());
        // One batch in flight at a time by default is not guaranteed (2 in flight), so compare
        // as sets, and check order within each batch.
        for batch in capture.batches() {
            let positions: Vec<usize> = batch["batch"].as_array().unwrap().iter()
                .map(|m| ids.iter().position(|id| m["messageId"] == id.as_str()).unwrap())
                .collect();
            prop_assert!(positions.windows(2).all(|w| w[0] + 1 == w[1]), "a batch is a contiguous run of messages");
        }
    }
}

/// One request as sent: its exact body size and message count.
#[derive(Debug, Clone, Copy)]
struct Sent {
    body_bytes: usize,
    messages: usize,
    parsed_messages: usize,
}

/// A [`Capture`] that also records each body's exact size (Capture keeps the parsed JSON).
#[derive(Clone, Default)]
struct Sizing {
    capture: Capture,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl Transport for Sizing {
    fn send<'a>(&'a self, request: BatchRequest<'a>) -> SendFuture<'a> {
        let parsed_messages = serde_json::from_slice::<Value>(request.body)
            .ok()
            .and_then(|body| body["batch"].as_array().map(Vec::len))
            .unwrap_or(usize::MAX);
        self.sent.lock().unwrap().push(Sent {
            body_bytes: request.body.len(),
            messages: request.message_count,
            parsed_messages,
        });
        self.capture.send(request)
    }
}

impl Sizing {
    fn client(&self, flush_at: usize, flush_interval: Duration) -> Client {
        self.capture
            .client_builder()
            .transport(self.clone())
            .flush_at(flush_at)
            .flush_interval(flush_interval)
            .build()
            .expect("valid settings")
    }

    /// Every request respected Segment's batch limits and said how many messages it held.
    fn assert_within_limits(&self) {
        for sent in self.sent.lock().unwrap().iter() {
            assert!(
                sent.body_bytes <= MAX_BATCH_BYTES,
                "a body of {} bytes",
                sent.body_bytes
            );
            assert!(
                (1..=MAX_BATCH_MESSAGES).contains(&sent.messages),
                "a batch of {} messages",
                sent.messages
            );
            assert_eq!(sent.messages, sent.parsed_messages, "{sent:?}");
        }
    }

    /// How many times each messageId was delivered (answered 2xx).
    fn deliveries(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for message in self.capture.messages() {
            let id = message["messageId"].as_str().unwrap_or_default().to_owned();
            *counts.entry(id).or_insert(0) += 1;
        }
        counts
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Track an event whose padding property has this many bytes.
    Track(usize),
    Flush,
    Pause(Duration),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..300).prop_map(Op::Track),
        3 => (300usize..8_000).prop_map(Op::Track),
        // Around the per-message limit: some fit, some are refused.
        3 => (31_500usize..32_100).prop_map(Op::Track),
        1 => Just(Op::Flush),
        1 => (0u64..3).prop_map(|ms| Op::Pause(Duration::from_millis(ms))),
    ]
}

/// Retryable answers; the test client retries each batch 3 times, so at most 3 in a row can
/// never exhaust a batch's retries.
fn retryable_statuses() -> impl Strategy<Value = Vec<u16>> {
    prop::collection::vec(
        prop_oneof![Just(500), Just(503), Just(408), Just(429)],
        0..=3,
    )
}

/// What one caller thread enqueued.
#[derive(Default)]
struct Outcome {
    accepted: Vec<String>,
    too_large: usize,
}

fn run_ops(client: &Client, ops: &[Op], thread: usize) -> Outcome {
    let mut outcome = Outcome::default();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Track(padding) => {
                let event = RawEvent::new(
                    "Sized",
                    json!({ "thread": thread, "i": i, "padding": "p".repeat(*padding) }),
                );
                match client.track(&User::id("u1"), &event) {
                    Ok(id) => outcome.accepted.push(id.to_string()),
                    Err(EnqueueError::TooLarge { size, limit }) => {
                        assert_eq!(limit, MAX_MESSAGE_BYTES);
                        assert!(size > MAX_MESSAGE_BYTES && *padding > 31_000, "{size}");
                        outcome.too_large += 1;
                    }
                    Err(other) => panic!("unexpected refusal: {other}"),
                }
            }
            Op::Flush => {
                let report = client.flush_blocking();
                assert!(report.is_complete(), "{report:?}");
            }
            Op::Pause(pause) => std::thread::sleep(*pause),
        }
    }
    outcome
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn batches_stay_within_limits_and_deliver_every_message_once(
        flush_at in prop_oneof![1usize..10, 10usize..300, Just(MAX_BATCH_MESSAGES)],
        flush_interval_ms in 1u64..30,
        statuses in retryable_statuses(),
        threads in prop::collection::vec(prop::collection::vec(op(), 0..40), 1..=3),
    ) {
        let sizing = Sizing::default();
        sizing.capture.respond_with(statuses);
        let client = sizing.client(flush_at, Duration::from_millis(flush_interval_ms));

        let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = threads
                .iter()
                .enumerate()
                .map(|(t, ops)| {
                    let client = client.clone();
                    scope.spawn(move || run_ops(&client, ops, t))
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("caller thread")).collect()
        });
        let report = client.shutdown_blocking(Duration::from_secs(30));
        prop_assert!(report.is_complete(), "{:?}", report);

        sizing.assert_within_limits();
        let deliveries = sizing.deliveries();
        let accepted: Vec<&String> = outcomes.iter().flat_map(|o| &o.accepted).collect();
        for id in &accepted {
            prop_assert_eq!(deliveries.get(*id), Some(&1), "message {} delivered once", id);
        }
        prop_assert_eq!(deliveries.len(), accepted.len(), "nothing else was delivered");
        let tracked = threads.iter().flatten().filter(|op| matches!(op, Op::Track(_))).count();
        let too_large: usize = outcomes.iter().map(|o| o.too_large).sum();
        prop_assert_eq!(accepted.len() + too_large, tracked, "every call was accepted or refused");
        let metrics = client.metrics();
        prop_assert_eq!(metrics.delivered, accepted.len() as u64);
        prop_assert_eq!(metrics.failed, 0);
    }
}

/// Small messages reach the count limit before the byte limit: a batch holds 2,500 at most.
#[test]
fn tiny_messages_are_cut_at_2500_per_batch() {
    let sizing = Sizing::default();
    let client = sizing.client(MAX_BATCH_MESSAGES, Duration::from_secs(3600));
    let ids: Vec<String> = (0..6_000)
        .map(|i| {
            let message =
                json!({ "type": "track", "event": "e", "userId": "u", "messageId": i.to_string() });
            client.enqueue(message).expect("queued").to_string()
        })
        .collect();
    assert!(client.flush_blocking().is_complete());

    sizing.assert_within_limits();
    let sent = sizing.sent.lock().unwrap().clone();
    assert_eq!(
        sent.iter().map(|s| s.messages).max(),
        Some(MAX_BATCH_MESSAGES),
        "{sent:?}"
    );
    let deliveries = sizing.deliveries();
    assert!(ids.iter().all(|id| deliveries.get(id) == Some(&1)));
    assert_eq!(deliveries.len(), ids.len());
}

/// Messages just under the per-message limit fill batches by bytes: never over 500,000.
#[test]
fn large_messages_are_cut_by_bytes() {
    let sizing = Sizing::default();
    let client = sizing.client(MAX_BATCH_MESSAGES, Duration::from_secs(3600));
    let padding = "p".repeat(31_500);
    let ids: Vec<String> = (0..100)
        .map(|i| {
            let event = RawEvent::new("Large", json!({ "i": i, "padding": padding }));
            client
                .track(&User::id("u1"), &event)
                .expect("under the limit")
                .to_string()
        })
        .collect();
    assert!(client.flush_blocking().is_complete());

    sizing.assert_within_limits();
    let sent = sizing.sent.lock().unwrap().clone();
    assert!(
        sent.len() >= 7,
        "100 x 31.6 KB needs 7 bodies or more: {sent:?}"
    );
    assert!(
        sent.iter().any(|s| s.body_bytes > MAX_BATCH_BYTES - 32_000),
        "bodies are filled close to the limit: {sent:?}"
    );
    let deliveries = sizing.deliveries();
    assert!(ids.iter().all(|id| deliveries.get(id) == Some(&1)));
}
