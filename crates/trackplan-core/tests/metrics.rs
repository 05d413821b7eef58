//! `Client::metrics()` while deliveries are held up: what waits in the queue, what is in flight,
//! and that both return to zero once everything is delivered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Semaphore;
use trackplan_core::{
    BatchRequest, Client, Metrics, RawEvent, SendFuture, Transport, TransportResponse, User,
};

/// Accepts a request only when the test hands it a permit.
#[derive(Clone)]
struct Gate(Arc<Semaphore>);

impl Transport for Gate {
    fn send<'a>(&'a self, _request: BatchRequest<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            let permit = self.0.acquire().await.expect("gate open");
            permit.forget();
            Ok(TransportResponse::status(200))
        })
    }
}

fn wait_until(client: &Client, what: &str, done: impl Fn(&Metrics) -> bool) -> Metrics {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = client.metrics();
        if done(&metrics) {
            return metrics;
        }
        assert!(Instant::now() < deadline, "{what}: {metrics:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn metrics_show_the_queue_and_the_batches_in_flight() {
    let gate = Gate(Arc::new(Semaphore::new(0)));
    let client = Client::builder("key")
        .transport(gate.clone())
        .flush_at(10)
        .max_in_flight(1)
        .build()
        .unwrap();
    let send = |n: usize| {
        for i in 0..n {
            let event = RawEvent::new("Order Completed", json!({ "order_id": i }));
            client.track(&User::id("u1"), &event).unwrap();
        }
    };
    send(10);
    // The only request slot holds a batch the gate keeps from being answered.
    let held = wait_until(&client, "a batch in flight", |m| m.in_flight > 0);
    send(25);
    let metrics = wait_until(&client, "everything counted", |m| {
        m.queued + m.in_flight == 35
    });
    assert_eq!(metrics.in_flight, held.in_flight, "the slot is still busy");
    assert!(metrics.queued >= 25, "{metrics:?}");
    // Each queued message is charged at least its JSON and the queue entry.
    assert!(metrics.queued_bytes >= metrics.queued * 64, "{metrics:?}");
    assert_eq!(metrics.delivered, 0);

    gate.0.add_permits(1_000);
    assert!(client.flush_blocking().is_complete());
    let metrics = client.metrics();
    assert_eq!(
        (
            metrics.delivered,
            metrics.queued,
            metrics.queued_bytes,
            metrics.in_flight
        ),
        (35, 0, 0, 0)
    );
}
