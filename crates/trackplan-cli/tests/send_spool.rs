//! `trackplan send --spool DIR` end to end: the built binary against a server on 127.0.0.1. A run
//! against a down endpoint keeps its messages in the spool; the next run sends them first, with
//! their original messageIds, exactly once; a spool in use is refused with its directory named.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::{json, Value};

/// Accepts every batch and records its messages.
struct Server {
    url: String,
    messages: Arc<Mutex<Vec<Value>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let messages: Arc<Mutex<Vec<Value>>> = Arc::default();
        let sink = Arc::clone(&messages);
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = axum::Router::new().route(
            "/v1/batch",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let sink = Arc::clone(&sink);
                async move {
                    let mut json = Vec::new();
                    if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
                        flate2::read::GzDecoder::new(&body[..])
                            .read_to_end(&mut json)
                            .expect("gzip body");
                    } else {
                        json = body.to_vec();
                    }
                    let body: Value = serde_json::from_slice(&json).expect("JSON body");
                    let batch = body["batch"].as_array().cloned().unwrap_or_default();
                    sink.lock().expect("lock").extend(batch);
                    "{}"
                }
            }),
        );
        runtime.spawn(async move { axum::serve(listener, app).await });
        Server {
            url,
            messages,
            _runtime: runtime,
        }
    }

    fn message_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .messages
            .lock()
            .expect("lock")
            .iter()
            .map(|m| m["messageId"].as_str().unwrap_or_default().to_owned())
            .collect();
        ids.sort();
        ids
    }
}

fn send_spooled(endpoint: &str, spool: &Path, stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .args(["send", "--endpoint", endpoint, "--write-key", "k"])
        .args(["--timeout", "2", "--spool"])
        .arg(spool)
        .arg("-")
        .env_remove("SEGMENT_WRITE_KEY")
        .env_remove("SEGMENT_ENDPOINT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run trackplan");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for trackplan")
}

fn lines(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| {
            format!(
                "{}\n",
                json!({ "type": "track", "event": "Imported", "userId": "u", "messageId": id })
            )
        })
        .collect()
}

fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    url
}

#[test]
fn a_run_against_a_down_endpoint_leaves_its_messages_for_the_next_run() {
    let spool = tempfile::tempdir().expect("temp dir");

    let output = send_spooled(&closed_port(), spool.path(), &lines(&["m-1", "m-2", "m-3"]));
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "3 messages not delivered are kept in the spool {}",
            spool.path().display()
        )),
        "{err}"
    );

    let server = Server::start();
    let output = send_spooled(&server.url, spool.path(), &lines(&["m-4"]));
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.contains("sending 3 messages left in the spool"),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with("sent 4, rejected 0, failed 0"),
        "{err}"
    );
    assert_eq!(server.message_ids(), ["m-1", "m-2", "m-3", "m-4"]);

    // Delivered messages are gone from the spool: a third run sends nothing.
    let output = send_spooled(&server.url, spool.path(), "");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(server.message_ids().len(), 4);
}

#[test]
fn a_spool_in_use_is_a_setup_error_naming_the_directory() {
    let spool = tempfile::tempdir().expect("temp dir");
    let (_held, _) = trackplan_core::spool::Spool::open(spool.path(), Default::default())
        .expect("hold the spool");
    let server = Server::start();

    let output = send_spooled(&server.url, spool.path(), &lines(&["m-1"]));
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains(&spool.path().display().to_string()), "{err}");
    assert!(err.contains("in use"), "{err}");
    assert!(server.message_ids().is_empty());
}
