//! Turning one HTTP request body into Segment messages: decompression with a bounded output,
//! the batch envelope, the write key carried in the body, and the platform's size limits.
//!
//! A request over a platform's limit is still parsed whole (up to [`HARD_CAP_BYTES`]): the
//! platform refuses it, but every message it carried is shown as refused instead of vanishing.
//! Everything here is pure (bytes in, messages or an error out) so each rule is unit-tested
//! without a server.

use std::borrow::Cow;
use std::io::Read;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::platform::{thousands, Platform, HARD_CAP_BYTES};

/// The errors reported for one bad body before the rest are elided.
const MAX_REPORTED_ITEM_ERRORS: usize = 10;

/// Which ingestion endpoint a body was posted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/batch` and `/v1/import`: `{"batch": [...], "writeKey", "context", "integrations"}`.
    Batch,
    /// `/v1/<call>`: one message whose `type` defaults to the call.
    Single(&'static str),
}

/// Why a request was refused without storing any of its messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// Answered with 400: the body is not a Segment payload.
    #[error("{0}")]
    BadRequest(String),
    /// Answered with 401: a write key is configured and the request did not carry it.
    #[error(
        "invalid write key: send it as HTTP Basic auth (username = write key, empty password) \
         or as `writeKey` in the body"
    )]
    Unauthorized,
    /// Answered with the platform's oversize status: the body is past [`HARD_CAP_BYTES`], so it
    /// was not read.
    #[error("{0}")]
    OverHardCap(String),
}

/// The messages of one body, and why the platform refuses the request when it breaks a limit
/// (the messages are then shown as refused).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// Every message, in order.
    pub messages: Vec<T>,
    /// Which limit the request breaks: which message, its size, the limit and the platform.
    pub refusal: Option<String>,
}

/// The body with any `Content-Encoding` removed, never longer than [`HARD_CAP_BYTES`].
///
/// gzip is decoded through a bounded reader, so a small bomb stops at the cap instead of
/// inflating in memory first.
pub fn decode_body<'a>(
    content_encoding: Option<&str>,
    body: &'a [u8],
) -> Result<Cow<'a, [u8]>, IngestError> {
    let encoding = content_encoding.map(str::trim).unwrap_or("identity");
    if encoding.eq_ignore_ascii_case("identity") || encoding.is_empty() {
        return Ok(Cow::Borrowed(body));
    }
    if !encoding.eq_ignore_ascii_case("gzip") {
        return Err(IngestError::BadRequest(format!(
            "unsupported Content-Encoding \"{encoding}\"; send the body as is or gzip it"
        )));
    }
    let mut decoded = Vec::with_capacity(body.len().saturating_mul(4).min(HARD_CAP_BYTES + 1));
    flate2::read::MultiGzDecoder::new(body)
        .take(HARD_CAP_BYTES as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|error| {
            IngestError::BadRequest(format!("the gzip body cannot be decoded: {error}"))
        })?;
    if decoded.len() > HARD_CAP_BYTES {
        return Err(IngestError::OverHardCap(format!(
            "the body is over the collector's hard cap of {} bytes once decompressed, so it was \
             not read and nothing was stored; send smaller batches",
            thousands(HARD_CAP_BYTES)
        )));
    }
    Ok(Cow::Owned(decoded))
}

/// The refusal of a body of `len` bytes (compressed or not) past [`HARD_CAP_BYTES`], before
/// reading it.
pub fn over_hard_cap(len: usize) -> IngestError {
    IngestError::OverHardCap(format!(
        "the body has {} bytes, over the collector's hard cap of {} bytes, so it was not read \
         and nothing was stored; send smaller batches",
        thousands(len),
        thousands(HARD_CAP_BYTES)
    ))
}

/// The messages of a decoded body, after `authorize` accepted the write key the body carries
/// (`None` when it carries none), and whether `platform` refuses them.
///
/// The batch envelope's `context` and `integrations` are merged into each message (the
/// message's own keys win), as Segment does; `writeKey` is removed so it is never stored.
pub fn parse_messages(
    endpoint: Endpoint,
    body: &[u8],
    platform: Platform,
    authorize: impl FnOnce(Option<&str>) -> bool,
) -> Result<Parsed<Value>, IngestError> {
    parse_each(endpoint, body, platform, authorize, |message, _| message)
}

/// [`parse_messages`], handing each message to `keep` as soon as it is parsed, with its JSON
/// text when the body's bytes are still exactly it (no `writeKey` removed, no envelope merged).
///
/// Judging each message while it is fresh in cache, and dropping its tree right away, keeps
/// the working set of a large batch small. Once a message is malformed the rest are only
/// checked, since the whole body will be refused.
pub(crate) fn parse_each<'a, T>(
    endpoint: Endpoint,
    body: &'a [u8],
    platform: Platform,
    authorize: impl FnOnce(Option<&str>) -> bool,
    keep: impl FnMut(Value, Option<&'a RawValue>) -> T,
) -> Result<Parsed<T>, IngestError> {
    if body.len() > HARD_CAP_BYTES {
        return Err(over_hard_cap(body.len()));
    }
    let text = std::str::from_utf8(body)
        .map_err(|error| IngestError::BadRequest(format!("the body is not UTF-8 JSON: {error}")))?;
    match endpoint {
        Endpoint::Batch => parse_batch(text, platform, authorize, keep),
        Endpoint::Single(call) => parse_single(call, text, platform, authorize, keep),
    }
}

#[derive(Deserialize)]
struct BatchBody<'a> {
    #[serde(borrow)]
    batch: Vec<&'a RawValue>,
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
    context: Option<Value>,
    integrations: Option<Value>,
}

fn parse_batch<'a, T>(
    text: &'a str,
    platform: Platform,
    authorize: impl FnOnce(Option<&str>) -> bool,
    mut keep: impl FnMut(Value, Option<&'a RawValue>) -> T,
) -> Result<Parsed<T>, IngestError> {
    let body: BatchBody<'a> = serde_json::from_str(text).map_err(|error| {
        IngestError::BadRequest(match error.classify() {
            serde_json::error::Category::Data => format!(
                "the body is not a Segment batch ({error}); send {{\"batch\": [message, ...]}}"
            ),
            _ => format!("the body is not JSON: {error}"),
        })
    })?;
    if !authorize(body.write_key.as_deref()) {
        return Err(IngestError::Unauthorized);
    }

    let mut messages = Vec::with_capacity(body.batch.len());
    let mut problems = Vec::new();
    for (index, raw) in body.batch.iter().enumerate() {
        match parse_item(raw.get()) {
            Ok((mut message, mut changed)) => {
                changed |= merge_envelope(&mut message, "context", body.context.as_ref());
                changed |= merge_envelope(&mut message, "integrations", body.integrations.as_ref());
                // Multi-line text would break the NDJSON recording: serialise it again.
                let one_line = !raw.get().contains(['\n', '\r']);
                let text = (!changed && one_line).then_some(*raw);
                if problems.is_empty() {
                    messages.push(keep(Value::Object(message), text));
                }
            }
            Err(problem) => problems.push(format!("batch[{index}]: {problem}")),
        }
    }
    if !problems.is_empty() {
        return Err(IngestError::BadRequest(summarise(&problems)));
    }
    // Each message measured as its JSON text appears in the body, as the SDKs measure it.
    let sizes: Vec<usize> = body.batch.iter().map(|raw| raw.get().len()).collect();
    let refusal = platform.breach(text.len(), &sizes, |index| format!("batch[{index}]"));
    Ok(Parsed { messages, refusal })
}

fn parse_single<'a, T>(
    call: &'static str,
    text: &str,
    platform: Platform,
    authorize: impl FnOnce(Option<&str>) -> bool,
    mut keep: impl FnMut(Value, Option<&'a RawValue>) -> T,
) -> Result<Parsed<T>, IngestError> {
    let parsed: Value = serde_json::from_str(text)
        .map_err(|error| IngestError::BadRequest(format!("the body is not JSON: {error}")))?;
    let Value::Object(mut message) = parsed else {
        return Err(IngestError::BadRequest(format!(
            "the body of /v1/{call} must be one JSON object (a {call} message)"
        )));
    };
    let write_key = match message.remove("writeKey") {
        Some(Value::String(key)) => Some(key),
        _ => None,
    };
    if !authorize(write_key.as_deref()) {
        return Err(IngestError::Unauthorized);
    }
    message
        .entry("type")
        .or_insert_with(|| Value::String(call.to_owned()));
    let refusal = platform.breach(text.len(), &[text.len()], |_| "the message".to_owned());
    Ok(Parsed {
        messages: vec![keep(Value::Object(message), None)],
        refusal,
    })
}

/// The message, and whether it lost a `writeKey`.
fn parse_item(raw: &str) -> Result<(Map<String, Value>, bool), String> {
    match serde_json::from_str(raw) {
        Ok(Value::Object(mut message)) => {
            let removed = message.remove("writeKey").is_some();
            Ok((message, removed))
        }
        Ok(_) => Err("a message must be a JSON object".to_owned()),
        Err(error) => Err(format!("not JSON: {error}")),
    }
}

/// Adds the envelope's keys to the message's object at `key`, keeping the message's values;
/// whether the message changed. A `null` in the message counts as absent, as Segment reads it.
fn merge_envelope(message: &mut Map<String, Value>, key: &str, envelope: Option<&Value>) -> bool {
    let Some(Value::Object(shared)) = envelope else {
        return false;
    };
    match message.get_mut(key) {
        None | Some(Value::Null) => {
            message.insert(key.to_owned(), Value::Object(shared.clone()));
            true
        }
        Some(Value::Object(own)) => {
            let mut changed = false;
            for (name, value) in shared {
                if !own.contains_key(name) {
                    own.insert(name.clone(), value.clone());
                    changed = true;
                }
            }
            changed
        }
        // A non-object is the message's own mistake; Segment's rules report it.
        Some(_) => false,
    }
}

fn summarise(problems: &[String]) -> String {
    let shown = problems
        .iter()
        .take(MAX_REPORTED_ITEM_ERRORS)
        .cloned()
        .collect::<Vec<_>>();
    let mut summary = shown.join("; ");
    if problems.len() > MAX_REPORTED_ITEM_ERRORS {
        summary.push_str(&format!(
            "; and {} more",
            problems.len() - MAX_REPORTED_ITEM_ERRORS
        ));
    }
    summary
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use serde_json::json;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn parse(endpoint: Endpoint, body: &[u8]) -> Result<Vec<Value>, IngestError> {
        parse_messages(endpoint, body, Platform::Segment, |_| true).map(|parsed| {
            assert_eq!(parsed.refusal, None);
            parsed.messages
        })
    }

    fn batch(body: Value) -> Result<Vec<Value>, IngestError> {
        parse(Endpoint::Batch, body.to_string().as_bytes())
    }

    fn bad_request(result: Result<Vec<Value>, IngestError>) -> String {
        match result {
            Err(IngestError::BadRequest(message)) => message,
            other => panic!("expected a bad request, got {other:?}"),
        }
    }

    /// The messages of a body within its endpoint's rules, and the platform's refusal.
    fn refused(endpoint: Endpoint, body: &str, platform: Platform) -> (usize, String) {
        let parsed = parse_messages(endpoint, body.as_bytes(), platform, |_| true).unwrap();
        (parsed.messages.len(), parsed.refusal.expect("a refusal"))
    }

    #[test]
    fn gzip_bodies_are_decoded() {
        let body = br#"{"batch": []}"#;
        let zipped = gzip(body);
        let decoded = decode_body(Some("gzip"), &zipped).unwrap();
        assert_eq!(&decoded[..], body);
        assert_eq!(&decode_body(None, body).unwrap()[..], body);
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_hard_cap() {
        let bomb = gzip(&vec![b' '; 10 * HARD_CAP_BYTES]);
        assert!(
            bomb.len() < 200_000,
            "the bomb should be small: {}",
            bomb.len()
        );
        let message = match decode_body(Some("gzip"), &bomb) {
            Err(IngestError::OverHardCap(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(
            message.contains("hard cap of 8,388,608 bytes once decompressed"),
            "{message}"
        );
    }

    #[test]
    fn broken_gzip_and_unknown_encodings_are_refused() {
        assert!(matches!(
            decode_body(Some("gzip"), b"not gzip"),
            Err(IngestError::BadRequest(_))
        ));
        assert!(matches!(
            decode_body(Some("br"), b"{}"),
            Err(IngestError::BadRequest(_))
        ));
    }

    #[test]
    fn envelope_context_and_integrations_merge_into_each_message() {
        let messages = batch(json!({
            "batch": [
                {"type": "track", "event": "A", "context": {"ip": "own"}},
                {"type": "track", "event": "B", "integrations": {"All": true}},
            ],
            "context": {"ip": "shared", "library": {"name": "x"}},
            "integrations": {"All": false},
            "writeKey": "secret",
        }))
        .unwrap();
        assert_eq!(
            messages[0]["context"],
            json!({"ip": "own", "library": {"name": "x"}})
        );
        assert_eq!(messages[0]["integrations"], json!({"All": false}));
        assert_eq!(
            messages[1]["context"],
            json!({"ip": "shared", "library": {"name": "x"}})
        );
        assert_eq!(messages[1]["integrations"], json!({"All": true}));
    }

    #[test]
    fn the_body_write_key_reaches_authorize_and_is_never_kept() {
        let body =
            json!({"batch": [{"type": "track", "writeKey": "item"}], "writeKey": "k"}).to_string();
        let mut seen = None;
        let parsed = parse_messages(Endpoint::Batch, body.as_bytes(), Platform::Segment, |key| {
            seen = key.map(str::to_owned);
            true
        })
        .unwrap();
        assert_eq!(seen.as_deref(), Some("k"));
        assert!(parsed.messages[0].get("writeKey").is_none());

        let single = json!({"event": "E", "writeKey": "k"}).to_string();
        let refused = parse_messages(
            Endpoint::Single("track"),
            single.as_bytes(),
            Platform::Segment,
            |key| key == Some("x"),
        );
        assert_eq!(refused, Err(IngestError::Unauthorized));
    }

    #[test]
    fn unchanged_one_line_messages_keep_their_text() {
        let body = concat!(
            r#"{"batch": [{"type":"track","event":"A"}, {"type":"track","writeKey":"k"},"#,
            "\n{\n\"type\": \"track\"\n}], \"sentAt\": \"x\"}"
        );
        let texts = |body: &'static str| {
            parse_each(
                Endpoint::Batch,
                body.as_bytes(),
                Platform::Segment,
                |_| true,
                |_, text| text.map(RawValue::get),
            )
            .unwrap()
            .messages
        };
        assert_eq!(
            texts(body),
            [Some(r#"{"type":"track","event":"A"}"#), None, None]
        );
        let shared = r#"{"batch": [{"type": "track"}], "context": {"ip": "1"}}"#;
        assert_eq!(
            texts(shared),
            [None],
            "a merged context changes the message"
        );
    }

    #[test]
    fn a_null_context_takes_the_envelope_context() {
        let messages = batch(json!({
            "batch": [{"type": "track", "event": "A", "context": null, "integrations": null}],
            "context": {"ip": "shared"},
            "integrations": {"All": true},
        }))
        .unwrap();
        assert_eq!(messages[0]["context"], json!({"ip": "shared"}));
        assert_eq!(messages[0]["integrations"], json!({"All": true}));
    }

    #[test]
    fn single_messages_take_their_type_from_the_endpoint() {
        let body = json!({"userId": "u", "event": "E", "writeKey": "k"}).to_string();
        let messages = parse(Endpoint::Single("track"), body.as_bytes()).unwrap();
        assert_eq!(
            messages,
            vec![json!({"type": "track", "userId": "u", "event": "E"})]
        );
    }

    #[test]
    fn messages_up_to_32_kib_as_sent_pass_on_segment() {
        // Python's `json.dumps` writes `", "` and `": "`: the size is the text as sent.
        let padding = 32 * 1024 - r#"{"type": "track", "big": ""}"#.len();
        let item = format!(r#"{{"type": "track", "big": "{}"}}"#, "x".repeat(padding));
        assert_eq!(item.len(), 32_768);
        let body = format!(r#"{{"batch": [{item}]}}"#);
        assert_eq!(parse(Endpoint::Batch, body.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn an_oversize_message_refuses_its_request_but_keeps_every_message() {
        let big = "x".repeat(32 * 1024);
        let body = json!({"batch": [
            {"type": "track"},
            {"type": "track", "properties": {"big": big}},
        ]})
        .to_string();
        let (count, reason) = refused(Endpoint::Batch, &body, Platform::Segment);
        assert_eq!(count, 2, "the valid neighbour is kept too");
        assert!(
            reason.starts_with("batch[1] has 32,80")
                && reason.contains("over Segment's limit of 32,768 per message"),
            "{reason}"
        );
        assert!(
            reason.ends_with("Segment refuses the whole request (400)"),
            "{reason}"
        );

        let single = json!({"event": "E", "properties": {"big": big}}).to_string();
        let (count, reason) = refused(Endpoint::Single("track"), &single, Platform::Segment);
        assert_eq!(count, 1);
        assert!(reason.starts_with("the message has 32,8"), "{reason}");

        let rudder = parse_messages(
            Endpoint::Batch,
            body.as_bytes(),
            Platform::RudderStack,
            |_| true,
        )
        .unwrap();
        assert_eq!(rudder.refusal, None, "RudderStack has no per-message cap");
    }

    #[test]
    fn oversize_bodies_and_batches_are_refused_by_their_platform() {
        let message = json!({"type": "track", "properties": {"blob": "y".repeat(20_000)}});
        let megabyte = json!({ "batch": vec![message; 50] }).to_string();
        assert!(megabyte.len() > 1_000_000);
        let (count, reason) = refused(Endpoint::Batch, &megabyte, Platform::Segment);
        assert_eq!(count, 50);
        assert!(
            reason.contains("over Segment's limit of 512,000 per request"),
            "{reason}"
        );
        let rudder = parse_messages(
            Endpoint::Batch,
            megabyte.as_bytes(),
            Platform::RudderStack,
            |_| true,
        )
        .unwrap();
        assert_eq!((rudder.messages.len(), rudder.refusal), (50, None));

        let many = json!({ "batch": vec![json!({}); 2_501] }).to_string();
        let (count, reason) = refused(Endpoint::Batch, &many, Platform::Segment);
        assert_eq!(count, 2_501);
        assert!(reason.contains("the batch has 2,501 messages"), "{reason}");
    }

    #[test]
    fn bodies_past_the_hard_cap_are_not_parsed() {
        let body = vec![b' '; HARD_CAP_BYTES + 1];
        let refusal = parse_messages(Endpoint::Batch, &body, Platform::RudderStack, |_| true);
        match refusal {
            Err(IngestError::OverHardCap(message)) => {
                assert!(
                    message.contains("the body has 8,388,609 bytes"),
                    "{message}"
                )
            }
            other => panic!("expected the hard cap, got {other:?}"),
        }
    }

    #[test]
    fn malformed_bodies_say_what_is_wrong() {
        let not_json = bad_request(parse(Endpoint::Batch, b"{\"batch\": ["));
        assert!(not_json.starts_with("the body is not JSON"), "{not_json}");
        let no_batch = bad_request(batch(json!({"events": []})));
        assert!(
            no_batch.contains("send {\"batch\": [message, ...]}"),
            "{no_batch}"
        );
        let not_utf8 = bad_request(parse(Endpoint::Batch, &[0xff, 0xfe]));
        assert!(not_utf8.contains("UTF-8"), "{not_utf8}");
        let array = bad_request(parse(Endpoint::Single("page"), b"[1]"));
        assert!(array.contains("must be one JSON object"), "{array}");
    }

    #[test]
    fn every_bad_item_is_reported_at_once() {
        let message = bad_request(batch(
            json!({"batch": [1, {"type": "track"}, "x", [], null]}),
        ));
        assert_eq!(
            message.matches("must be a JSON object").count(),
            4,
            "{message}"
        );
        assert!(message.starts_with("batch[0]"), "{message}");
        assert!(message.contains("batch[4]"), "{message}");

        let many = vec![json!(1); MAX_REPORTED_ITEM_ERRORS + 3];
        assert!(bad_request(batch(json!({ "batch": many }))).ends_with("and 3 more"));
    }
}
