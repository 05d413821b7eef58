//! A process tracking through a spooled client is killed with SIGKILL mid-stream; the next
//! client on the same directory delivers every message whose `track()` had returned.
//!
//! The tracking process is this test binary re-executed with [`SERVER`] set: it then runs only
//! [`child_process`], which prints each messageId after `track()` returned it.

mod support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use support::{Answer, Server};
use trackplan_core::spool::FsyncPolicy;
use trackplan_core::{Client, ClientBuilder, RawEvent, RetryPolicy, User};

const SERVER: &str = "TRACKPLAN_SPOOL_CLIENT_TEST_SERVER";
const DIR: &str = "TRACKPLAN_SPOOL_CLIENT_TEST_DIR";
const PRINTED: &str = "tracked ";

fn client(endpoint: &str, dir: &str) -> ClientBuilder {
    Client::builder("test_write_key")
        .endpoint(endpoint)
        .spool_dir(dir)
        .spool_fsync(FsyncPolicy::Always)
        .retry_policy(RetryPolicy {
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..RetryPolicy::default()
        })
        .flush_at(20)
        .flush_interval(Duration::from_millis(5))
}

/// The body of the child process; a no-op in a normal test run.
#[test]
fn child_process() {
    let (Ok(server), Ok(dir)) = (std::env::var(SERVER), std::env::var(DIR)) else {
        return;
    };
    let client = client(&server, &dir).build().expect("build the client");
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let event = RawEvent::new("Order Completed", json!({ "order_id": i }));
        let id = client.track(&User::id("u1"), &event).expect("track");
        // Printed only after `track` returned: the parent holds us to these.
        writeln!(out, "{PRINTED}{id}").expect("write to the parent");
        out.flush().expect("flush to the parent");
    }
}

fn printed_id(line: &str) -> Option<String> {
    // libtest may print "test child_process ... " on the same line first.
    Some(line.split_once(PRINTED)?.1.trim().to_owned())
}

#[test]
fn every_message_tracked_before_sigkill_is_delivered_by_the_next_client() {
    const KILL_AFTER: usize = 300;
    let server = Server::start();
    server.script((0..10_000).map(|_| Answer::Delay(Duration::from_millis(50))));
    let dir = tempfile::tempdir().expect("temp dir");
    let dir_text = dir.path().to_str().expect("a UTF-8 temp path").to_owned();
    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SERVER, &server.url)
        .env(DIR, &dir_text)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the child process");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut printed = Vec::new();
    while printed.len() < KILL_AFTER {
        let line = lines
            .next()
            .expect("the child stopped early")
            .expect("read the child");
        printed.extend(printed_id(&line));
    }
    child.kill().expect("SIGKILL the child");
    // Lines already in the pipe were printed before the kill.
    for line in lines {
        printed.extend(printed_id(&line.expect("read the child")));
    }
    assert!(!child.wait().expect("reap the child").success());

    let client = client(&server.url, &dir_text)
        .build()
        .expect("the kill released the spool");
    // Slow answers keep batches in flight, so the kill always leaves some undelivered.
    assert!(
        client.metrics().replayed > 0,
        "the kill left nothing to replay"
    );
    let report = client.flush_blocking();
    assert!(report.is_complete(), "{report:?}");
    let report = client.shutdown_blocking(Duration::from_secs(10));
    assert_eq!(report.left_in_spool, Some(0), "{report:?}");
    drop(client);

    let delivered: HashSet<String> = server.delivered_ids().into_keys().collect();
    let missing: Vec<&String> = printed
        .iter()
        .filter(|id| !delivered.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} tracked messages never arrived: {missing:?}",
        missing.len(),
        printed.len()
    );
}
