//! What arrived: a bounded ring of the latest messages, running counts, a live feed for the
//! stream and the page, and an optional NDJSON recording.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::sync::{broadcast, watch};

use crate::{RuleCoverageStats, Violation};

/// Messages the live feed holds for a slow subscriber before it reports a gap.
const FEED_CAPACITY: usize = 4_096;

/// One message as the collector received and judged it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceivedEvent {
    /// Arrival order, from 1, never reused (not even after a clear).
    pub seq: u64,
    /// When the request arrived, RFC 3339 UTC with milliseconds.
    pub received_at: String,
    /// The message's `type` (`track`, `identify`, ...), empty when it has none.
    #[serde(rename = "type")]
    pub call: String,
    /// `event` of a track, `name` of a page or screen.
    pub name: Option<String>,
    /// `userId`, else `anonymousId`.
    pub user: Option<String>,
    /// Whether the message has no violations.
    pub valid: bool,
    /// Everything wrong with the message: Segment's rules, then the plan's.
    pub violations: Vec<Violation>,
    /// Why the platform refused the request that carried the message (its violations are
    /// still reported); `None` when it was accepted.
    #[serde(default)]
    pub refused: Option<Refusal>,
    /// Properties of the message its plan marks as personal data (`"x-pii"`), as paths such as
    /// `properties.email` (see [`Validator::personal_data`](crate::Validator::personal_data)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personal_data: Vec<String>,
    /// The message as received, with the batch's `context` and `integrations` merged in and
    /// `writeKey` removed.
    pub message: Value,
}

impl ReceivedEvent {
    /// Describes `message`, received at `received_at` and accepted, with its `violations`.
    pub fn new(seq: u64, received_at: String, message: Value, violations: Vec<Violation>) -> Self {
        let Summary { call, name, user } = Summary::of(&message);
        ReceivedEvent {
            seq,
            received_at,
            call,
            name,
            user,
            valid: violations.is_empty(),
            violations,
            refused: None,
            personal_data: Vec::new(),
            message,
        }
    }

    /// Whether the API's `event=` filter selects this message: its name, or its type when it
    /// has no name (`identify`, `group`, `alias`).
    pub fn matches_event(&self, event: &str) -> bool {
        matches_event(&self.call, self.name.as_deref(), event)
    }
}

/// Why a message's request was refused: it broke a limit of the platform the collector
/// reproduces. The message is kept and shown, so a refusal never makes it vanish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The status the request was answered with (400 on Segment, 413 on RudderStack).
    pub status: u16,
    /// Which message broke which limit, its size, the limit and the platform.
    pub reason: String,
}

fn matches_event(call: &str, name: Option<&str>, event: &str) -> bool {
    match name {
        Some(name) => name == event,
        None => call == event,
    }
}

/// What the list shows of a message: its type, name and user.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Summary {
    call: String,
    name: Option<String>,
    user: Option<String>,
}

impl Summary {
    fn of(message: &Value) -> Summary {
        let text = |key: &str| match message.get(key) {
            Some(Value::String(text)) => Some(text.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
        };
        let call = text("type").unwrap_or_default();
        let name = match call.as_str() {
            "track" => text("event"),
            "page" | "screen" => text("name"),
            _ => None,
        };
        let user = text("userId").or_else(|| text("anonymousId"));
        Summary { call, name, user }
    }
}

/// A message judged and ready to store: its JSON text, what the list shows, its violations.
///
/// Only the text is kept, not the parsed tree: a fraction of the memory, and a single string
/// to free when the ring drops it.
#[derive(Debug)]
pub(crate) struct Judged {
    json: Box<RawValue>,
    summary: Summary,
    violations: Vec<Violation>,
    refused: Option<Refusal>,
    personal_data: Vec<String>,
}

impl Judged {
    /// `message` with its `violations`; `text` is its JSON when the body's bytes still are.
    pub(crate) fn new(
        message: &Value,
        text: Option<&RawValue>,
        violations: Vec<Violation>,
    ) -> Judged {
        let json = match text {
            Some(text) => text.to_owned(),
            None => to_raw(message),
        };
        Judged {
            json,
            summary: Summary::of(message),
            violations,
            refused: None,
            personal_data: Vec::new(),
        }
    }

    /// The same message, with the paths of its personal-data properties.
    pub(crate) fn with_personal_data(self, personal_data: Vec<String>) -> Judged {
        Judged {
            personal_data,
            ..self
        }
    }

    /// The same message, refused with its request.
    pub(crate) fn refuse(self, refusal: Refusal) -> Judged {
        Judged {
            refused: Some(refusal),
            ..self
        }
    }
}

fn to_raw(message: &Value) -> Box<RawValue> {
    // A Value with string keys always serialises; `null` is a valid stand-in regardless.
    serde_json::value::to_raw_value(message)
        .or_else(|_| RawValue::from_string("null".to_owned()))
        .unwrap_or_else(|_| unreachable!("`null` is JSON"))
}

/// A stored message, as the API and the stream serve it (the shape of [`ReceivedEvent`]).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredEvent {
    seq: u64,
    received_at: String,
    #[serde(rename = "type")]
    call: String,
    name: Option<String>,
    user: Option<String>,
    valid: bool,
    violations: Vec<Violation>,
    refused: Option<Refusal>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    personal_data: Vec<String>,
    message: Box<RawValue>,
}

impl StoredEvent {
    fn new(seq: u64, received_at: String, judged: Judged) -> StoredEvent {
        let Judged {
            json,
            summary,
            violations,
            refused,
            personal_data,
        } = judged;
        StoredEvent {
            seq,
            received_at,
            call: summary.call,
            name: summary.name,
            user: summary.user,
            valid: violations.is_empty(),
            violations,
            refused,
            personal_data,
            message: json,
        }
    }

    fn matches_event(&self, event: &str) -> bool {
        matches_event(&self.call, self.name.as_deref(), event)
    }

    /// The public view, with the message parsed.
    pub(crate) fn to_received(&self) -> ReceivedEvent {
        ReceivedEvent {
            seq: self.seq,
            received_at: self.received_at.clone(),
            call: self.call.clone(),
            name: self.name.clone(),
            user: self.user.clone(),
            valid: self.valid,
            violations: self.violations.clone(),
            refused: self.refused.clone(),
            personal_data: self.personal_data.clone(),
            // Stored text is JSON: it was parsed or serialised on the way in.
            message: serde_json::from_str(self.message.get()).unwrap_or(Value::Null),
        }
    }
}

/// Counts since start (or the last clear).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Messages stored: accepted, or refused with their request.
    pub received: u64,
    /// Messages without violations.
    pub valid: u64,
    /// Messages with at least one violation.
    pub invalid: u64,
    /// Messages whose request the platform refused for breaking a limit (also counted as
    /// valid or invalid).
    #[serde(default)]
    pub refused: u64,
    /// Ingestion requests, including refused and fault-injected ones.
    pub requests: u64,
    /// Requests answered with an error (400, 401, 413 or an injected fault); only the
    /// messages of those over a platform limit were stored (as refused).
    pub rejected_requests: u64,
    /// Counts per (type, name), sorted.
    pub events: Vec<EventStats>,
    /// Coverage of each rule of the loaded plans, in plan order (empty without a plan).
    pub coverage: Vec<RuleCoverageStats>,
}

/// The counts of one event (or one call type, for calls without a name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventStats {
    /// The message type.
    #[serde(rename = "type")]
    pub call: String,
    /// The event or page/screen name, when the type has one.
    pub name: Option<String>,
    /// Messages stored: accepted, or refused with their request.
    pub received: u64,
    /// Messages without violations.
    pub valid: u64,
    /// Messages with at least one violation.
    pub invalid: u64,
    /// Messages refused with their request.
    #[serde(default)]
    pub refused: u64,
}

/// The selection of `GET /api/events`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct EventQuery {
    /// At most this many, newest first (default 100).
    pub limit: Option<usize>,
    /// Only messages with this event name (or type, for nameless calls).
    pub event: Option<String>,
    /// Only invalid (`true`) or only valid (`false`) messages.
    pub invalid: Option<bool>,
    /// Only refused (`true`) or only accepted (`false`) messages.
    pub refused: Option<bool>,
}

/// The default number of events `GET /api/events` returns.
pub const DEFAULT_EVENT_LIMIT: usize = 100;

#[derive(Default)]
struct Counts {
    received: u64,
    valid: u64,
    invalid: u64,
    refused: u64,
}

impl Counts {
    fn add(&mut self, event: &StoredEvent) {
        self.received += 1;
        if event.valid {
            self.valid += 1;
        } else {
            self.invalid += 1;
        }
        if event.refused.is_some() {
            self.refused += 1;
        }
    }
}

struct Inner {
    ring: VecDeque<Arc<StoredEvent>>,
    next_seq: u64,
    totals: Counts,
    requests: u64,
    rejected_requests: u64,
    /// type -> name ("" when none) -> counts.
    per_event: HashMap<String, HashMap<String, Counts>>,
}

/// The shared store of one collector.
pub(crate) struct Store {
    inner: Mutex<Inner>,
    capacity: usize,
    feed: broadcast::Sender<Arc<StoredEvent>>,
    received: watch::Sender<u64>,
    recorder: Option<Mutex<BufWriter<File>>>,
}

impl Store {
    /// A store keeping the latest `capacity` messages, appending each to `record` when set.
    pub(crate) fn new(capacity: usize, record: Option<&Path>) -> std::io::Result<Self> {
        let recorder = match record {
            Some(path) => {
                let file = OpenOptions::new().create(true).append(true).open(path)?;
                Some(Mutex::new(BufWriter::new(file)))
            }
            None => None,
        };
        Ok(Store {
            inner: Mutex::new(Inner {
                ring: VecDeque::with_capacity(capacity.min(65_536)),
                next_seq: 1,
                totals: Counts::default(),
                requests: 0,
                rejected_requests: 0,
                per_event: HashMap::new(),
            }),
            capacity: capacity.max(1),
            feed: broadcast::channel(FEED_CAPACITY).0,
            received: watch::channel(0).0,
            recorder,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the counters half-updated in a harmful way.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one ingestion request and returns its number, from 1.
    pub(crate) fn count_request(&self) -> u64 {
        let mut inner = self.lock();
        inner.requests += 1;
        inner.requests
    }

    pub(crate) fn count_rejected(&self) {
        self.lock().rejected_requests += 1;
    }

    /// Stores the judged messages of one request, in order.
    pub(crate) fn push(&self, received_at: &str, judged: Vec<Judged>) {
        self.record(&judged);
        let mut stored = Vec::with_capacity(judged.len());
        let total = {
            let mut inner = self.lock();
            for judged in judged {
                let event = StoredEvent::new(inner.next_seq, received_at.to_owned(), judged);
                inner.next_seq += 1;
                inner.totals.add(&event);
                count_event(&mut inner.per_event, &event);
                if inner.ring.len() == self.capacity {
                    inner.ring.pop_front();
                }
                let event = Arc::new(event);
                inner.ring.push_back(Arc::clone(&event));
                stored.push(event);
            }
            inner.totals.received
        };
        if self.feed.receiver_count() > 0 {
            for event in stored {
                // No subscriber left is fine: the feed is best effort.
                let _ = self.feed.send(event);
            }
        }
        self.received.send_replace(total);
    }

    fn record(&self, judged: &[Judged]) {
        let Some(recorder) = &self.recorder else {
            return;
        };
        let mut file = recorder
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let written = judged
            .iter()
            .try_for_each(|judged| {
                file.write_all(judged.json.get().as_bytes())?;
                file.write_all(b"\n")
            })
            .and_then(|()| file.flush());
        if let Err(error) = written {
            tracing::error!(%error, "cannot append received messages to the recording");
        }
    }

    /// The stored messages selected by `query`, newest first.
    pub(crate) fn events(&self, query: &EventQuery) -> Vec<Arc<StoredEvent>> {
        let limit = query.limit.unwrap_or(DEFAULT_EVENT_LIMIT);
        let inner = self.lock();
        inner
            .ring
            .iter()
            .rev()
            .filter(|event| {
                query
                    .event
                    .as_deref()
                    .is_none_or(|name| event.matches_event(name))
            })
            .filter(|event| query.invalid.is_none_or(|invalid| event.valid != invalid))
            .filter(|event| {
                query
                    .refused
                    .is_none_or(|refused| event.refused.is_some() == refused)
            })
            .take(limit)
            .cloned()
            .collect()
    }

    /// Every stored message, oldest first.
    pub(crate) fn all_events(&self) -> Vec<ReceivedEvent> {
        self.lock()
            .ring
            .iter()
            .map(|event| event.to_received())
            .collect()
    }

    pub(crate) fn stats(&self) -> Stats {
        let inner = self.lock();
        let mut events: BTreeMap<(&str, &str), &Counts> = BTreeMap::new();
        for (call, names) in &inner.per_event {
            for (name, counts) in names {
                events.insert((call, name), counts);
            }
        }
        Stats {
            received: inner.totals.received,
            valid: inner.totals.valid,
            invalid: inner.totals.invalid,
            refused: inner.totals.refused,
            requests: inner.requests,
            rejected_requests: inner.rejected_requests,
            events: events
                .into_iter()
                .map(|((call, name), counts)| EventStats {
                    call: call.to_owned(),
                    name: (!name.is_empty()).then(|| name.to_owned()),
                    received: counts.received,
                    valid: counts.valid,
                    invalid: counts.invalid,
                    refused: counts.refused,
                })
                .collect(),
            // The plans' coverage is not the store's to know: the server adds it.
            coverage: Vec::new(),
        }
    }

    /// Forgets the stored messages and the counts (sequence numbers keep growing).
    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        inner.ring.clear();
        inner.totals = Counts::default();
        inner.requests = 0;
        inner.rejected_requests = 0;
        inner.per_event.clear();
        drop(inner);
        self.received.send_replace(0);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.feed.subscribe()
    }

    pub(crate) fn watch_received(&self) -> watch::Receiver<u64> {
        self.received.subscribe()
    }
}

fn count_event(per_event: &mut HashMap<String, HashMap<String, Counts>>, event: &StoredEvent) {
    let name = event.name.as_deref().unwrap_or("");
    let names = match per_event.get_mut(&event.call) {
        Some(names) => names,
        None => per_event.entry(event.call.clone()).or_default(),
    };
    match names.get_mut(name) {
        Some(counts) => counts.add(event),
        None => names.entry(name.to_owned()).or_default().add(event),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn track(event: &str) -> Value {
        json!({"type": "track", "event": event, "userId": "u"})
    }

    fn judged(message: Value, violations: Vec<Violation>) -> Judged {
        Judged::new(&message, None, violations)
    }

    fn bad() -> Vec<Violation> {
        vec![Violation::new("/event", "plan", "unknown event")]
    }

    #[test]
    fn the_ring_keeps_the_latest_messages() {
        let store = Store::new(3, None).unwrap();
        store.push(
            "t",
            (1..=5)
                .map(|n| judged(track(&format!("E{n}")), vec![]))
                .collect(),
        );
        let names: Vec<_> = store
            .all_events()
            .into_iter()
            .map(|e| e.name.unwrap())
            .collect();
        assert_eq!(names, ["E3", "E4", "E5"]);
        assert_eq!(store.stats().received, 5);
    }

    #[test]
    fn queries_filter_newest_first() {
        let store = Store::new(10, None).unwrap();
        store.push(
            "t",
            vec![
                judged(track("A"), vec![]),
                judged(track("B"), bad()),
                judged(track("A"), bad()),
            ],
        );
        store.push(
            "t",
            vec![judged(json!({"type": "identify", "userId": "u"}), vec![])],
        );
        let seqs = |query: EventQuery| {
            store
                .events(&query)
                .iter()
                .map(|e| e.seq)
                .collect::<Vec<_>>()
        };
        assert_eq!(seqs(EventQuery::default()), [4, 3, 2, 1]);
        assert_eq!(
            seqs(EventQuery {
                limit: Some(2),
                ..Default::default()
            }),
            [4, 3]
        );
        assert_eq!(
            seqs(EventQuery {
                event: Some("A".into()),
                ..Default::default()
            }),
            [3, 1]
        );
        assert_eq!(
            seqs(EventQuery {
                event: Some("identify".into()),
                ..Default::default()
            }),
            [4]
        );
        assert_eq!(
            seqs(EventQuery {
                invalid: Some(true),
                ..Default::default()
            }),
            [3, 2]
        );
        assert_eq!(
            seqs(EventQuery {
                invalid: Some(false),
                ..Default::default()
            }),
            [4, 1]
        );
    }

    #[test]
    fn stats_count_per_event() {
        let store = Store::new(10, None).unwrap();
        store.push(
            "t",
            vec![judged(track("A"), vec![]), judged(track("A"), bad())],
        );
        store.push(
            "t",
            vec![judged(json!({"type": "page", "name": "Home"}), vec![])],
        );
        store.push("t", vec![judged(json!({"type": "group"}), bad())]);
        let stats = store.stats();
        assert_eq!((stats.received, stats.valid, stats.invalid), (4, 2, 2));
        let summary: Vec<_> = stats
            .events
            .iter()
            .map(|e| (e.call.as_str(), e.name.as_deref(), e.received, e.invalid))
            .collect();
        assert_eq!(
            summary,
            [
                ("group", None, 1, 1),
                ("page", Some("Home"), 1, 0),
                ("track", Some("A"), 2, 1)
            ]
        );
    }

    #[test]
    fn clear_forgets_messages_and_counts_but_not_sequence() {
        let store = Store::new(10, None).unwrap();
        store.push("t", vec![judged(track("A"), vec![])]);
        store.clear();
        assert_eq!(store.stats(), Stats::default());
        store.push("t", vec![judged(track("B"), vec![])]);
        assert_eq!(store.all_events()[0].seq, 2);
    }

    #[test]
    fn recording_appends_one_message_per_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.ndjson");
        std::fs::write(&path, "{\"earlier\":true}\n").unwrap();
        let store = Store::new(1, Some(&path)).unwrap();
        store.push(
            "t",
            vec![judged(track("A"), vec![]), judged(track("B"), bad())],
        );
        let lines: Vec<Value> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines, [json!({"earlier": true}), track("A"), track("B")]);
    }

    #[test]
    fn received_event_describes_its_message() {
        let event = ReceivedEvent::new(
            1,
            "t".into(),
            json!({"type": "screen", "name": "Cart", "anonymousId": 7}),
            vec![],
        );
        assert_eq!(event.call, "screen");
        assert_eq!(event.name.as_deref(), Some("Cart"));
        assert_eq!(event.user.as_deref(), Some("7"));
        assert!(event.valid);
    }
}
