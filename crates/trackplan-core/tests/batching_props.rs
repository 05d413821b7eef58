//! Property test of the whole pipeline (client, queue, worker, batcher) through `Capture`: for
//! arbitrary message sizes, batch sizes, failures and flush points, no body is over 500,000
//! bytes or 2,500 messages (`flush_at` only triggers a batch), and every accepted message arrives exactly once, in order.

use std::collections::HashMap;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::json;
use trackplan_core::testing::Capture;
use trackplan_core::{RawEvent, RetryPolicy, User, MAX_BATCH_BYTES, MAX_BATCH_MESSAGES};

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
