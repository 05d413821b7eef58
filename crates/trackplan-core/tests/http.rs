//! The client against a real HTTP server on 127.0.0.1: headers, gzip, exact wire JSON, batch
//! splitting, injected faults (every message delivered exactly once), failure reporting, the
//! queue's full policy, shutdown.

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use support::{driving, Answer, Server};
use trackplan_core::testing::ManualClock;
use trackplan_core::{
    Client, ClientBuilder, EnqueueError, FailedBatch, FailureReason, FullPolicy, RawEvent,
    RawProperties, RetryPolicy, User,
};

const KEY: &str = "test_write_key";

/// Test timings for the tests on the real clock: retries after ~1 ms, Retry-After waits capped
/// at 20 ms. Tests of the waits themselves use Segment's policy on a [`ManualClock`] instead.
fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        min_retry_after: Duration::ZERO,
        max_retry_after: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

fn client_for(server: &Server) -> ClientBuilder {
    Client::builder(KEY)
        .endpoint(&server.url)
        .retry_policy(fast_retries())
        // Generous: on a loaded machine a 500,000-byte request can take a while, and a timed-out
        // request the server did take would be a duplicate. The test of a hanging server sets
        // its own short timeout.
        .request_timeout(Duration::from_secs(10))
        .flush_interval(Duration::from_secs(3600))
}

fn event(i: usize) -> RawEvent {
    RawEvent::new(
        "Order Completed",
        json!({ "order_id": format!("o-{i}"), "total": i }),
    )
}

fn send(client: &Client, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            client
                .track(&User::id(format!("u{i}")), &event(i))
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Poll `condition` (bounded at 10 s): whether it became true.
fn eventually(condition: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !condition() {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// Every id accepted exactly once, and nothing else.
fn assert_exactly_once(server: &Server, ids: &[String]) {
    let delivered = server.delivered_ids();
    for id in ids {
        assert_eq!(
            delivered.get(id),
            Some(&1),
            "message {id} delivered {:?} times",
            delivered.get(id)
        );
    }
    assert_eq!(delivered.len(), ids.len());
}

#[test]
fn requests_carry_auth_content_type_user_agent_and_a_gzip_body() {
    let server = Server::start();
    let client = client_for(&server).build().unwrap();
    let id = client.track(&User::id("u1"), &event(1)).unwrap();
    assert!(client.flush_blocking().is_complete());

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    // base64("test_write_key:")
    assert_eq!(
        request.header("authorization"),
        Some("Basic dGVzdF93cml0ZV9rZXk6")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("content-encoding"), Some("gzip"));
    assert_eq!(
        request.header("user-agent"),
        Some(concat!("trackplan/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(request.header("x-retry-count"), None);
    assert!(request.wire_len < request.json_len);
    assert_eq!(request.body["writeKey"], KEY);
    assert!(request.body["sentAt"]
        .as_str()
        .is_some_and(|s| s.len() == 24 && s.ends_with('Z')));
    let message = &request.messages()[0];
    assert_eq!(message["messageId"], id.as_str());
    assert_eq!(
        message["properties"],
        json!({ "order_id": "o-1", "total": 1 })
    );
}

#[test]
fn every_call_type_arrives_as_exact_json_without_gzip() {
    let server = Server::start();
    let client = client_for(&server).gzip(false).build().unwrap();
    let user = User::id("u1");
    client.track(&user, &event(7)).unwrap();
    client
        .identify(&user, &RawProperties(json!({ "email": "a@b.c" })))
        .unwrap();
    client
        .group(&user, "g1", &RawProperties(json!({ "name": "Acme" })))
        .unwrap();
    client
        .page(
            &User::anonymous("a1"),
            "Pricing",
            &RawProperties(json!({ "path": "/pricing" })),
        )
        .unwrap();
    client
        .screen(&user, "Home", &RawProperties(json!({ "tab": 2 })))
        .unwrap();
    client.alias(&user, "a1").unwrap();
    client.enqueue(json!({ "type": "track", "event": "Imported", "userId": "u1", "messageId": "m-1", "timestamp": "2020-01-01T00:00:00.000Z" })).unwrap();
    assert!(client.flush_blocking().is_complete());

    let requests = server.requests();
    assert_eq!(requests[0].header("content-encoding"), None);
    assert_eq!(requests[0].wire_len, requests[0].json_len);
    let library =
        json!({ "library": { "name": "trackplan", "version": env!("CARGO_PKG_VERSION") } });
    let mut messages = server.delivered();
    let imported = messages.pop().unwrap();
    assert_eq!(
        imported,
        json!({ "type": "track", "event": "Imported", "userId": "u1", "messageId": "m-1", "timestamp": "2020-01-01T00:00:00.000Z", "context": library })
    );
    for message in &mut messages {
        let object = message.as_object_mut().unwrap();
        assert!(object
            .remove("messageId")
            .is_some_and(|id| id.as_str().is_some_and(|s| s.len() == 36)));
        assert!(object.remove("timestamp").is_some_and(|t| t.is_string()));
    }
    assert_eq!(
        messages,
        [
            json!({ "type": "track", "userId": "u1", "event": "Order Completed", "properties": { "order_id": "o-7", "total": 7 }, "context": library }),
            json!({ "type": "identify", "userId": "u1", "traits": { "email": "a@b.c" }, "context": library }),
            json!({ "type": "group", "userId": "u1", "groupId": "g1", "traits": { "name": "Acme" }, "context": library }),
            json!({ "type": "page", "anonymousId": "a1", "name": "Pricing", "properties": { "path": "/pricing" }, "context": library }),
            json!({ "type": "screen", "userId": "u1", "name": "Home", "properties": { "tab": 2 }, "context": library }),
            json!({ "type": "alias", "userId": "u1", "previousId": "a1", "context": library }),
        ]
    );
}

#[test]
fn batches_split_by_count() {
    let server = Server::start();
    let client = client_for(&server).flush_at(10).build().unwrap();
    let sizes = |server: &Server| -> Vec<usize> {
        server
            .requests()
            .iter()
            .map(|r| r.messages().len())
            .collect()
    };
    // The flush interval is an hour: only the count sends these. (A batch takes everything
    // queued when it starts, so the rounds are enqueued one at a time.)
    let mut ids = Vec::new();
    for round in 1..=2 {
        ids.extend(send(&client, 10));
        assert!(eventually(|| server.requests().len() == round));
        assert_eq!(sizes(&server), vec![10; round]);
    }
    ids.extend(send(&client, 5));
    assert!(client.flush_blocking().is_complete());
    assert_eq!(sizes(&server), [10, 10, 5]);
    assert_exactly_once(&server, &ids);
}

#[test]
fn batches_split_by_bytes_and_never_exceed_500_000() {
    let server = Server::start();
    let client = client_for(&server).flush_at(2_500).build().unwrap();
    let blob = "x".repeat(31_000);
    let ids: Vec<String> = (0..40)
        .map(|i| {
            client
                .track(
                    &User::id("u"),
                    &RawEvent::new("Big", json!({ "i": i, "blob": blob })),
                )
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(client.flush_blocking().is_complete());
    let requests = server.requests();
    assert!(
        requests.len() >= 3,
        "40 x 31 KB needs at least 3 bodies, got {}",
        requests.len()
    );
    for request in &requests {
        assert!(
            request.json_len <= 500_000,
            "body of {} bytes",
            request.json_len
        );
        // Full bodies are cut because the next message would not fit.
        assert!(request.json_len > 500_000 - 32_000 || request.messages().len() < 16);
    }
    assert_exactly_once(&server, &ids);
}

#[test]
fn batches_go_out_after_the_flush_interval_without_a_flush() {
    let server = Server::start();
    let clock = ManualClock::new();
    let client = client_for(&server)
        .flush_interval(Duration::from_secs(5))
        .clock(clock.clone())
        .build()
        .unwrap();
    let ids = send(&client, 3);
    // The interval runs from the first message: the client's only timer is 5 s away. (On a
    // loaded machine the worker may still hold a timer that is already due: wait it out.)
    assert!(
        eventually(|| clock.next_wake().is_some_and(|at| at > clock.now())),
        "no flush timer"
    );
    assert!(server.requests().is_empty(), "sent before the interval");
    assert_eq!(clock.advance_to_next_wake(), Duration::from_secs(5));
    assert!(
        server.wait_for_delivered(3, Duration::from_secs(10)),
        "interval flush never happened"
    );
    assert_eq!(server.requests().len(), 1);
    assert_exactly_once(&server, &ids);
}

#[test]
fn faults_are_retried_until_every_message_is_delivered_exactly_once() {
    let server = Server::start();
    server.script([
        Answer::Status(500),
        Answer::RetryAfter(429, "1"),
        Answer::Status(408),
        Answer::Hang,
        Answer::Status(503),
        Answer::Status(460),
        Answer::RetryAfter(429, "Wed, 21 Oct 2015 07:28:00 GMT"),
        Answer::Status(410),
    ]);
    // Segment's own backoff and Retry-After bounds, passed on the manual clock.
    let clock = ManualClock::new();
    let client = client_for(&server)
        .retry_policy(RetryPolicy::default())
        .clock(clock.clone())
        // The request timeout runs on the real clock: the hang costs this much.
        .request_timeout(Duration::from_millis(300))
        .flush_at(10)
        .max_in_flight(2)
        .build()
        .unwrap();
    let ids = send(&client, 50);
    let report = driving(&clock, || client.flush_blocking());
    assert!(report.is_complete(), "{report:?}");
    assert_exactly_once(&server, &ids);

    let requests = server.requests();
    assert_eq!(requests.iter().filter(|r| !r.accepted()).count(), 8);
    // A retried batch keeps its messages and order, and says which retry it is.
    for request in requests
        .iter()
        .filter(|r| r.header("x-retry-count").is_some())
    {
        let first = request.messages()[0]["messageId"].clone();
        let original = requests
            .iter()
            .find(|r| r.messages()[0]["messageId"] == first)
            .unwrap();
        assert_eq!(
            original.header("x-retry-count"),
            None,
            "first attempts carry no X-Retry-Count"
        );
        assert_eq!(
            request
                .messages()
                .iter()
                .map(|m| &m["messageId"])
                .collect::<Vec<_>>(),
            original
                .messages()
                .iter()
                .map(|m| &m["messageId"])
                .collect::<Vec<_>>()
        );
    }
    let counts: HashSet<&str> = requests
        .iter()
        .filter_map(|r| r.header("x-retry-count"))
        .collect();
    assert!(counts.contains("1"));
    let metrics = client.metrics();
    assert_eq!(
        (metrics.delivered, metrics.retried, metrics.failed),
        (50, 8, 0)
    );
}

#[test]
fn sent_at_is_fresh_on_every_attempt() {
    let server = Server::start();
    server.script([Answer::Status(500)]);
    let clock = ManualClock::new();
    let client = client_for(&server)
        .retry_policy(RetryPolicy::default())
        .clock(clock.clone())
        .build()
        .unwrap();
    send(&client, 1);
    driving(&clock, || client.flush_blocking());
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].header("x-retry-count"), Some("1"));
    // The only wait was the backoff, 0.5 s x U[1, 2), and the retry's sentAt is that much
    // later (to the millisecond the text has).
    let backoff = clock.elapsed();
    assert!(
        backoff >= Duration::from_millis(500) && backoff < Duration::from_secs(1),
        "{backoff:?}"
    );
    let sent_at = |request: &support::Recorded| {
        let text = request.body["sentAt"].as_str().unwrap().to_owned();
        time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339).unwrap()
    };
    let gap = Duration::try_from(sent_at(&requests[1]) - sent_at(&requests[0])).unwrap();
    assert!(
        gap.abs_diff(backoff) < Duration::from_millis(1),
        "{gap:?} vs {backoff:?}"
    );
    // The event's timestamp is read from the same clock at enqueue, and a retry keeps it.
    let timestamp = &requests[0].messages()[0]["timestamp"];
    assert_eq!(timestamp, &requests[0].body["sentAt"]);
    assert_eq!(&requests[1].messages()[0]["timestamp"], timestamp);
}

#[test]
fn rejected_batches_go_to_the_failure_callback_and_the_rest_is_delivered() {
    let server = Server::start();
    server.script([Answer::Status(400)]);
    let failed: Arc<Mutex<Vec<FailedBatch>>> = Arc::default();
    let sink = Arc::clone(&failed);
    let client = client_for(&server)
        .flush_at(5)
        .max_in_flight(1)
        .on_failure(move |batch| sink.lock().unwrap().push(batch))
        .build()
        .unwrap();
    // The first batch is refused; the second five are enqueued once it was reported (a batch
    // takes everything queued when it starts) and delivered.
    let mut ids = send(&client, 5);
    assert!(eventually(|| failed.lock().unwrap().len() == 1));
    ids.extend(send(&client, 5));
    let report = client.flush_blocking();
    assert!(report.is_complete());
    assert_eq!(report.delivered, 5);
    let failed = failed.lock().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].reason, FailureReason::Rejected { status: 400 });
    let failed_ids: Vec<String> = failed[0]
        .messages
        .iter()
        .filter_map(|m| m.message_id())
        .collect();
    assert_eq!(failed_ids, ids[..5]);
    assert_exactly_once(&server, &ids[5..]);
    assert_eq!(client.metrics().failed, 5);
}

#[test]
fn exhausted_retries_are_reported_not_dropped() {
    let server = Server::start();
    server.every(1, 503);
    let failed = Arc::new(Mutex::new(0));
    let sink = Arc::clone(&failed);
    let client = client_for(&server)
        .max_retries(2)
        .on_failure(move |batch| *sink.lock().unwrap() += batch.messages.len())
        .build()
        .unwrap();
    send(&client, 3);
    let report = client.flush_blocking();
    assert!(
        matches!(
            report.failed[0].reason,
            FailureReason::RetriesExhausted { retries: 2, .. }
        ),
        "{report:?}"
    );
    assert_eq!(server.requests().len(), 3);
    assert_eq!(*failed.lock().unwrap(), 3);
}

#[test]
fn a_full_queue_refuses_or_blocks_and_nothing_accepted_is_lost() {
    let server = Server::start();
    server.script(std::iter::repeat_n(Answer::Hang, 100));
    let client = client_for(&server)
        .flush_at(1)
        .max_in_flight(1)
        .queue_capacity_bytes(40_000)
        .request_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut accepted = 0;
    let mut refused = 0;
    for i in 0..500 {
        match client.track(&User::id("u"), &event(i)) {
            Ok(_) => accepted += 1,
            Err(EnqueueError::QueueFull { capacity: 40_000 }) => refused += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert!(
        refused > 0 && accepted > 0,
        "accepted {accepted}, refused {refused}"
    );
    assert_eq!(client.metrics().refused, refused);

    let blocking = client_for(&server)
        .queue_capacity_bytes(40_000)
        .when_full(FullPolicy::Block(Duration::from_millis(30)));
    let blocking = blocking
        .flush_at(1)
        .max_in_flight(1)
        .request_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let err = loop {
        if let Err(err) = blocking.track(&User::id("u"), &event(0)) {
            break err;
        }
    };
    assert!(matches!(err, EnqueueError::QueueFullTimeout(_)), "{err}");

    // The server hangs: shutdown gives up at its deadline and reports every accepted message.
    let report = client.shutdown_blocking(Duration::from_millis(100));
    assert_eq!(report.failed_count(), accepted as usize);
    assert!(report
        .failed
        .iter()
        .all(|f| f.reason == FailureReason::ShutdownDeadline));
    assert_eq!(report.delivered, 0);
    let _ = blocking.shutdown_blocking(Duration::from_millis(10));
}

#[test]
fn shutdown_delivers_everything_queued() {
    let server = Server::start();
    server.script([
        Answer::Delay(Duration::from_millis(50)),
        Answer::Status(500),
    ]);
    let client = client_for(&server).build().unwrap();
    let ids = send(&client, 1_000);
    let report = client.shutdown_blocking(Duration::from_secs(20));
    assert!(report.is_complete(), "{report:?}");
    assert_exactly_once(&server, &ids);
    assert!(matches!(
        client.track(&User::id("u"), &event(0)),
        Err(EnqueueError::ShutDown)
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn async_callers_share_the_runtime_with_nothing_blocking() {
    let server = tokio::task::spawn_blocking(Server::start).await.unwrap();
    let client = client_for(&server).flush_at(7).build().unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let client = client.clone();
            tokio::spawn(async move {
                (0..25)
                    .map(|i| {
                        client
                            .track(&User::id("u"), &event(t * 100 + i))
                            .unwrap()
                            .to_string()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.unwrap());
    }
    let report = client.shutdown(Duration::from_secs(10)).await;
    assert!(report.is_complete());
    let delivered: Vec<Value> = server.delivered();
    assert_eq!(delivered.len(), 100);
    assert_exactly_once(&server, &ids);
    drop(client);
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
}

#[test]
fn an_unreachable_endpoint_is_retried_then_reported() {
    // A port nothing listens on: connection refused, retried, then given up.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let clock = ManualClock::new();
    let client = Client::builder(KEY)
        .endpoint(url)
        .max_retries(2)
        .flush_interval(Duration::from_secs(3600))
        .clock(clock.clone())
        .build()
        .unwrap();
    send(&client, 2);
    let report = driving(&clock, || client.flush_blocking());
    // Segment's backoff before retries 1 and 2: 0.5 s then 1 s, each x U[1, 2).
    let waited = clock.elapsed();
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(report.failed_count(), 2);
    match &report.failed[0].reason {
        FailureReason::RetriesExhausted { retries: 2, last } => {
            assert!(last.contains("connection"), "{last}")
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(client.metrics().retried, 2);
}

#[test]
fn retry_after_waits_do_not_use_up_retries() {
    let server = Server::start();
    server.script([
        Answer::RetryAfter(429, "1"),
        Answer::RetryAfter(429, "Wed, 21 Oct 2015 07:28:00 GMT"),
        Answer::RetryAfter(429, "0"),
    ]);
    // No counted retries allowed at all: only the uncounted Retry-After path can deliver.
    let clock = ManualClock::new();
    let client = client_for(&server)
        .retry_policy(RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        })
        .clock(clock.clone())
        .build()
        .unwrap();
    let ids = send(&client, 4);
    let report = driving(&clock, || client.flush_blocking());
    assert!(report.is_complete(), "{report:?}");
    // 1 s asked; a date long past and 0 s both wait the 1 s minimum.
    assert_eq!(clock.elapsed(), Duration::from_secs(3));
    assert_exactly_once(&server, &ids);
    let counts: Vec<Option<String>> = server
        .requests()
        .iter()
        .map(|r| r.header("x-retry-count").map(str::to_owned))
        .collect();
    assert_eq!(
        counts,
        [None, Some("1".into()), Some("2".into()), Some("3".into())]
    );

    // A 429 without Retry-After is an ordinary, counted retry.
    server.script([Answer::Status(429)]);
    send(&client, 1);
    assert!(matches!(
        client.flush_blocking().failed[0].reason,
        FailureReason::RetriesExhausted { retries: 0, .. }
    ));
    assert_eq!(
        clock.elapsed(),
        Duration::from_secs(3),
        "no wait without retries"
    );
}
