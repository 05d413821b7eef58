//! The client end to end through `testing::Capture`: every call's wire JSON, per-call options,
//! validation, refusals, flush and shutdown, failure reporting.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use trackplan_core::context::App;
use trackplan_core::testing::Capture;
use trackplan_core::{
    CallOptions, Client, Context, EnqueueError, Event, FailedBatch, FailureReason, ObjectWriter,
    PlanMetadata, Properties, RawEvent, RawProperties, User, ValidationPolicy, Violation,
};

fn library() -> Value {
    json!({ "name": "trackplan", "version": env!("CARGO_PKG_VERSION") })
}

/// Drop the fields that change on every run so whole messages can be compared.
fn stable(mut message: Value) -> Value {
    let object = message.as_object_mut().expect("message is an object");
    let id = object.remove("messageId").expect("messageId");
    assert_eq!(id.as_str().map(str::len), Some(36), "UUID messageId: {id}");
    let timestamp = object.remove("timestamp").expect("timestamp");
    assert!(
        timestamp
            .as_str()
            .is_some_and(|t| t.len() == 24 && t.ends_with('Z')),
        "{timestamp}"
    );
    message
}

#[test]
fn every_call_type_produces_the_exact_wire_message() {
    let capture = Capture::new();
    let client = capture
        .client_builder()
        .context(Context::new().app(App {
            name: Some("shop".into()),
            ..App::default()
        }))
        .build()
        .unwrap();
    let user = User::id("u1").with_anonymous_id("a1");
    client
        .track(
            &user,
            &RawEvent::new("Order Completed", json!({ "total": 9.5 })),
        )
        .unwrap();
    client
        .identify(&User::id("u1"), &RawProperties(json!({ "email": "a@b.c" })))
        .unwrap();
    client
        .group(
            &User::anonymous("a1"),
            "g1",
            &RawProperties(json!({ "name": "Acme" })),
        )
        .unwrap();
    client
        .page(
            &User::id("u1"),
            "Home",
            &RawProperties(json!({ "url": "https://x.example" })),
        )
        .unwrap();
    client
        .screen(&User::id("u1"), "", &trackplan_core::NoProperties)
        .unwrap();
    client.alias(&User::id("u1"), "a1").unwrap();
    assert!(client.flush_blocking().is_complete());

    let context = json!({ "app": { "name": "shop" }, "library": library() });
    let messages: Vec<Value> = capture.messages().into_iter().map(stable).collect();
    assert_eq!(
        messages,
        [
            json!({ "type": "track", "userId": "u1", "anonymousId": "a1", "event": "Order Completed", "properties": { "total": 9.5 }, "context": context }),
            json!({ "type": "identify", "userId": "u1", "traits": { "email": "a@b.c" }, "context": context }),
            json!({ "type": "group", "anonymousId": "a1", "groupId": "g1", "traits": { "name": "Acme" }, "context": context }),
            json!({ "type": "page", "userId": "u1", "name": "Home", "properties": { "url": "https://x.example" }, "context": context }),
            json!({ "type": "screen", "userId": "u1", "properties": {}, "context": context }),
            json!({ "type": "alias", "userId": "u1", "previousId": "a1", "context": context }),
        ]
    );
    let batch = &capture.batches()[0];
    assert_eq!(batch["writeKey"], "test-write-key");
    assert!(batch["sentAt"].as_str().is_some_and(|s| s.len() == 24));
}

#[test]
fn call_options_reach_the_wire_and_library_always_wins() {
    let capture = Capture::new();
    let client = capture.client();
    let at = time::macros::datetime!(2024-05-06 07:08:09.010 UTC);
    let options = CallOptions::new()
        .message_id("fixed-id")
        .timestamp(at)
        .context_json(json!({ "ip": "203.0.113.7", "library": { "name": "other" } }))
        .unwrap()
        .integrations_json(json!({ "All": false, "Amplitude": true }))
        .unwrap();
    let id = client
        .track_with(&User::id("u1"), &RawEvent::new("A", json!({})), &options)
        .unwrap();
    assert_eq!(id.as_str(), "fixed-id");
    client.flush_blocking();
    let message = capture.assert_tracked("A");
    assert_eq!(message["messageId"], "fixed-id");
    assert_eq!(message["timestamp"], "2024-05-06T07:08:09.010Z");
    assert_eq!(
        message["context"],
        json!({ "ip": "203.0.113.7", "library": library() })
    );
    assert_eq!(
        message["integrations"],
        json!({ "All": false, "Amplitude": true })
    );
}

/// A typed event written the way the derive writes it.
struct OrderCompleted {
    order_id: String,
    total: f64,
}

impl Properties for OrderCompleted {
    fn write_properties(&self, out: &mut Vec<u8>) -> Result<(), trackplan_core::EncodeError> {
        let mut w = ObjectWriter::new(out);
        w.field("\"order_id\":", &self.order_id)?;
        w.field("\"total\":", &self.total)?;
        w.end();
        Ok(())
    }
    fn violations(&self) -> Vec<Violation> {
        if self.total < 0.0 {
            vec![Violation {
                path: "/total".into(),
                rule: "minimum",
                message: "must be >= 0".into(),
            }]
        } else {
            Vec::new()
        }
    }
    fn plan_metadata(&self) -> Option<PlanMetadata> {
        Some(PlanMetadata {
            plan: "Shop",
            event_version: Some(2),
            generator_version: "0.1.0",
        })
    }
}

impl Event for OrderCompleted {
    fn event_name(&self) -> &str {
        "Order Completed"
    }
}

#[test]
fn typed_events_carry_plan_metadata_and_violations_follow_the_policy() {
    let capture = Capture::new();
    let client = capture.client();
    let order = OrderCompleted {
        order_id: "o-1".into(),
        total: 12.5,
    };
    client.track(&User::id("u1"), &order).unwrap();
    let bad = OrderCompleted {
        order_id: "o-2".into(),
        total: -1.0,
    };
    let err = client.track(&User::id("u1"), &bad).unwrap_err();
    assert!(matches!(err, EnqueueError::PlanViolation { .. }), "{err}");
    assert!(
        err.to_string().contains("/total: must be >= 0 (minimum)"),
        "{err}"
    );
    client.flush_blocking();
    let message = capture.assert_tracked_with("Order Completed", json!({ "order_id": "o-1" }));
    assert_eq!(
        message["properties"],
        json!({ "order_id": "o-1", "total": 12.5 })
    );
    assert_eq!(
        message["context"]["protocols"],
        json!({ "event_version": 2 })
    );
    assert_eq!(
        message["context"]["trackplan"],
        json!({ "plan": "Shop", "generator_version": "0.1.0" })
    );
    assert_eq!(capture.tracks().len(), 1);

    let warned = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&warned);
    let warning = capture
        .client_builder()
        .validation(ValidationPolicy::warn(move |what, v| {
            sink.lock().unwrap().push(format!("{what}: {}", v[0]))
        }))
        .build()
        .unwrap();
    warning.track(&User::id("u1"), &bad).unwrap();
    warning.flush_blocking();
    assert_eq!(
        *warned.lock().unwrap(),
        ["track \"Order Completed\": /total: must be >= 0 (minimum)"]
    );
    assert_eq!(capture.events_named("Order Completed").len(), 2);
}

#[test]
fn required_fields_are_checked_before_anything_is_queued() {
    let capture = Capture::new();
    let client = capture.client();
    let missing = |result: Result<_, EnqueueError>| match result {
        Err(EnqueueError::MissingField { field, .. }) => field,
        other => panic!("expected a missing field, got {other:?}"),
    };
    assert_eq!(
        missing(client.track(&User::id("u"), &RawEvent::new("", json!({})))),
        "event"
    );
    assert_eq!(
        missing(client.group(&User::id("u"), "", &RawProperties(json!({})))),
        "groupId"
    );
    assert_eq!(missing(client.alias(&User::anonymous("a"), "p")), "userId");
    assert_eq!(missing(client.alias(&User::id("u"), "")), "previousId");
    assert_eq!(
        missing(client.identify(&User::id(""), &RawProperties(json!({})))),
        "userId or anonymousId"
    );
    assert!(matches!(
        client.track(&User::id("u"), &RawEvent::new("A", json!([1]))),
        Err(EnqueueError::Encode(_))
    ));
    assert!(matches!(
        client.track(&User::id("u"), &RawEvent::new("A", json!({ "blob": "x".repeat(40_000) }))),
        Err(EnqueueError::TooLarge { size, limit: 32_000 }) if size > 40_000
    ));
    client.flush_blocking();
    assert!(capture.messages().is_empty());
}

#[test]
fn enqueue_keeps_ids_and_timestamps_and_fills_the_rest() {
    let capture = Capture::new();
    let client = capture.client();
    client
        .enqueue(json!({ "type": "track", "event": "Imported", "userId": "u", "messageId": "m-1", "timestamp": "2020-01-01T00:00:00.000Z" }))
        .unwrap();
    let filled = client
        .enqueue(json!({ "type": "identify", "anonymousId": "a" }))
        .unwrap();
    client.flush_blocking();
    let messages = capture.messages();
    assert_eq!(messages[0]["messageId"], "m-1");
    assert_eq!(messages[0]["timestamp"], "2020-01-01T00:00:00.000Z");
    assert_eq!(messages[0]["context"]["library"], library());
    assert_eq!(messages[1]["messageId"], filled.as_str());
}

#[test]
fn failures_go_to_the_callback_and_the_flush_report() {
    let capture = Capture::new();
    let failed: Arc<Mutex<Vec<FailedBatch>>> = Arc::default();
    let sink = Arc::clone(&failed);
    let client = capture
        .client_builder()
        .on_failure(move |batch| sink.lock().unwrap().push(batch))
        .build()
        .unwrap();
    capture.respond_with([400]);
    let id = client
        .track(&User::id("u"), &RawEvent::new("Lost", json!({})))
        .unwrap();
    let report = client.flush_blocking();
    assert_eq!(report.delivered, 0);
    assert_eq!(report.failed_count(), 1);
    assert_eq!(
        report.failed[0].reason,
        FailureReason::Rejected { status: 400 }
    );
    let failed = failed.lock().unwrap();
    assert_eq!(
        failed[0].messages[0].message_id().as_deref(),
        Some(id.as_str())
    );
    assert_eq!(client.metrics().failed, 1);
    capture.assert_not_tracked("Lost");
}

#[test]
fn retries_resend_the_same_messages_with_a_retry_count() {
    let capture = Capture::new();
    let client = capture.client();
    capture.respond_with([500, 503]);
    client
        .track(&User::id("u"), &RawEvent::new("Kept", json!({})))
        .unwrap();
    let report = client.flush_blocking();
    assert_eq!(report.delivered, 1);
    let requests = capture.requests();
    assert_eq!(
        requests
            .iter()
            .map(|r| (r.status, r.retry_count))
            .collect::<Vec<_>>(),
        [(500, 0), (503, 1), (200, 2)]
    );
    let ids: Vec<&Value> = requests
        .iter()
        .map(|r| &r.body["batch"][0]["messageId"])
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(capture.events_named("Kept").len(), 1);
    assert_eq!(client.metrics().retried, 2);
    assert_eq!(client.metrics().delivered, 1);
}

#[test]
fn shutdown_delivers_everything_and_later_calls_are_refused() {
    let capture = Capture::new();
    let client = capture
        .client_builder()
        .flush_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    for i in 0..600 {
        client
            .track(
                &User::id(format!("u{i}")),
                &RawEvent::new("E", json!({ "i": i })),
            )
            .unwrap();
    }
    let report = client.shutdown_blocking(Duration::from_secs(10));
    assert!(report.is_complete());
    assert!(report.delivered <= 600);
    assert_eq!(client.metrics().delivered, 600);
    assert_eq!(capture.tracks().len(), 600);
    // 250 queued messages trigger a batch, which takes everything queued by then; shutdown
    // sends the rest, whatever its size.
    let sizes: Vec<usize> = capture
        .batches()
        .iter()
        .map(|b| b["batch"].as_array().map_or(0, Vec::len))
        .collect();
    assert!(sizes.iter().all(|&n| n > 0), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 600);
    assert!(matches!(
        client.track(&User::id("u"), &RawEvent::new("Late", json!({}))),
        Err(EnqueueError::ShutDown)
    ));
    assert!(matches!(
        client.enqueue(json!({ "type": "identify", "userId": "u" })),
        Err(EnqueueError::ShutDown)
    ));
}

#[tokio::test]
async fn async_flush_and_shutdown_work_inside_a_runtime() {
    let capture = Capture::new();
    let client = capture.client();
    client
        .identify(&User::id("u"), &RawProperties(json!({ "plan": "pro" })))
        .unwrap();
    assert_eq!(client.flush().await.delivered, 1);
    client
        .identify(&User::id("u"), &RawProperties(json!({ "plan": "max" })))
        .unwrap();
    assert_eq!(client.shutdown(Duration::from_secs(5)).await.delivered, 1);
    assert_eq!(capture.identifies().len(), 2);
}

#[test]
fn dropping_the_last_handle_delivers_what_is_queued() {
    let capture = Capture::new();
    let client = capture
        .client_builder()
        .flush_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    let clone = client.clone();
    client
        .track(&User::id("u"), &RawEvent::new("Before Drop", json!({})))
        .unwrap();
    drop(client);
    clone
        .track(&User::id("u"), &RawEvent::new("Still Open", json!({})))
        .unwrap();
    drop(clone);
    assert_eq!(capture.event_names(), ["Before Drop", "Still Open"]);
}

#[test]
fn typed_helpers_deserialise_properties() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Order {
        total: f64,
    }
    let capture = Capture::new();
    let client = capture.client();
    client
        .track(
            &User::id("u"),
            &RawEvent::new("Order Completed", json!({ "total": 3.0 })),
        )
        .unwrap();
    client.flush_blocking();
    assert_eq!(
        capture.tracked::<Order>("Order Completed").unwrap(),
        [Order { total: 3.0 }]
    );
    assert_eq!(capture.last().unwrap()["event"], "Order Completed");
}

#[test]
fn build_reports_every_bad_setting_at_once() {
    let err = Client::builder("")
        .flush_at(0)
        .max_in_flight(0)
        .endpoint("http://example.com")
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.problems().len(), 4, "{text}");
    for part in [
        "write key is empty",
        "flush_at = 0",
        "max_in_flight = 0",
        "allow_insecure_http(true)",
    ] {
        assert!(text.contains(part), "{part} missing from: {text}");
    }
    assert!(Client::builder("k").endpoint("not a url").build().is_err());
    assert!(Client::builder("k").flush_at(2_501).build().is_err());
    assert!(Client::builder("k")
        .queue_capacity_bytes(100)
        .build()
        .is_err());
    // A context is typed; an untyped one that is not an object is refused where it is given.
    assert!(CallOptions::new().context_json(json!([1])).is_err());
    assert!(Client::builder("k")
        .endpoint("http://127.0.0.1:9")
        .build()
        .is_ok());
    assert!(Client::builder("k")
        .endpoint("http://example.com")
        .allow_insecure_http(true)
        .build()
        .is_ok());
}

#[test]
fn the_write_key_never_shows_in_debug_or_errors() {
    let secret = "sk_live_DO_NOT_LEAK";
    let builder = Client::builder(secret).endpoint("http://example.com");
    assert!(!format!("{builder:?}").contains(secret));
    let err = builder.build().unwrap_err();
    assert!(!format!("{err} {err:?}").contains(secret));
    let client = Client::builder(secret)
        .endpoint("http://127.0.0.1:9")
        .build()
        .unwrap();
    assert!(!format!("{client:?}").contains(secret));
    let _ = client.shutdown_blocking(Duration::from_millis(10));
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_inside_a_runtime_does_not_block_and_still_delivers() {
    let capture = Capture::new();
    let client = capture
        .client_builder()
        .flush_interval(Duration::from_secs(3600))
        .drop_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    client
        .track(
            &User::id("u"),
            &RawEvent::new("Dropped In Async", json!({})),
        )
        .unwrap();
    let started = std::time::Instant::now();
    drop(client);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "drop must not wait out its 60 s timeout on an async thread"
    );
    for _ in 0..500 {
        if !capture.tracks().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    capture.assert_tracked("Dropped In Async");
}

#[test]
fn regions_have_segment_ingestion_endpoints() {
    assert_eq!(
        trackplan_core::Region::Us.endpoint(),
        "https://api.segment.io"
    );
    assert_eq!(
        trackplan_core::Region::Eu.endpoint(),
        "https://events.eu1.segmentapis.com"
    );
    assert!(Client::builder("k")
        .region(trackplan_core::Region::Eu)
        .build()
        .is_ok());
}

/// Delivered messages' buffers are handed back to callers for their next message: whatever
/// sizes follow each other, every message is exactly its own JSON, nothing of an earlier one.
#[test]
fn reused_buffers_carry_nothing_of_earlier_messages() {
    let capture = Capture::new();
    let client = capture.client_builder().flush_at(5).build().unwrap();
    let text = |i: usize| "x".repeat((i * 37) % 900);
    for i in 0..400 {
        client
            .track(
                &User::id(format!("u{i}")),
                &RawEvent::new("E", json!({ "i": i, "text": text(i) })),
            )
            .unwrap();
        if i % 50 == 49 {
            // Let batches come back so that later calls encode into recycled buffers.
            assert!(client.flush_blocking().is_complete());
        }
    }
    assert!(client
        .shutdown_blocking(Duration::from_secs(10))
        .is_complete());
    let tracks = capture.tracks();
    assert_eq!(tracks.len(), 400);
    for (i, message) in tracks.iter().enumerate() {
        assert_eq!(message["userId"], format!("u{i}"));
        assert_eq!(message["properties"], json!({ "i": i, "text": text(i) }));
    }
}
