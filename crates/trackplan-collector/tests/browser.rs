//! The live page in a real headless Chromium: events posted to the collector, before and after
//! the page loaded, appear as rendered by the page's own JavaScript (initial load, then the
//! server-sent stream), with their validity, violations, filters and full JSON.
//!
//! Chromium is driven over the DevTools protocol (a tiny WebSocket client below), so the test
//! waits for what it expects instead of guessing a delay. It skips, loudly, only when no
//! Chromium is installed; CI installs Debian's `chromium`.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{batch, track};
use serde_json::{json, Value};
use trackplan_collector::{Collector, CollectorConfig};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn sent_events_appear_on_the_page() {
    let Some(chromium) = find_chromium() else {
        eprintln!("\n{}\nSKIPPED sent_events_appear_on_the_page: no chromium on PATH (set CHROMIUM or install Debian's `chromium`)\n{}\n", "!".repeat(100), "!".repeat(100));
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plan = trackplan_plan::load(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/ecommerce.json"),
    )
    .unwrap();
    let collector = runtime
        .block_on(Collector::start(CollectorConfig::new().plan(plan)))
        .unwrap();
    let url = collector.url().to_owned();
    let send = |messages: Vec<Value>| {
        let reply = runtime.block_on(common::post(&url, "/v1/batch", batch(messages)));
        assert_eq!(reply.status, 200, "{:?}", reply.body);
    };

    send(vec![
        track(
            "Order Completed",
            json!({"order_id": "o-1", "total": 27.5, "products": products()}),
        ),
        track(
            "Product Added",
            json!({"product_id": "p-1", "price": "18.99"}),
        ),
    ]);

    let browser = Browser::launch(&chromium);
    let mut page = browser.page();
    page.call("Page.navigate", json!({ "url": format!("{url}/") }));
    page.wait_until("document.querySelectorAll('#events .row').length === 2");

    let rows = page.eval("Array.from(document.querySelectorAll('#events .row')).map(r => ({text: r.innerText, valid: r.dataset.valid}))");
    let rows = rows.as_array().unwrap();
    assert!(
        rows[0]["text"].as_str().unwrap().contains("Product Added"),
        "{rows:?}"
    );
    assert_eq!(rows[0]["valid"], "false");
    assert!(
        rows[0]["text"].as_str().unwrap().contains("Invalid"),
        "{rows:?}"
    );
    assert!(
        rows[0]["text"]
            .as_str()
            .unwrap()
            .contains("/properties/price: \"18.99\" is not of type \"number\""),
        "{rows:?}"
    );
    assert!(
        rows[1]["text"]
            .as_str()
            .unwrap()
            .contains("Order Completed"),
        "{rows:?}"
    );
    assert_eq!(rows[1]["valid"], "true");

    // Per-rule plan coverage, from /api/stats: two of the plan's rules seen so far.
    page.wait_until(
        "document.getElementById('coverage-summary').textContent === 'Plan coverage: 2 of 28 rules seen'",
    );
    let unseen = page.eval("document.querySelectorAll('#coverage-rules tr.unseen').length");
    assert_eq!(unseen, json!(26));

    // Sent after the page loaded: it can only arrive through the live stream.
    page.wait_until("document.getElementById('connection').dataset.state === 'live'");
    send(vec![track(
        "Checkout Started",
        json!({"order_id": "o-2", "value": 30, "products": products()}),
    )]);
    page.wait_until(
        "document.querySelector('#events .row .name').textContent === 'Checkout Started'",
    );
    assert_eq!(
        page.eval("document.getElementById('count-received').textContent"),
        "3"
    );
    assert_eq!(
        page.eval("document.getElementById('count-invalid').textContent"),
        "1"
    );

    // The validity filter, then the selected event's violations and full JSON.
    page.eval("document.querySelector('[data-validity=invalid]').click()");
    page.wait_until("document.querySelectorAll('#events .row').length === 1");
    page.eval("document.querySelector('#events .row').click()");
    page.wait_until("document.querySelector('#detail h2').textContent === 'Product Added'");
    let detail = page.eval("document.getElementById('detail').textContent");
    let detail = detail.as_str().unwrap();
    assert!(detail.contains("Violations (1)"), "{detail}");
    assert!(detail.contains("/properties/price"), "{detail}");
    assert!(detail.contains("\"product_id\": \"p-1\""), "{detail}");

    // The event-name filter.
    page.eval("document.querySelector('[data-validity=all]').click()");
    page.eval("const f = document.getElementById('filter'); f.value = 'order'; f.dispatchEvent(new Event('input'))");
    page.wait_until("document.querySelectorAll('#events .row').length === 1");
    assert!(
        page.eval("document.querySelector('#events .row .name').textContent") == "Order Completed"
    );

    // Keyboard: Esc resets the filters, j moves the selection down, p pauses the stream.
    let key = |key: &str| {
        format!("document.dispatchEvent(new KeyboardEvent('keydown', {{key: '{key}'}}))")
    };
    page.eval("document.getElementById('filter').blur()");
    page.eval(&key("Escape"));
    page.wait_until("document.querySelectorAll('#events .row').length === 3");
    page.eval("document.querySelector('#events .row').click()");
    page.eval(&key("j"));
    page.wait_until("document.querySelector('#detail h2').textContent === 'Product Added'");
    page.eval(&key("p"));
    page.wait_until("document.getElementById('connection').dataset.state === 'paused'");
    send(vec![track("Coupon Entered", json!({"coupon_id": "c-1"}))]);
    page.wait_until("!document.getElementById('resume').hidden");
    assert_eq!(
        page.eval("document.querySelectorAll('#events .row').length"),
        3,
        "paused: not shown yet"
    );
    page.eval("document.getElementById('resume').click()");
    page.wait_until(
        "document.querySelector('#events .row .name').textContent === 'Coupon Entered'",
    );

    // A request over Segment's limits: answered 400, its messages shown as refused.
    let oversize = vec![
        track("Cart Viewed", json!({"cart_id": "c-9"})),
        track("Cart Viewed", json!({"blob": "x".repeat(40_000)})),
    ];
    let reply = runtime.block_on(common::post(&url, "/v1/batch", batch(oversize)));
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    page.wait_until("document.getElementById('count-refused').textContent === '2'");
    page.eval(&key("r"));
    page.wait_until("document.querySelectorAll('#events .row').length === 2");
    let refused = page.eval("document.querySelector('#events .row').textContent");
    assert!(
        refused
            .as_str()
            .unwrap()
            .contains("Refused (400): batch[1] has 40,"),
        "{refused}"
    );
    let platform = page.eval("document.getElementById('platform').textContent");
    assert!(
        platform
            .as_str()
            .unwrap()
            .starts_with("Segment (32,768 bytes per message"),
        "{platform}"
    );
}

#[test]
fn personal_data_is_flagged_in_the_message_view() {
    let Some(chromium) = find_chromium() else {
        eprintln!("\n{}\nSKIPPED personal_data_is_flagged_in_the_message_view: no chromium on PATH (set CHROMIUM or install Debian's `chromium`)\n{}\n", "!".repeat(100), "!".repeat(100));
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // `email`, `phone`, `country` and `address.street` are marked "x-pii".
    let plan = trackplan_plan::load(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../trackplan/tests/pii/plan.json"),
    )
    .unwrap();
    let collector = runtime
        .block_on(Collector::start(CollectorConfig::new().plan(plan)))
        .unwrap();
    let url = collector.url().to_owned();
    let message = track(
        "Account Opened",
        json!({"account_id": "a-1", "email": "ann@example.com",
               "address": {"street": "Main St 1", "city": "Utrecht"}}),
    );
    let reply = runtime.block_on(common::post(&url, "/v1/batch", batch(vec![message])));
    assert_eq!(reply.status, 200, "{:?}", reply.body);

    let browser = Browser::launch(&chromium);
    let mut page = browser.page();
    page.call("Page.navigate", json!({ "url": format!("{url}/") }));
    page.wait_until("document.querySelectorAll('#events .row').length === 1");
    page.eval("document.querySelector('#events .row').click()");
    page.wait_until("document.querySelector('#detail h2').textContent === 'Account Opened'");
    let flagged = page.eval(
        "Array.from(document.querySelectorAll('#json .k.pii')).map(k => k.textContent).sort()",
    );
    assert_eq!(flagged, json!(["\"email\"", "\"street\""]));
    let facts = page.eval("document.querySelector('#detail .facts').textContent");
    assert!(
        facts.as_str().unwrap().contains(
            "Plan's personal dataproperties.address.street, properties.country, properties.email, properties.phone"
        ),
        "{facts}"
    );
}

fn products() -> Value {
    json!([{"product_id": "p-1", "price": 19.0, "quantity": 1}, {"product_id": "p-2", "price": 3.0, "quantity": 2}])
}

fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| {
            ["chromium", "chromium-browser", "google-chrome"].map(|name| dir.join(name))
        })
        .find(|candidate| candidate.is_file())
}

/// A headless Chromium with a throwaway profile, killed on drop.
struct Browser {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn launch(chromium: &PathBuf) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1400,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Chromium writes the port it picked to DevToolsActivePort once it listens.
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + WAIT;
        let port = loop {
            let port = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|text| text.lines().next()?.parse().ok());
            if let Some(port) = port {
                break port;
            }
            assert!(
                Instant::now() < deadline,
                "chromium did not open its DevTools port"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Browser {
            child,
            port,
            _profile: profile,
        }
    }

    /// The DevTools connection of the first tab.
    fn page(&self) -> Page {
        let deadline = Instant::now() + WAIT;
        loop {
            let targets: Value = serde_json::from_str(&http_get(self.port, "/json/list")).unwrap();
            let socket = targets
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["type"] == "page")
                .and_then(|t| t["webSocketDebuggerUrl"].as_str());
            if let Some(socket) = socket {
                let path = &socket[socket.find("/devtools/").unwrap()..];
                return Page {
                    socket: WebSocket::connect(self.port, path),
                    next_id: 0,
                };
            }
            assert!(Instant::now() < deadline, "chromium has no tab: {targets}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    let mut line = String::new();
    while line != "\r\n" {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

/// A DevTools session on one tab.
struct Page {
    socket: WebSocket,
    next_id: u64,
}

impl Page {
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.socket
            .send(&json!({"id": id, "method": method, "params": params}).to_string());
        loop {
            let reply: Value = serde_json::from_str(&self.socket.receive()).unwrap();
            if reply["id"] == id {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    fn wait_until(&mut self, condition: &str) {
        let deadline = Instant::now() + WAIT;
        while self.eval(&format!("Boolean({condition})")) != json!(true) {
            assert!(
                Instant::now() < deadline,
                "the page never satisfied: {condition}\n{}",
                self.eval("document.body.innerText")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The client half of RFC 6455, just enough for DevTools: masked text frames out,
/// unmasked (possibly fragmented) text frames in.
struct WebSocket {
    stream: BufReader<TcpStream>,
}

impl WebSocket {
    fn connect(port: u16, path: &str) -> WebSocket {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dHJhY2twbGFuLXRlc3Qtay==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut stream = BufReader::new(stream);
        let mut status = String::new();
        stream.read_line(&mut status).unwrap();
        assert!(
            status.contains(" 101 "),
            "DevTools refused the WebSocket: {status}"
        );
        let mut line = String::new();
        while line != "\r\n" {
            line.clear();
            stream.read_line(&mut line).unwrap();
        }
        WebSocket { stream }
    }

    fn send(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mut frame = vec![0x81]; // FIN, text
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | len as u8),
            len @ 126..=0xFFFF => {
                frame.push(0x80 | 126);
                frame.extend((len as u16).to_be_bytes());
            }
            len => {
                frame.push(0x80 | 127);
                frame.extend((len as u64).to_be_bytes());
            }
        }
        let mask = [0x5a, 0x17, 0xc3, 0x2e];
        frame.extend(mask);
        frame.extend(
            payload
                .iter()
                .enumerate()
                .map(|(i, byte)| byte ^ mask[i % 4]),
        );
        self.stream.get_mut().write_all(&frame).unwrap();
    }

    fn receive(&mut self) -> String {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.stream.read_exact(&mut head).unwrap();
            let len = match head[1] & 0x7f {
                126 => {
                    let mut ext = [0u8; 2];
                    self.stream.read_exact(&mut ext).unwrap();
                    u16::from_be_bytes(ext) as usize
                }
                127 => {
                    let mut ext = [0u8; 8];
                    self.stream.read_exact(&mut ext).unwrap();
                    u64::from_be_bytes(ext) as usize
                }
                len => len as usize,
            };
            let mut payload = vec![0u8; len];
            self.stream.read_exact(&mut payload).unwrap();
            match head[0] & 0x0f {
                0x0 | 0x1 => message.extend(payload),
                0x8 => panic!("DevTools closed the WebSocket"),
                _ => continue, // ping, pong: DevTools sends none we must answer
            }
            if head[0] & 0x80 != 0 {
                return String::from_utf8(message).unwrap();
            }
        }
    }
}
