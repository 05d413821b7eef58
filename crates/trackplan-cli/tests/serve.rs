//! `trackplan serve` run as the built binary: it prints its URL, validates against the plan,
//! records, checks the write key and stops on Ctrl-C (SIGINT).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn ecommerce() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/ecommerce.json")
}

/// A running `trackplan serve` and the URL it printed; killed if a test fails midway.
struct Server {
    child: Child,
    url: String,
    banner: String,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trackplan"))
            .args(["serve", "--addr", "127.0.0.1:0", "--plan"])
            .arg(ecommerce())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut banner = String::new();
        while !banner.contains("Ctrl-C") {
            if stdout.read_line(&mut banner).unwrap() == 0 {
                let mut stderr = String::new();
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut stderr)
                    .unwrap();
                panic!("serve exited early: {banner}{stderr}");
            }
        }
        let url = banner
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("trackplan collector listening on "))
            .unwrap_or_else(|| panic!("no URL in {banner}"))
            .to_owned();
        child.stdout = Some(stdout.into_inner());
        Server { child, url, banner }
    }

    /// Sends SIGINT, as Ctrl-C does, and returns the exit status and the rest of stdout.
    fn interrupt(mut self) -> (Option<i32>, String) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGINT");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut rest = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut rest)
            .unwrap();
        (status.code(), rest)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn post(url: &str, body: Value, key: Option<&str>) -> (u16, Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(format!("{url}/v1/batch"))
            .body(body.to_string());
        if let Some(key) = key {
            request = request.basic_auth(key, Some(""));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            serde_json::from_str(&response.text().await.unwrap()).unwrap(),
        )
    })
}

fn get(url: &str) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(url)
            .send()
            .await
            .unwrap();
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    })
}

fn order(total: Value) -> Value {
    json!({"type": "track", "userId": "u", "event": "Order Completed",
           "properties": {"order_id": "o1", "total": total,
                          "products": [{"product_id": "p1", "price": 10, "quantity": 1}]}})
}

#[test]
fn serve_validates_records_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("received.ndjson");
    let server = Server::start(&[
        "--write-key",
        "wk_test",
        "--record",
        record.to_str().unwrap(),
    ]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    assert!(
        server.banner.contains("E-commerce Spec v2"),
        "{}",
        server.banner
    );
    assert!(
        server.banner.contains("write key  required"),
        "{}",
        server.banner
    );
    assert!(
        !server.banner.contains("wk_test"),
        "the key is never printed"
    );
    assert!(
        server
            .banner
            .contains("platform   Segment (32,768 bytes per message"),
        "{}",
        server.banner
    );

    let batch = json!({"batch": [order(json!(10)), order(json!("ten"))]});
    let (status, refused) = post(&server.url, batch.clone(), None);
    assert_eq!(status, 401);
    assert_eq!(refused["code"], "invalid_write_key", "{refused}");
    assert_eq!(
        post(&server.url, batch, Some("wk_test")),
        (200, json!({"success": true}))
    );

    let stats = get(&format!("{}/api/stats", server.url));
    assert_eq!(
        (stats["received"].as_u64(), stats["invalid"].as_u64()),
        (Some(2), Some(1))
    );
    let invalid = get(&format!("{}/api/events?invalid=true", server.url));
    assert_eq!(
        invalid["events"][0]["violations"][0]["path"],
        "/properties/total"
    );

    let (code, rest) = server.interrupt();
    assert_eq!(code, Some(0));
    assert!(
        rest.contains("stopped: 2 messages received, 1 valid, 1 invalid, 0 refused"),
        "{rest}"
    );

    // The recording replays through `trackplan check` with the same verdicts.
    let checked = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .args(["check", "--plan"])
        .arg(ecommerce())
        .arg(&record)
        .output()
        .unwrap();
    assert_eq!(checked.status.code(), Some(1));
    let report = String::from_utf8(checked.stdout).unwrap();
    assert!(
        report.contains(":2: track \"Order Completed\": /properties/total:"),
        "{report}"
    );
}

/// `n` identify calls of about `bytes` bytes each.
fn identifies(n: usize, bytes: usize) -> Value {
    let batch: Vec<Value> = (0..n)
        .map(|i| json!({"type": "identify", "userId": format!("u{i}"), "traits": {"bio": "x".repeat(bytes)}}))
        .collect();
    json!({ "batch": batch })
}

#[test]
fn serve_platform_picks_the_limits_and_refused_messages_stay_visible() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("received.ndjson");
    let segment = Server::start(&["--record", record.to_str().unwrap()]);
    let (status, answer) = post(&segment.url, identifies(2, 40_000), None);
    assert_eq!(status, 400);
    assert_eq!(answer["code"], "payload_too_large", "{answer}");
    let refused = get(&format!("{}/api/events?refused=true", segment.url));
    assert_eq!(refused["events"].as_array().unwrap().len(), 2);
    assert!(
        refused["events"][0]["refused"]["reason"]
            .as_str()
            .unwrap()
            .contains("over Segment's limit of 32,768 per message"),
        "{refused}"
    );
    let (code, rest) = segment.interrupt();
    assert_eq!(code, Some(0));
    assert!(rest.contains("2 refused"), "{rest}");

    // The recording holds the refused messages, and `check` refuses them the same way.
    let checked = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .args(["check", "--plan"])
        .arg(ecommerce())
        .arg(&record)
        .output()
        .unwrap();
    assert_eq!(checked.status.code(), Some(1));
    let report = String::from_utf8(checked.stdout).unwrap();
    assert!(
        report.contains(":1: identify: refused (400): the message has 40,"),
        "{report}"
    );
    assert_eq!(report.matches("refused (400)").count(), 2, "{report}");

    // RudderStack takes a 1 MB batch of 50 messages whole.
    let rudder = Server::start(&["--platform", "rudderstack"]);
    assert!(
        rudder
            .banner
            .contains("platform   RudderStack (4,096,000 bytes per request; over a limit: 413)"),
        "{}",
        rudder.banner
    );
    assert_eq!(
        post(&rudder.url, identifies(50, 20_000), None),
        (200, json!({"success": true}))
    );
    let stats = get(&format!("{}/api/stats", rudder.url));
    assert_eq!(
        (stats["received"].as_u64(), stats["refused"].as_u64()),
        (Some(50), Some(0))
    );
    let info = get(&format!("{}/api/info", rudder.url));
    assert_eq!(info["platform"], "rudderstack");
}

#[test]
fn serve_refuses_a_broken_plan_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let plan: &Path = &dir.path().join("broken-plan.json");
    std::fs::write(plan, "{ not json").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .args(["serve", "--addr", "127.0.0.1:0", "--plan"])
        .arg(plan)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("broken-plan.json"));
}

#[test]
fn serve_reports_a_taken_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .args(["serve", "--addr", &addr])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}
