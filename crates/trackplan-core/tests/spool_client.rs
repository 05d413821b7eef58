//! The client with a crash-safe spool (`ClientBuilder::spool_dir`) against a real HTTP server on
//! 127.0.0.1: what an unreachable server leaves behind is replayed by the next client with its
//! original messageIds and delivered exactly once; delivered (or rejected) messages are never
//! replayed; one client per directory; the spool's cap under both full policies; a torn tail is
//! skipped and counted. The SIGKILL test is in `spool_client_process.rs`.

mod support;

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use support::{Answer, Server};
use trackplan_core::spool::SpoolOptions;
use trackplan_core::{
    Client, ClientBuilder, ConfigProblem, EnqueueError, FailureReason, FullPolicy, RawEvent,
    RetryPolicy, User,
};

const KEY: &str = "test_write_key";

/// Retries after ~1 ms, so that an unreachable server exhausts them at once.
fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        min_retry_after: Duration::ZERO,
        max_retry_after: Duration::from_millis(20),
        max_retries: 2,
        ..RetryPolicy::default()
    }
}

fn spooled_client(endpoint: &str, dir: &Path) -> ClientBuilder {
    Client::builder(KEY)
        .endpoint(endpoint)
        .spool_dir(dir)
        .retry_policy(fast_retries())
        .request_timeout(Duration::from_millis(500))
        .flush_interval(Duration::from_secs(3600))
}

/// An origin nothing listens on: connections are refused.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let url = format!("http://{}", listener.local_addr().expect("local addr"));
    drop(listener);
    url
}

fn track(client: &Client, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let event = RawEvent::new("Order Completed", json!({ "order_id": format!("o-{i}") }));
            client
                .track(&User::id(format!("u{i}")), &event)
                .expect("enqueued")
                .to_string()
        })
        .collect()
}

/// Enqueue `n` messages while the server is down, then shut the client down: all stay spooled.
fn leave_in_spool(dir: &Path, n: usize) -> Vec<String> {
    let client = spooled_client(&closed_port(), dir).build().expect("build");
    let ids = track(&client, n);
    let report = client.shutdown_blocking(Duration::from_secs(5));
    assert_eq!(report.failed_count(), n, "{report:?}");
    assert_eq!(report.left_in_spool, Some(n), "{report:?}");
    ids
}

fn assert_exactly_once(delivered: &HashMap<String, usize>, ids: &[String]) {
    for id in ids {
        assert_eq!(delivered.get(id), Some(&1), "messageId {id}: {delivered:?}");
    }
    assert_eq!(
        delivered.len(),
        ids.len(),
        "unexpected messages: {delivered:?}"
    );
}

#[test]
fn messages_unsent_while_the_server_was_down_are_replayed_by_the_next_client_exactly_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ids = leave_in_spool(dir.path(), 30);

    let server = Server::start();
    let client = spooled_client(&server.url, dir.path())
        .build()
        .expect("build on the same dir");
    assert_eq!(client.metrics().replayed, 30);
    let later = track(&client, 5);
    let report = client.flush_blocking();
    assert!(report.is_complete(), "{report:?}");
    let report = client.shutdown_blocking(Duration::from_secs(5));
    assert_eq!(report.left_in_spool, Some(0), "{report:?}");
    drop(client);

    let all: Vec<String> = ids.iter().chain(&later).cloned().collect();
    assert_exactly_once(&server.delivered_ids(), &all);
    // The replayed messages keep their spooled bytes; sentAt is the new attempt's.
    for request in server.requests() {
        assert!(request.body["sentAt"].is_string(), "{:?}", request.body);
        for message in request.messages() {
            assert_eq!(message["event"], "Order Completed");
            assert!(message["timestamp"].is_string(), "{message}");
        }
    }
}

#[test]
fn delivered_and_rejected_messages_are_not_replayed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    // The first batch is refused for good (400): it goes to the failure report, not the spool.
    server.script([Answer::Status(400)]);
    let client = spooled_client(&server.url, dir.path())
        .build()
        .expect("build");
    let rejected = track(&client, 3);
    let report = client.flush_blocking();
    assert_eq!(report.failed_count(), 3, "{report:?}");
    assert!(matches!(
        report.failed[0].reason,
        FailureReason::Rejected { status: 400 }
    ));
    let delivered = track(&client, 4);
    let report = client.shutdown_blocking(Duration::from_secs(5));
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.left_in_spool, Some(0));
    drop(client);
    assert_exactly_once(&server.delivered_ids(), &delivered);

    let client = spooled_client(&server.url, dir.path())
        .build()
        .expect("rebuild");
    assert_eq!(client.metrics().replayed, 0);
    client.flush_blocking();
    drop(client);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "nothing more was sent");
    assert!(requests[0]
        .messages()
        .iter()
        .all(|m| rejected.contains(&m["messageId"].as_str().unwrap_or_default().to_owned())));
}

#[test]
fn a_second_client_on_the_same_directory_is_refused_with_the_directory_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    let first = spooled_client(&server.url, dir.path())
        .build()
        .expect("first");

    let error = spooled_client(&server.url, dir.path())
        .build()
        .expect_err("the directory is locked");
    assert!(
        matches!(error.problems(), [ConfigProblem::Spool(_)]),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains("in use"), "{text}");

    // Once the first client is gone the directory is free again.
    first.shutdown_blocking(Duration::from_secs(5));
    drop(first);
    spooled_client(&server.url, dir.path())
        .build()
        .expect("the lock was released");
}

#[test]
fn a_full_spool_refuses_under_refuse_and_counts_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let client = spooled_client(&closed_port(), dir.path())
        .spool_options(SpoolOptions::default().max_bytes(4096))
        .build()
        .expect("build");
    let event = RawEvent::new("Order Completed", json!({ "padding": "x".repeat(200) }));
    let mut accepted = 0;
    let error = loop {
        match client.track(&User::id("u1"), &event) {
            Ok(_) => accepted += 1,
            Err(error) => break error,
        }
        assert!(accepted < 100, "the spool cap was never reached");
    };
    assert!(
        matches!(error, EnqueueError::SpoolFull { max: 4096, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("spool is full"), "{error}");
    assert!(accepted > 5, "only {accepted} fitted into 4 KiB");
    assert_eq!(client.metrics().refused, 1);
    let report = client.shutdown_blocking(Duration::from_secs(5));
    // The refused message was never spooled: only the accepted ones are left.
    assert_eq!(report.left_in_spool, Some(accepted));
}

#[test]
fn a_full_spool_under_block_waits_for_deliveries_to_free_room() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    // Slow answers keep the spool full while callers push on.
    server.script((0..40).map(|_| Answer::Delay(Duration::from_millis(10))));
    let client = spooled_client(&server.url, dir.path())
        .spool_options(SpoolOptions::default().max_bytes(4096))
        .flush_at(2)
        .max_in_flight(1)
        .when_full(FullPolicy::Block(Duration::from_secs(30)))
        .build()
        .expect("build");
    let ids = track(&client, 60);
    let report = client.shutdown_blocking(Duration::from_secs(10));
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(client.metrics().refused, 0);
    drop(client);
    assert_exactly_once(&server.delivered_ids(), &ids);
}

#[test]
fn a_full_spool_under_block_gives_up_after_the_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let client = spooled_client(&closed_port(), dir.path())
        .spool_options(SpoolOptions::default().max_bytes(2048))
        .when_full(FullPolicy::Block(Duration::from_millis(20)))
        .build()
        .expect("build");
    let event = RawEvent::new("Order Completed", json!({ "padding": "x".repeat(200) }));
    let error = (0..100)
        .find_map(|_| client.track(&User::id("u1"), &event).err())
        .expect("the spool fills up");
    assert!(matches!(error, EnqueueError::SpoolFull { .. }), "{error:?}");
    assert_eq!(client.metrics().refused, 1);
}

#[test]
fn a_torn_tail_is_skipped_counted_and_the_rest_replayed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ids = leave_in_spool(dir.path(), 10);

    // A crash mid-write: the last frame is cut short.
    let newest = std::fs::read_dir(dir.path())
        .expect("list the spool")
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "log"))
        .max()
        .expect("a segment file");
    let len = std::fs::metadata(&newest).expect("stat").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&newest)
        .expect("open the segment")
        .set_len(len - 7)
        .expect("truncate");

    let server = Server::start();
    let client = spooled_client(&server.url, dir.path())
        .build()
        .expect("a damaged spool still opens");
    let metrics = client.metrics();
    assert_eq!(metrics.spool_corrupt, 1, "{metrics:?}");
    assert_eq!(metrics.replayed, 9, "{metrics:?}");
    assert!(client.flush_blocking().is_complete());
    drop(client);
    assert_exactly_once(&server.delivered_ids(), &ids[..9]);
}
