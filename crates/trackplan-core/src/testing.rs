//! Test helpers for code that sends analytics: [`Capture`] records the exact wire JSON instead of
//! sending it; [`ManualClock`] drives flush intervals, backoff and Retry-After pauses without
//! waiting for them.
//!
//! ```
//! use trackplan_core::{testing::Capture, RawEvent, User};
//!
//! let capture = Capture::new();
//! let client = capture.client();
//! client.track(&User::id("u1"), &RawEvent::new("Order Completed", serde_json::json!({ "total": 9.5 })))?;
//! client.flush_blocking();
//!
//! let order = capture.assert_tracked("Order Completed");
//! assert_eq!(order["properties"]["total"], 9.5);
//! assert_eq!(order["userId"], "u1");
//! # Ok::<(), trackplan_core::EnqueueError>(())
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

use crate::client::Client;
pub use crate::clock::ManualClock;
use crate::consent::WithheldMessage;
use crate::retry::RetryPolicy;
use crate::transport::{BatchRequest, SendFuture, Transport, TransportResponse};
use crate::validation::ValidationPolicy;

/// One request the transport received.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedRequest {
    /// The batch body, parsed.
    pub body: Value,
    /// The `X-Retry-Count` the request would carry (0 on a first attempt).
    pub retry_count: u32,
    /// The status the capture answered.
    pub status: u16,
}

/// A [`Transport`] that records every batch and answers 200 (or scripted statuses).
///
/// Clones share their records: keep one and give a clone (or use [`Capture::client`]).
#[derive(Debug, Clone, Default)]
pub struct Capture {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    requests: Vec<CapturedRequest>,
    statuses: VecDeque<u16>,
    /// Messages the client did not send for lack of consent.
    withheld: Vec<WithheldMessage>,
}

impl Capture {
    pub fn new() -> Self {
        Capture::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A client that delivers into this capture, configured for tests: plan violations are
    /// refused, retries are immediate (at most 3), batches go out after 10 ms, and messages
    /// withheld for lack of consent are recorded ([`withheld`](Self::withheld)).
    pub fn client(&self) -> Client {
        self.client_builder()
            .build()
            .expect("the test client's settings are valid")
    }

    /// The settings [`client`](Self::client) uses, to adjust before `build()`.
    pub fn client_builder(&self) -> crate::ClientBuilder {
        let recorder = self.clone();
        Client::builder("test-write-key")
            .transport(self.clone())
            .on_consent_withheld(move |message| recorder.state().withheld.push(message.clone()))
            .validation(ValidationPolicy::Refuse)
            .flush_interval(Duration::from_millis(10))
            .retry_policy(RetryPolicy {
                max_retries: 3,
                base_backoff: Duration::ZERO,
                min_retry_after: Duration::ZERO,
                max_retry_after: Duration::ZERO,
                ..RetryPolicy::default()
            })
    }

    /// Answer the next requests with these statuses, in order (then 200 again): to test how
    /// your code handles failures. A 429 can be followed by success to test retries.
    pub fn respond_with(&self, statuses: impl IntoIterator<Item = u16>) -> &Self {
        self.state().statuses.extend(statuses);
        self
    }

    /// Every request, including failed attempts.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        self.state().requests.clone()
    }

    /// The bodies of the requests that were answered 2xx.
    pub fn batches(&self) -> Vec<Value> {
        self.state()
            .requests
            .iter()
            .filter(|r| (200..300).contains(&r.status))
            .map(|r| r.body.clone())
            .collect()
    }

    /// Every delivered message, in order.
    pub fn messages(&self) -> Vec<Value> {
        self.batches()
            .into_iter()
            .flat_map(|mut body| match body.get_mut("batch").map(Value::take) {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            })
            .collect()
    }

    /// Delivered messages of one `type` (`track`, `identify`, ...).
    pub fn of_type(&self, call: &str) -> Vec<Value> {
        self.messages()
            .into_iter()
            .filter(|m| m["type"] == call)
            .collect()
    }

    pub fn tracks(&self) -> Vec<Value> {
        self.of_type("track")
    }

    pub fn identifies(&self) -> Vec<Value> {
        self.of_type("identify")
    }

    pub fn groups(&self) -> Vec<Value> {
        self.of_type("group")
    }

    pub fn pages(&self) -> Vec<Value> {
        self.of_type("page")
    }

    pub fn screens(&self) -> Vec<Value> {
        self.of_type("screen")
    }

    pub fn aliases(&self) -> Vec<Value> {
        self.of_type("alias")
    }

    /// The last delivered message.
    pub fn last(&self) -> Option<Value> {
        self.messages().pop()
    }

    /// The names of the tracked events, in order.
    pub fn event_names(&self) -> Vec<String> {
        self.tracks()
            .iter()
            .filter_map(|m| m["event"].as_str().map(str::to_owned))
            .collect()
    }

    /// Every track message with this event name.
    pub fn events_named(&self, name: &str) -> Vec<Value> {
        self.tracks()
            .into_iter()
            .filter(|m| m["event"] == name)
            .collect()
    }

    /// The last track message with this event name.
    pub fn find_event(&self, name: &str) -> Option<Value> {
        self.events_named(name).pop()
    }

    /// The last track message with this event name; panics, listing what was tracked, if none.
    #[track_caller]
    pub fn assert_tracked(&self, name: &str) -> Value {
        match self.find_event(name) {
            Some(message) => message,
            None => panic!(
                "event {name:?} was not tracked; tracked: {:?}",
                self.event_names()
            ),
        }
    }

    /// Assert that an event `name` was tracked whose properties include every key of
    /// `properties` with the same value. Returns the matching message.
    #[track_caller]
    pub fn assert_tracked_with(&self, name: &str, properties: Value) -> Value {
        let candidates = self.events_named(name);
        let found = candidates
            .iter()
            .rev()
            .find(|m| contains(&m["properties"], &properties));
        match found {
            Some(message) => message.clone(),
            None if candidates.is_empty() => {
                panic!(
                    "event {name:?} was not tracked; tracked: {:?}",
                    self.event_names()
                )
            }
            None => panic!(
                "no {name:?} event has properties including {properties}; its properties were: {}",
                candidates
                    .iter()
                    .map(|m| m["properties"].to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Assert that no event `name` was tracked.
    #[track_caller]
    pub fn assert_not_tracked(&self, name: &str) {
        let count = self.events_named(name).len();
        assert!(count == 0, "event {name:?} was tracked {count} time(s)");
    }

    /// Delivered track messages with this name, with their properties deserialised into `T`.
    pub fn tracked<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Vec<T>, serde_json::Error> {
        self.events_named(name)
            .into_iter()
            .map(|mut m| serde_json::from_value(m["properties"].take()))
            .collect()
    }

    /// Messages the client withheld because the user had not granted their consent categories,
    /// in order (recorded by clients from [`client`](Self::client) and
    /// [`client_builder`](Self::client_builder)).
    pub fn withheld(&self) -> Vec<WithheldMessage> {
        self.state().withheld.clone()
    }

    /// The last message named `name` (an event, page or screen name; `""` for identify and
    /// group) withheld for lack of consent; panics, listing what was withheld and tracked, if
    /// none was.
    #[track_caller]
    pub fn assert_withheld(&self, name: &str) -> WithheldMessage {
        let withheld = self.withheld();
        match withheld.iter().rev().find(|m| m.name == name) {
            Some(message) => message.clone(),
            None => panic!(
                "no {name:?} message was withheld for lack of consent; withheld: {:?}; tracked: {:?}",
                withheld.iter().map(|m| &m.name).collect::<Vec<_>>(),
                self.event_names()
            ),
        }
    }

    /// Forget every record and scripted status.
    pub fn clear(&self) {
        let mut state = self.state();
        state.requests.clear();
        state.statuses.clear();
        state.withheld.clear();
    }
}

/// Whether `actual` includes `expected`: objects by key (recursively), other values equal.
fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => expected
            .iter()
            .all(|(k, v)| actual.get(k).is_some_and(|a| contains(a, v))),
        _ => actual == expected,
    }
}

impl Transport for Capture {
    fn send<'a>(&'a self, request: BatchRequest<'a>) -> SendFuture<'a> {
        let body = serde_json::from_slice(request.body).unwrap_or(Value::Null);
        let mut state = self.state();
        let status = state.statuses.pop_front().unwrap_or(200);
        state.requests.push(CapturedRequest {
            body,
            retry_count: request.retry_count,
            status,
        });
        Box::pin(std::future::ready(Ok(TransportResponse::status(status))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contains_matches_subsets_recursively() {
        let actual = json!({ "a": 1, "b": { "c": 2, "d": 3 } });
        assert!(contains(&actual, &json!({ "b": { "c": 2 } })));
        assert!(!contains(&actual, &json!({ "b": { "c": 3 } })));
        assert!(!contains(&actual, &json!({ "z": null })));
    }
}
