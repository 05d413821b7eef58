//! The official Segment and RudderStack SDKs, as published on npm and PyPI, against the real
//! collector: the programs in `interop/` send the six calls and the edge cases of
//! `interop/scenario.json`, and every message they put on the wire must be in the collector
//! exactly once, as sent, with the right verdict, accepted or visibly refused.
//!
//! What went over the wire is taken from a recording proxy between the SDK and the collector,
//! never from the SDK's logs. The SDKs are installed from the pinned files in `interop/`
//! (`npm ci`, `pip install -r requirements.txt` into `interop/.venv`), which `.ci/run` does;
//! without them each test skips, loudly, unless `TRACKPLAN_INTEROP=required`.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use trackplan_collector::{Collector, CollectorConfig, Platform, ReceivedEvent};

const WRITE_KEY: &str = "interop-write-key";
const WRONG_KEY: &str = "not-the-write-key";
/// How long an SDK may take to give up on a wrong write key.
const GIVE_UP_WITHIN: Duration = Duration::from_secs(10);
/// How long one scenario run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(90);

/// One official SDK: how to run its program, and what it can do.
struct Sdk {
    /// The messageId prefix its program uses.
    label: &'static str,
    program: &'static str,
    runtime: Runtime,
    platform: Platform,
    /// Whether it has a gzip option (its program then sends the six calls gzipped and the
    /// rest plain).
    gzip_option: bool,
    /// Whether it refuses a message over 32 KiB itself, so it never reaches the wire.
    drops_oversize: bool,
}

enum Runtime {
    Node,
    Python,
}

#[test]
fn segment_analytics_node_3() {
    run(&Sdk {
        label: "segment-node",
        program: "segment-analytics-node.js",
        runtime: Runtime::Node,
        platform: Platform::Segment,
        gzip_option: false,
        drops_oversize: false,
    });
}

#[test]
fn analytics_node_6() {
    run(&Sdk {
        label: "analytics-node",
        program: "analytics-node.js",
        runtime: Runtime::Node,
        platform: Platform::Segment,
        gzip_option: false,
        drops_oversize: true,
    });
}

#[test]
fn rudder_sdk_node_3() {
    run(&Sdk {
        label: "rudder-node",
        program: "rudder-sdk-node.js",
        runtime: Runtime::Node,
        platform: Platform::RudderStack,
        gzip_option: true,
        drops_oversize: false,
    });
}

#[test]
fn segment_analytics_python_2() {
    run(&Sdk {
        label: "segment-python",
        program: "segment-analytics-python.py",
        runtime: Runtime::Python,
        platform: Platform::Segment,
        gzip_option: true,
        drops_oversize: true,
    });
}

#[test]
fn rudder_sdk_python_2() {
    run(&Sdk {
        label: "rudder-python",
        program: "rudder-sdk-python.py",
        runtime: Runtime::Python,
        platform: Platform::RudderStack,
        gzip_option: true,
        drops_oversize: false,
    });
}

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// The interpreter of `runtime`, or why the SDKs are not installed.
fn interpreter(runtime: &Runtime) -> Result<PathBuf, String> {
    let dir = interop_dir();
    match runtime {
        Runtime::Node if dir.join("node_modules/.package-lock.json").is_file() => {
            Ok(PathBuf::from("node"))
        }
        Runtime::Node => Err("interop/node_modules is missing (run `npm ci` in interop/)".into()),
        Runtime::Python => {
            let python = dir.join(".venv/bin/python");
            if python.is_file() {
                Ok(python)
            } else {
                Err(
                    "interop/.venv is missing (python3 -m venv interop/.venv && \
                     interop/.venv/bin/pip install -r interop/requirements.txt)"
                        .into(),
                )
            }
        }
    }
}

fn run(sdk: &Sdk) {
    let interpreter = match interpreter(&sdk.runtime) {
        Ok(interpreter) => interpreter,
        Err(missing) if std::env::var_os("TRACKPLAN_INTEROP").is_some_and(|v| v == "required") => {
            panic!("TRACKPLAN_INTEROP=required but {missing}")
        }
        Err(missing) => {
            // Straight to the process's stderr: the test harness would swallow `eprintln!`.
            let _ = writeln!(
                std::io::stderr(),
                "\n{bar}\nSKIPPED interop test of {}: {missing}; `.ci/run` installs the SDKs\n{bar}\n",
                sdk.label,
                bar = "!".repeat(100)
            );
            return;
        }
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plan = trackplan_plan::load(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/ecommerce.json"),
    )
    .unwrap();
    let collector = runtime
        .block_on(Collector::start(
            CollectorConfig::new()
                .plan(plan)
                .write_key(WRITE_KEY)
                .platform(sdk.platform),
        ))
        .unwrap();
    let proxy = runtime.block_on(RecordingProxy::start(collector.url()));

    // The scenario, with the right key.
    let output = run_program(sdk, &interpreter, &proxy.url, WRITE_KEY, RUN_TIMEOUT);
    let exchanges = proxy.take();
    check_scenario(sdk, &exchanges, &collector.events(), &output);

    // A wrong key: answered 401, and the SDK gives up within seconds, storing nothing.
    let stored = collector.events().len();
    let output = run_program(sdk, &interpreter, &proxy.url, WRONG_KEY, GIVE_UP_WITHIN);
    let exchanges = proxy.take();
    // Two calls: at most two requests, none retried (each SDK runs with its own retry policy).
    assert!(
        (1..=2).contains(&exchanges.len()),
        "{}: {} requests for two calls: {output}",
        sdk.label,
        exchanges.len()
    );
    assert!(
        exchanges.iter().all(|exchange| exchange.status == 401),
        "{}: {:?}",
        sdk.label,
        exchanges.iter().map(|e| e.status).collect::<Vec<_>>()
    );
    assert_eq!(collector.events().len(), stored);
}

/// Runs the SDK's program, which must end within `limit`; what it printed.
fn run_program(sdk: &Sdk, interpreter: &Path, url: &str, key: &str, limit: Duration) -> String {
    let started = Instant::now();
    let mode = if key == WRONG_KEY {
        "wrong-key"
    } else {
        "scenario"
    };
    let mut child = Command::new(interpreter)
        .arg(sdk.program)
        .args([url, key])
        .env("INTEROP_MODE", mode)
        .current_dir(interop_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", interpreter.display()));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut output = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    assert!(
        started.elapsed() <= limit,
        "{} ({mode}) still running after {limit:?}: {output}",
        sdk.label
    );
    assert!(
        status.success(),
        "{} exited with {status}: {output}",
        sdk.label
    );
    output
}

/// The scenario's checks: what was on the wire against what the collector stored.
fn check_scenario(sdk: &Sdk, exchanges: &[Exchange], events: &[ReceivedEvent], output: &str) {
    let label = sdk.label;
    let wire = WireMessage::all(exchanges);
    let stored = by_message_id(events);

    // Every message on the wire stored exactly once, as sent, refused exactly when its request
    // was refused for its size.
    let mut seen = BTreeSet::new();
    for sent in &wire {
        let id = sent.message_id();
        assert!(seen.insert(id.to_owned()), "{label}: {id} sent twice");
        let copies = stored.get(id).map_or(0, Vec::len);
        assert_eq!(copies, 1, "{label}: {id} stored {copies} times");
        let event = stored[id][0];
        assert_eq!(event.message, sent.message, "{label}: {id} changed");
        match (&event.refused, sent.status) {
            (None, 200) => {}
            (Some(refusal), status @ (400 | 413)) => {
                assert_eq!(refusal.status, status, "{label}: {id}");
                assert_eq!(
                    sent.code.as_deref(),
                    Some("payload_too_large"),
                    "{label}: {id}"
                );
                assert!(
                    refusal
                        .reason
                        .contains(&format!("{}'s limit", sdk.platform.name())),
                    "{label}: {id}: {}",
                    refusal.reason
                );
            }
            (refused, status) => {
                panic!("{label}: {id} answered {status}, stored refused = {refused:?}")
            }
        }
    }
    assert_eq!(
        stored.values().map(Vec::len).sum::<usize>(),
        wire.len(),
        "{label}: the collector stored messages that were not on the wire"
    );

    // The verdicts: only the plan-violating order is invalid, with the schema's paths.
    for sent in &wire {
        let id = sent.message_id();
        let event = stored[id][0];
        let paths: BTreeSet<&str> = event.violations.iter().map(|v| v.path.as_str()).collect();
        if id == format!("{label}-order-invalid") {
            assert_eq!(
                paths,
                BTreeSet::from([
                    "/properties/total",
                    "/properties/products/0/price",
                    "/properties/products/0/quantity"
                ]),
                "{label}: {:#?}",
                event.violations
            );
        } else {
            assert!(event.valid, "{label}: {id}: {:#?}", event.violations);
        }
    }

    // Nothing lost: every call and edge case reached the collector, but for an oversize
    // message the SDK itself refuses to send.
    let scenario: Value = serde_json::from_str(
        &std::fs::read_to_string(interop_dir().join("scenario.json")).unwrap(),
    )
    .unwrap();
    let mut expected: Vec<String> = ["calls", "edges"]
        .iter()
        .flat_map(|part| scenario[part].as_array().unwrap())
        .map(|message| format!("{label}-{}", message["id"].as_str().unwrap()))
        .filter(|id| !(sdk.drops_oversize && id.ends_with("-oversize")))
        .collect();
    let big = &scenario["bigBatch"];
    expected.extend(
        (0..big["count"].as_u64().unwrap())
            .map(|n| format!("{label}-{}-{n}", big["id"].as_str().unwrap())),
    );
    let missing: Vec<&String> = expected.iter().filter(|id| !seen.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{label}: never arrived: {missing:?}; {output}"
    );
    if sdk.drops_oversize {
        assert!(
            output.contains(&format!("{label}-oversize not sent")),
            "{label}: {output}"
        );
    }

    // The edge cases, one by one.
    let event = |suffix: &str| stored[format!("{label}-{suffix}").as_str()][0];
    for nameless in ["page-nameless", "screen-nameless"] {
        assert!(event(nameless).name.is_none(), "{label}: {nameless}");
    }
    let near_limit = wire
        .iter()
        .find(|sent| sent.message_id().ends_with("-near-limit"))
        .unwrap();
    assert!(
        (32_001..=32_768).contains(&near_limit.size),
        "{label}: the near-limit message has {} bytes on the wire; it must be over the old \
         32,000-byte limit and within 32 KiB",
        near_limit.size
    );
    // Accepted, or refused only with a neighbour that broke the limit (a batch is refused whole).
    if let Some(refusal) = &event("near-limit").refused {
        let own = format!("batch[{}] has", near_limit.index);
        assert!(
            !refusal.reason.contains(&own),
            "{label}: {}",
            refusal.reason
        );
    }
    let oversize_id = format!("{label}-oversize");
    if let Some(oversize) = wire.iter().find(|sent| sent.message_id() == oversize_id) {
        let refused = event("oversize").refused.is_some();
        assert_eq!(
            refused,
            sdk.platform == Platform::Segment,
            "{label}: {} bytes on {:?}",
            oversize.size,
            sdk.platform
        );
    }
    if sdk.platform == Platform::RudderStack {
        assert!(
            wire.iter().all(|sent| sent.status == 200),
            "{label}: RudderStack takes every request of the scenario"
        );
    }
    if sdk.label == "rudder-python" {
        let largest = exchanges.iter().map(|e| e.decoded.len()).max().unwrap();
        assert!(
            largest > 1_000_000,
            "{label}: expected one batch over 1 MB, the largest had {largest} bytes"
        );
    }
    let gzipped = exchanges.iter().filter(|e| e.gzip).count();
    if sdk.gzip_option {
        assert!(
            gzipped > 0 && gzipped < exchanges.len(),
            "{label}: {gzipped} of {} requests gzipped; the program sends both",
            exchanges.len()
        );
    } else {
        assert_eq!(gzipped, 0, "{label}");
    }
}

fn by_message_id(events: &[ReceivedEvent]) -> HashMap<&str, Vec<&ReceivedEvent>> {
    let mut by_id: HashMap<&str, Vec<&ReceivedEvent>> = HashMap::new();
    for event in events {
        let id = event.message["messageId"].as_str().unwrap_or_default();
        by_id.entry(id).or_default().push(event);
    }
    by_id
}

/// One message as an SDK put it on the wire, and how its request was answered.
struct WireMessage {
    message: Value,
    /// Bytes of its JSON text in the body, as the SDKs and the collector measure it.
    size: usize,
    /// Its place in the batch.
    index: usize,
    status: u16,
    code: Option<String>,
}

impl WireMessage {
    fn all(exchanges: &[Exchange]) -> Vec<WireMessage> {
        let mut all = Vec::new();
        for exchange in exchanges {
            assert_eq!(exchange.path, "/v1/batch", "every SDK posts batches");
            let text = std::str::from_utf8(&exchange.decoded).unwrap();
            let body: BatchBody = serde_json::from_str(text).unwrap();
            // The collector merges an envelope's context into each message; these SDKs send none.
            assert!(body.context.is_none(), "an envelope context: {text:.200}");
            let answer: Value = serde_json::from_slice(&exchange.answer).unwrap_or(Value::Null);
            for (index, raw) in body.batch.into_iter().enumerate() {
                let Value::Object(mut message) = serde_json::from_str(raw.get()).unwrap() else {
                    panic!("not an object: {}", raw.get());
                };
                message.remove("writeKey");
                all.push(WireMessage {
                    message: Value::Object(message),
                    size: raw.get().len(),
                    index,
                    status: exchange.status,
                    code: answer["code"].as_str().map(str::to_owned),
                });
            }
        }
        all
    }

    fn message_id(&self) -> &str {
        self.message["messageId"].as_str().unwrap()
    }
}

#[derive(serde::Deserialize)]
struct BatchBody<'a> {
    #[serde(borrow)]
    batch: Vec<&'a serde_json::value::RawValue>,
    context: Option<Map<String, Value>>,
}

/// One request the proxy forwarded, and the collector's answer.
#[derive(Clone)]
struct Exchange {
    path: String,
    gzip: bool,
    /// The body without its Content-Encoding.
    decoded: Vec<u8>,
    status: u16,
    answer: Bytes,
}

/// Forwards every request to the collector unchanged and records it with the answer.
struct RecordingProxy {
    url: String,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

#[derive(Clone)]
struct ProxyState {
    target: String,
    client: reqwest::Client,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl RecordingProxy {
    async fn start(target: &str) -> RecordingProxy {
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let state = ProxyState {
            target: target.to_owned(),
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            exchanges: Arc::clone(&exchanges),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(forward).with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        RecordingProxy { url, exchanges }
    }

    /// The requests recorded since the last call.
    fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.exchanges.lock().unwrap())
    }
}

async fn forward(State(state): State<ProxyState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let mut upstream = state
        .client
        .request(
            parts.method.clone(),
            format!("{}{}", state.target, parts.uri),
        )
        .body(body.clone());
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream.send().await.unwrap();
    let status = answer.status().as_u16();
    let content_type = answer.headers().get("content-type").cloned();
    let answer = answer.bytes().await.unwrap();

    let gzip = parts
        .headers
        .get("content-encoding")
        .is_some_and(|encoding| encoding == "gzip");
    let decoded = if gzip {
        let mut decoded = Vec::new();
        flate2::read::MultiGzDecoder::new(&body[..])
            .read_to_end(&mut decoded)
            .unwrap();
        decoded
    } else {
        body.to_vec()
    };
    state.exchanges.lock().unwrap().push(Exchange {
        path: parts.uri.path().to_owned(),
        gzip,
        decoded,
        status,
        answer: answer.clone(),
    });
    let mut response = (StatusCode::from_u16(status).unwrap(), answer).into_response();
    if let Some(content_type) = content_type {
        response.headers_mut().insert("content-type", content_type);
    }
    response
}
