//! Shared helpers of the collector's integration tests: a client that posts raw bytes and
//! reads JSON back, against a collector on 127.0.0.1.

#![allow(dead_code)] // each test file uses a different subset

use std::io::Write;

use serde_json::{json, Value};

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub async fn post(base: &str, path: &str, body: impl Into<reqwest::Body>) -> Reply {
    send(
        client()
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(body),
    )
    .await
}

pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        headers,
        body,
    }
}

/// The `message` of an error answer, after checking it has the shape every official SDK
/// handles: JSON with a string `code` and a string `message`.
pub fn error_message(reply: &Reply) -> &str {
    assert!(
        reply.body["code"]
            .as_str()
            .is_some_and(|code| !code.is_empty()),
        "{:?}",
        reply.body
    );
    reply.body["message"].as_str().expect("a `message`")
}

pub async fn get(base: &str, path: &str) -> Reply {
    send(client().get(format!("{base}{path}"))).await
}

pub fn track(event: &str, properties: Value) -> Value {
    json!({"type": "track", "userId": "user-1", "event": event, "properties": properties,
           "messageId": format!("m-{event}"), "timestamp": "2026-01-01T12:00:00.000Z"})
}

pub fn batch(messages: Vec<Value>) -> String {
    json!({"batch": messages, "sentAt": "2026-01-01T12:00:00.000Z"}).to_string()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Names of the events `/api/events` returns for `query` (newest first).
pub async fn event_names(base: &str, query: &str) -> Vec<String> {
    let reply = get(base, &format!("/api/events{query}")).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            event["name"]
                .as_str()
                .or(event["type"].as_str())
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}
