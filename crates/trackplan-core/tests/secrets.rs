//! The write key never appears in logs (at any level), errors, reports or Debug output, even
//! when requests fail and are retried.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use support::{Answer, Server};
use trackplan_core::{Client, RawEvent, RetryPolicy, User};

const SECRET: &str = "wk_live_9f8e7d6c5b4a_SECRET";

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_write_key_is_in_no_log_line_error_or_report() {
    let logs = Logs::default();
    let sink = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .init();

    let server = Server::start();
    server.script([
        Answer::Status(500),
        Answer::RetryAfter(429, "0"),
        Answer::Hang,
        Answer::Status(400),
    ]);
    let failures = Arc::new(Mutex::new(String::new()));
    let failure_sink = Arc::clone(&failures);
    let client = Client::builder(SECRET)
        .endpoint(&server.url)
        .request_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy {
            base_backoff: Duration::from_millis(1),
            min_retry_after: Duration::ZERO,
            max_retry_after: Duration::from_millis(1),
            ..RetryPolicy::default()
        })
        .on_failure(move |batch| {
            failure_sink
                .lock()
                .unwrap()
                .push_str(&format!("{batch:?} {}", batch.reason))
        })
        .build()
        .unwrap();
    client
        .track(&User::id("u"), &RawEvent::new("A", json!({})))
        .unwrap();
    let first = client.flush_blocking();
    client
        .track(&User::id("u"), &RawEvent::new("B", json!({})))
        .unwrap();
    let second = client.flush_blocking();
    assert_eq!(
        first.delivered + second.delivered,
        1,
        "{first:?} {second:?}"
    );

    let unreachable = Client::builder(SECRET)
        .endpoint("http://127.0.0.1:1")
        .retry_policy(RetryPolicy {
            max_retries: 1,
            base_backoff: Duration::from_millis(1),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    unreachable
        .track(&User::id("u"), &RawEvent::new("C", json!({})))
        .unwrap();
    let third = unreachable.shutdown_blocking(Duration::from_secs(5));
    assert_eq!(third.failed_count(), 1);

    let insecure = Client::builder(SECRET)
        .endpoint("http://example.com")
        .build()
        .unwrap_err();
    let everything = format!(
        "{}\n{first:?}{second:?}{third:?}\n{client:?}\n{insecure} {insecure:?}\n{}",
        String::from_utf8_lossy(&logs.0.lock().unwrap()),
        failures.lock().unwrap(),
    );
    assert!(
        everything.contains("trackplan batch request"),
        "the logs were captured: {everything}"
    );
    assert!(everything.contains("retrying"), "retries were logged");
    assert!(
        !everything.contains(SECRET),
        "the write key leaked:\n{everything}"
    );
    // Nor its Basic-auth form.
    let basic = trackplan_core::WriteKey::new(SECRET).basic_auth();
    assert!(!everything.contains(basic.trim_start_matches("Basic ")));
}
