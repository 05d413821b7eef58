//! End to end: events generated from the fixture plans, sent by the real client over HTTP to a
//! loopback server, arrive with the exact wire JSON (torture names included) and the plan's
//! metadata in `context`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use trackplan::{Client, User};

#[allow(dead_code)]
mod e2e {
    include!("plans/generated/typewriter_e2e_v1.rs");
}
#[allow(dead_code)]
mod rudder {
    include!("plans/generated/ruddertyper_example_v2.rs");
}

/// A minimal HTTP/1.1 server on 127.0.0.1 that answers 200 to every request and keeps the
/// JSON bodies.
fn loopback_server() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&bodies);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let sink = Arc::clone(&sink);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let header = line.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':') {
                            if name.eq_ignore_ascii_case("content-length") {
                                length = value.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    if let Ok(value) = serde_json::from_slice(&body) {
                        sink.lock().unwrap().push(value);
                    }
                    let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 16\r\n\r\n{\"success\":true}";
                    if stream.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (endpoint, bodies)
}

fn sent_messages() -> (Client, Arc<Mutex<Vec<Value>>>) {
    let (endpoint, bodies) = loopback_server();
    let client = Client::builder("write-key")
        .endpoint(endpoint)
        .allow_insecure_http(true)
        .gzip(false)
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    (client, bodies)
}

fn messages(bodies: &Mutex<Vec<Value>>) -> Vec<Value> {
    bodies
        .lock()
        .unwrap()
        .iter()
        .flat_map(|body| body["batch"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[test]
fn generated_events_arrive_byte_exact_with_plan_metadata() {
    let (client, bodies) = sent_messages();
    let user = User::id("u-1");
    client.track(&user, &e2e::X42TerribleEventName3 {}).unwrap();
    client
        .track(
            &user,
            &e2e::PropertySanitized {
                x0000_terrible_property_name_3: "v".into(),
            },
        )
        .unwrap();
    client.track(&user, &e2e::EventCollided2 {}).unwrap();
    client
        .track(
            &user,
            &e2e::EnumTypes {
                string_enum: Some(e2e::EnumTypesStringEnum::EvilMorty),
            },
        )
        .unwrap();
    client
        .identify(
            &user,
            &rudder::Identify {
                sample_property_1: Some(json!([1])),
            },
        )
        .unwrap();
    let report = client.flush_blocking();
    let sent = messages(&bodies);
    assert_eq!(sent.len(), 5, "{report:?} {sent:#?}");

    assert_eq!(sent[0]["event"], "42_--terrible==\\\"event'++name~!3");
    assert_eq!(sent[0]["properties"], json!({}));
    assert_eq!(
        sent[1]["properties"],
        json!({ "0000---terrible-property-name~!3": "v" })
    );
    assert_eq!(sent[2]["event"], "event_collided");
    assert_eq!(
        sent[3]["properties"],
        json!({ "string const": "Rick Sanchez", "string enum": "Evil Morty" })
    );
    assert_eq!(sent[4]["type"], "identify");
    assert_eq!(sent[4]["traits"], json!({ "Sample property 1": [1] }));

    for message in &sent[..4] {
        assert_eq!(
            message["context"]["protocols"]["event_version"], 1,
            "{message}"
        );
        assert_eq!(
            message["context"]["trackplan"]["plan"],
            "Typewriter E2E Testing Tracking Plan"
        );
        assert_eq!(
            message["context"]["trackplan"]["generator_version"],
            env!("CARGO_PKG_VERSION")
        );
    }
    assert!(
        sent[4]["context"]["protocols"]
            .get("event_version")
            .is_none(),
        "RudderTyper rules have no version"
    );
}
