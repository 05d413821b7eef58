//! `trackplan send` end to end: the built binary against an axum server on 127.0.0.1.

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

type Requests = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

/// Records every request (headers, decompressed JSON body) and answers with `status`.
struct Server {
    url: String,
    requests: Requests,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start(status: u16) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let requests: Requests = Arc::default();
        let sink = Arc::clone(&requests);
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().route(
            "/v1/batch",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let sink = Arc::clone(&sink);
                async move {
                    let mut json = Vec::new();
                    if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
                        flate2::read::GzDecoder::new(&body[..])
                            .read_to_end(&mut json)
                            .unwrap();
                    } else {
                        json = body.to_vec();
                    }
                    let body = serde_json::from_slice(&json).unwrap();
                    sink.lock().unwrap().push((headers, body));
                    (StatusCode::from_u16(status).unwrap(), "{}")
                }
            }),
        );
        runtime.spawn(async move { axum::serve(listener, app).await });
        Server {
            url,
            requests,
            _runtime: runtime,
        }
    }

    fn messages(&self) -> Vec<Value> {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .flat_map(|(_, body)| body["batch"].as_array().cloned().unwrap_or_default())
            .collect()
    }
}

fn trackplan(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .arg("send")
        .args(args)
        .env_remove("SEGMENT_WRITE_KEY")
        .env_remove("SEGMENT_ENDPOINT")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn good_lines_are_delivered_and_bad_ones_reported_by_line_number() {
    let server = Server::start(200);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    let big = json!({ "type": "track", "event": "Big", "userId": "u", "properties": { "blob": "x".repeat(33_000) } });
    let lines = [
        json!({ "type": "track", "event": "Order Completed", "userId": "u1", "messageId": "keep-1", "timestamp": "2021-03-04T05:06:07.089Z" }).to_string(),
        "{not json".to_owned(),
        json!({ "type": "track", "userId": "u1" }).to_string(),
        big.to_string(),
        String::new(),
        json!({ "type": "identify", "anonymousId": "a1", "traits": { "plan": "pro" },
                "context": { "library": { "name": "analytics-python", "version": "2.4.0" } } })
        .to_string(),
        json!({ "type": "alias", "userId": "u1" }).to_string(),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();

    let path = file.to_str().unwrap();
    let output = trackplan(
        &["--endpoint", &server.url, "--write-key", "k", path],
        &[],
        "",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains(":2: not JSON"), "{err}");
    assert!(
        err.contains(":3: track message is missing `event`"),
        "{err}"
    );
    assert!(err.contains(":4: line is 33"), "{err}");
    assert!(err.contains("32000-byte limit"), "{err}");
    assert!(
        err.contains(":7: alias message is missing `previousId`"),
        "{err}"
    );
    assert_eq!(
        err.lines().last(),
        Some("sent 2, rejected 4, failed 0"),
        "{err}"
    );

    let messages = server.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["messageId"], "keep-1");
    assert_eq!(messages[0]["timestamp"], "2021-03-04T05:06:07.089Z");
    assert_eq!(messages[0]["context"]["library"]["name"], "trackplan");
    assert_eq!(messages[1]["traits"], json!({ "plan": "pro" }));
    assert_eq!(
        messages[1]["context"]["library"],
        json!({ "name": "analytics-python", "version": "2.4.0" }),
        "a replayed message keeps the library that sent it"
    );
    assert_eq!(messages[1]["messageId"].as_str().map(str::len), Some(36));
    assert!(messages[1]["timestamp"].is_string());
}

#[test]
fn stdin_and_environment_variables_without_gzip() {
    let server = Server::start(200);
    let input: String = (0..1_200)
        .map(|i| {
            format!(
                "{}\n",
                json!({ "type": "track", "event": "Replayed", "userId": format!("u{i}") })
            )
        })
        .collect();
    let env = [
        ("SEGMENT_WRITE_KEY", "env-key"),
        ("SEGMENT_ENDPOINT", server.url.as_str()),
    ];
    let output = trackplan(&["--no-gzip", "-"], &env, &input);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert_eq!(err.trim(), "sent 1200, rejected 0, failed 0");
    let requests = server.requests.lock().unwrap();
    assert!(requests.len() >= 3, "1,200 messages need several batches");
    for (headers, body) in requests.iter() {
        assert!(headers.get("content-encoding").is_none());
        // base64("env-key:")
        assert_eq!(headers.get("authorization").unwrap(), "Basic ZW52LWtleTo=");
        assert_eq!(body["writeKey"], "env-key");
    }
    drop(requests);
    assert_eq!(server.messages().len(), 1_200);
}

#[test]
fn refused_batches_count_as_failed_and_fail_the_command() {
    let server = Server::start(400);
    let input = format!(
        "{}\n",
        json!({ "type": "page", "userId": "u", "name": "Home" })
    );
    let args = [
        "--endpoint",
        &server.url,
        "--write-key",
        "k",
        "--timeout",
        "5",
        "-",
    ];
    let output = trackplan(&args, &[], &input);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("not delivered (the server refused the batch with HTTP 400)"),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with("sent 0, rejected 0, failed 1"),
        "{err}"
    );
}

#[test]
fn an_unreachable_endpoint_fails_within_the_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let input = format!("{}\n", json!({ "type": "identify", "userId": "u" }));
    let output = trackplan(
        &[
            "--endpoint",
            &url,
            "--write-key",
            "k",
            "--timeout",
            "2",
            "-",
        ],
        &[],
        &input,
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.trim_end().ends_with("sent 0, rejected 0, failed 1"),
        "{err}"
    );
}

#[test]
fn a_refused_write_key_stops_the_run_instead_of_failing_every_batch() {
    let server = Server::start(401);
    let lines = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backfill.ndjson");
    let line = json!({ "type": "track", "userId": "u", "event": "Order Completed" }).to_string();
    std::fs::write(&path, format!("{line}\n").repeat(lines)).unwrap();
    let args = [
        "--endpoint",
        &server.url,
        "--write-key",
        "wrong",
        path.to_str().unwrap(),
    ];
    let output = trackplan(&args, &[], "");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "stopped reading: nothing was delivered and a batch failed in a way every batch \
             would (the server refused the batch with HTTP 401)"
        ),
        "{err}"
    );
    let sent = server.messages().len();
    assert!(
        sent > 0 && sent < lines,
        "{sent} of {lines} lines were sent"
    );
    assert!(
        err.trim_end().contains("sent 0, rejected 0, failed"),
        "{err}"
    );
}

#[test]
fn a_missing_write_key_or_an_insecure_endpoint_is_an_error() {
    let output = trackplan(&["-"], &[], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--write-key"),
        "{}",
        stderr(&output)
    );

    let args = [
        "--endpoint",
        "http://collector.example",
        "--write-key",
        "k",
        "-",
    ];
    let output = trackplan(&args, &[], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("allow_insecure_http"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn help_documents_the_cli_retry_choice_and_exit_codes() {
    let output = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .args(["send", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("Retries: at most 3 per batch"), "{help}");
    assert!(
        help.contains("Exit status: 0 when every line was sent"),
        "{help}"
    );
    assert!(help.contains("SEGMENT_WRITE_KEY"), "{help}");
    assert!(
        help.contains("Kept as given: messageId, timestamp and context.library"),
        "{help}"
    );
}
