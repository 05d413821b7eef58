//! Turning one HTTP request body into Segment messages: decompression with a bounded output,
//! Segment's size limits, the batch envelope, and the write key carried in the body.
//!
//! Everything here is pure (bytes in, messages or an error out) so each rule is unit-tested
//! without a server.

use std::borrow::Cow;
use std::io::Read;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Segment's limit for one request body, in bytes (also applied after decompression).
pub const MAX_BODY_BYTES: usize = 500_000;
/// Segment's limit for one message, in bytes of JSON as sent.
pub const MAX_MESSAGE_BYTES: usize = 32_000;
/// Segment's limit for the messages of one batch.
pub const MAX_BATCH_MESSAGES: usize = 2_500;

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

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// Answered with 400: the body breaks a limit or is not a Segment payload.
    #[error("{0}")]
    BadRequest(String),
    /// Answered with 401: a write key is configured and the request did not carry it.
    #[error(
        "invalid write key: send it as HTTP Basic auth (username = write key, empty password) \
         or as `writeKey` in the body"
    )]
    Unauthorized,
}

/// The body with any `Content-Encoding` removed, never longer than [`MAX_BODY_BYTES`].
///
/// gzip is decoded through a bounded reader, so a small bomb stops after the limit instead of
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
    let mut decoded = Vec::with_capacity(body.len().saturating_mul(4).min(MAX_BODY_BYTES + 1));
    flate2::read::MultiGzDecoder::new(body)
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|error| {
            IngestError::BadRequest(format!("the gzip body cannot be decoded: {error}"))
        })?;
    if decoded.len() > MAX_BODY_BYTES {
        return Err(IngestError::BadRequest(format!(
            "the body is over {MAX_BODY_BYTES} bytes once decompressed (Segment's batch limit); \
             send smaller batches"
        )));
    }
    Ok(Cow::Owned(decoded))
}

/// The messages of a decoded body, after `authorize` accepted the write key the body carries
/// (`None` when it carries none).
///
/// The batch envelope's `context` and `integrations` are merged into each message (the
/// message's own keys win), as Segment does; `writeKey` is removed so it is never stored.
pub fn parse_messages(
    endpoint: Endpoint,
    body: &[u8],
    authorize: impl FnOnce(Option<&str>) -> bool,
) -> Result<Vec<Value>, IngestError> {
    parse_each(endpoint, body, authorize, |message, _| message)
}

/// [`parse_messages`], handing each message to `keep` as soon as it is parsed, with its JSON
/// text when the body's bytes are still exactly it (no `writeKey` removed, no envelope merged).
///
/// Judging each message while it is fresh in cache, and dropping its tree right away, keeps
/// the working set of a 500 KB batch small. Once a message is malformed the rest are only
/// checked, since the whole body will be refused.
pub(crate) fn parse_each<'a, T>(
    endpoint: Endpoint,
    body: &'a [u8],
    authorize: impl FnOnce(Option<&str>) -> bool,
    keep: impl FnMut(Value, Option<&'a RawValue>) -> T,
) -> Result<Vec<T>, IngestError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(too_large_body(body.len()));
    }
    let text = std::str::from_utf8(body)
        .map_err(|error| IngestError::BadRequest(format!("the body is not UTF-8 JSON: {error}")))?;
    match endpoint {
        Endpoint::Batch => parse_batch(text, authorize, keep),
        Endpoint::Single(call) => parse_single(call, text, authorize, keep),
    }
}

/// The message of a `Content-Length` over the limit, before reading the body.
pub fn too_large_body(len: usize) -> IngestError {
    IngestError::BadRequest(format!(
        "the body has {len} bytes; Segment accepts at most {MAX_BODY_BYTES} per request: send smaller batches"
    ))
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
    authorize: impl FnOnce(Option<&str>) -> bool,
    mut keep: impl FnMut(Value, Option<&'a RawValue>) -> T,
) -> Result<Vec<T>, IngestError> {
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
    if body.batch.len() > MAX_BATCH_MESSAGES {
        return Err(IngestError::BadRequest(format!(
            "the batch has {} messages; Segment accepts at most {MAX_BATCH_MESSAGES} \
             (it answers 200 and drops them): send smaller batches",
            body.batch.len()
        )));
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
    if problems.is_empty() {
        Ok(messages)
    } else {
        Err(IngestError::BadRequest(summarise(&problems)))
    }
}

fn parse_single<'a, T>(
    call: &'static str,
    text: &str,
    authorize: impl FnOnce(Option<&str>) -> bool,
    mut keep: impl FnMut(Value, Option<&'a RawValue>) -> T,
) -> Result<Vec<T>, IngestError> {
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
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(IngestError::BadRequest(too_large_message(text.len())));
    }
    message
        .entry("type")
        .or_insert_with(|| Value::String(call.to_owned()));
    Ok(vec![keep(Value::Object(message), None)])
}

/// The message, and whether it lost a `writeKey`.
fn parse_item(raw: &str) -> Result<(Map<String, Value>, bool), String> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(too_large_message(raw.len()));
    }
    match serde_json::from_str(raw) {
        Ok(Value::Object(mut message)) => {
            let removed = message.remove("writeKey").is_some();
            Ok((message, removed))
        }
        Ok(_) => Err("a message must be a JSON object".to_owned()),
        Err(error) => Err(format!("not JSON: {error}")),
    }
}

fn too_large_message(len: usize) -> String {
    format!("the message has {len} bytes; Segment accepts at most {MAX_MESSAGE_BYTES} per message")
}

/// Adds the envelope's keys to the message's object at `key`, keeping the message's values;
/// whether the message changed.
fn merge_envelope(message: &mut Map<String, Value>, key: &str, envelope: Option<&Value>) -> bool {
    let Some(Value::Object(shared)) = envelope else {
        return false;
    };
    match message.get_mut(key) {
        None => {
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

    fn batch(body: Value) -> Result<Vec<Value>, IngestError> {
        parse_messages(Endpoint::Batch, body.to_string().as_bytes(), |_| true)
    }

    fn bad_request(result: Result<Vec<Value>, IngestError>) -> String {
        match result {
            Err(IngestError::BadRequest(message)) => message,
            other => panic!("expected a bad request, got {other:?}"),
        }
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
    fn a_gzip_bomb_stops_at_the_limit() {
        let bomb = gzip(&vec![b' '; 50 * MAX_BODY_BYTES]);
        assert!(
            bomb.len() < 100_000,
            "the bomb should be small: {}",
            bomb.len()
        );
        let message = match decode_body(Some("gzip"), &bomb) {
            Err(IngestError::BadRequest(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(message.contains("once decompressed"), "{message}");
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
        let messages = parse_messages(Endpoint::Batch, body.as_bytes(), |key| {
            seen = key.map(str::to_owned);
            true
        })
        .unwrap();
        assert_eq!(seen.as_deref(), Some("k"));
        assert!(messages[0].get("writeKey").is_none());

        let single = json!({"event": "E", "writeKey": "k"}).to_string();
        let refused = parse_messages(Endpoint::Single("track"), single.as_bytes(), |key| {
            key == Some("x")
        });
        assert_eq!(refused, Err(IngestError::Unauthorized));
    }

    #[test]
    fn unchanged_one_line_messages_keep_their_text() {
        let body = concat!(
            r#"{"batch": [{"type":"track","event":"A"}, {"type":"track","writeKey":"k"},"#,
            "\n{\n\"type\": \"track\"\n}], \"sentAt\": \"x\"}"
        );
        let texts = parse_each(
            Endpoint::Batch,
            body.as_bytes(),
            |_| true,
            |_, text| text.map(RawValue::get),
        )
        .unwrap();
        assert_eq!(texts, [Some(r#"{"type":"track","event":"A"}"#), None, None]);

        let shared = json!({"batch": [{"type": "track"}], "context": {"ip": "1"}}).to_string();
        let texts =
            parse_each(Endpoint::Batch, shared.as_bytes(), |_| true, |_, text| text).unwrap();
        assert!(texts[0].is_none(), "a merged context changes the message");
    }

    #[test]
    fn single_messages_take_their_type_from_the_endpoint() {
        let body = json!({"userId": "u", "event": "E", "writeKey": "k"}).to_string();
        let messages =
            parse_messages(Endpoint::Single("track"), body.as_bytes(), |_| true).unwrap();
        assert_eq!(
            messages,
            vec![json!({"type": "track", "userId": "u", "event": "E"})]
        );
    }

    #[test]
    fn oversize_messages_are_refused_with_their_index() {
        let big = "x".repeat(MAX_MESSAGE_BYTES);
        let message = bad_request(batch(json!({"batch": [
            {"type": "track"},
            {"type": "track", "properties": {"big": big}},
        ]})));
        assert!(
            message.starts_with("batch[1]: the message has 320"),
            "{message}"
        );

        let single = json!({"event": "E", "properties": {"big": big}}).to_string();
        let message = bad_request(parse_messages(
            Endpoint::Single("track"),
            single.as_bytes(),
            |_| true,
        ));
        assert!(message.contains("at most 32000 per message"), "{message}");
    }

    #[test]
    fn oversize_bodies_and_batches_are_refused() {
        let body = vec![b' '; MAX_BODY_BYTES + 1];
        assert!(
            bad_request(parse_messages(Endpoint::Batch, &body, |_| true)).contains("500001 bytes")
        );
        let many = vec![json!({}); MAX_BATCH_MESSAGES + 1];
        assert!(bad_request(batch(json!({ "batch": many }))).contains("2501 messages"));
    }

    #[test]
    fn malformed_bodies_say_what_is_wrong() {
        let not_json = bad_request(parse_messages(Endpoint::Batch, b"{\"batch\": [", |_| true));
        assert!(not_json.starts_with("the body is not JSON"), "{not_json}");
        let no_batch = bad_request(batch(json!({"events": []})));
        assert!(
            no_batch.contains("send {\"batch\": [message, ...]}"),
            "{no_batch}"
        );
        let not_utf8 = bad_request(parse_messages(Endpoint::Batch, &[0xff, 0xfe], |_| true));
        assert!(not_utf8.contains("UTF-8"), "{not_utf8}");
        let array = bad_request(parse_messages(Endpoint::Single("page"), b"[1]", |_| true));
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
