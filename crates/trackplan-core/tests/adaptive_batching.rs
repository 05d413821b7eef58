//! Adaptive batching: `flush_at` triggers a batch, and a batch takes everything queued up to
//! the hard caps, so a backlog built while every request slot is busy leaves in full requests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use serde_json::json;
use tokio::sync::Semaphore;
use trackplan_core::{
    BatchRequest, Client, RawEvent, SendFuture, Transport, TransportResponse, User,
    MAX_BATCH_BYTES, MAX_BATCH_MESSAGES,
};

/// Holds every request until the test opens the gate, and records each body's size.
#[derive(Clone)]
struct GatedTransport {
    gate: Arc<Semaphore>,
    sent: Arc<Mutex<Vec<(usize, usize)>>>,
}

impl GatedTransport {
    fn closed() -> GatedTransport {
        GatedTransport {
            gate: Arc::new(Semaphore::new(0)),
            sent: Arc::default(),
        }
    }

    fn open(&self) {
        self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    }

    /// (messages, body bytes) of each request, in order.
    fn sent(&self) -> Vec<(usize, usize)> {
        self.sent.lock().unwrap().clone()
    }
}

impl Transport for GatedTransport {
    fn send<'a>(&'a self, request: BatchRequest<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            self.sent
                .lock()
                .unwrap()
                .push((request.message_count, request.body.len()));
            let _permit = self.gate.acquire().await;
            Ok(TransportResponse::status(200))
        })
    }
}

fn client(transport: &GatedTransport, flush_at: usize) -> Client {
    Client::builder("key")
        .transport(transport.clone())
        .flush_at(flush_at)
        .flush_interval(Duration::from_secs(60))
        .max_in_flight(1)
        .build()
        .unwrap()
}

fn track_padded(client: &Client, n: usize, pad: usize) {
    for i in 0..n {
        let event = RawEvent::new("Sized", json!({ "i": i, "pad": "x".repeat(pad) }));
        client.track(&User::id("u"), &event).unwrap();
    }
}

#[test]
fn light_load_sends_flush_at_sized_batches() {
    let transport = GatedTransport::closed();
    transport.open();
    let client = client(&transport, 10);
    for _ in 0..3 {
        track_padded(&client, 10, 0);
        assert!(client.flush_blocking().is_complete());
    }
    let counts: Vec<usize> = transport.sent().iter().map(|&(n, _)| n).collect();
    assert_eq!(counts, [10, 10, 10]);
}

#[test]
fn a_backlog_leaves_in_one_batch_when_the_slot_frees() {
    let transport = GatedTransport::closed();
    let client = client(&transport, 10);
    track_padded(&client, 1_000, 0);
    transport.open();
    assert!(client
        .shutdown_blocking(Duration::from_secs(30))
        .is_complete());
    let counts: Vec<usize> = transport.sent().iter().map(|&(n, _)| n).collect();
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert!(counts[0] >= 10, "{counts:?}");
    assert_eq!(counts[0] + counts[1], 1_000);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Behind a busy slot, every batch but the last is full to a hard cap (the next message
    /// would break the count or byte limit), and none exceeds them.
    #[test]
    fn backlog_batches_are_full_to_the_caps(
        count in 1usize..4_000,
        pad in prop_oneof![Just(0usize), 100usize..2_000],
        flush_at in 1usize..300,
    ) {
        let transport = GatedTransport::closed();
        let client = client(&transport, flush_at);
        track_padded(&client, count, pad);
        transport.open();
        prop_assert!(client.shutdown_blocking(Duration::from_secs(60)).is_complete());
        let sent = transport.sent();
        prop_assert_eq!(sent.iter().map(|&(n, _)| n).sum::<usize>(), count);
        // The first batch went out before the backlog built; the rest were cut from it.
        let backlog = &sent[1..];
        for (i, &(n, bytes)) in backlog.iter().enumerate() {
            prop_assert!(n <= MAX_BATCH_MESSAGES && bytes <= MAX_BATCH_BYTES);
            if i + 1 < backlog.len() {
                // Messages differ only in their index digits.
                let next_message = bytes / n + 8;
                prop_assert!(
                    n == MAX_BATCH_MESSAGES || bytes + next_message > MAX_BATCH_BYTES,
                    "batch {} of {} messages, {} bytes, is not full", i + 1, n, bytes
                );
            }
        }
    }
}

#[test]
fn a_fixed_limit_keeps_max_in_flight_batches_in_delivery() {
    let transport = GatedTransport::closed();
    let client = Client::builder("key")
        .transport(transport.clone())
        .flush_at(1)
        .max_in_flight(8)
        .adaptive_concurrency(false)
        .build()
        .unwrap();
    // With every slot held, each message queued while a slot is free leaves at once.
    for _ in 0..8 {
        let before = transport.sent().len();
        track_padded(&client, 1, 0);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while transport.sent().len() == before && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    assert_eq!(transport.sent().len(), 8);
    track_padded(&client, 5, 0);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(transport.sent().len(), 8, "a ninth request started");
    transport.open();
    assert!(client
        .shutdown_blocking(Duration::from_secs(30))
        .is_complete());
    let counts: Vec<usize> = transport.sent().iter().map(|&(n, _)| n).collect();
    assert_eq!(counts, [1, 1, 1, 1, 1, 1, 1, 1, 5]);
}
