//! What each fuzz target runs, as plain functions of the input bytes. The cargo-fuzz targets
//! call them, and the root package's `tests/fuzz_corpus.rs` feeds every corpus file through the
//! same functions (it includes this file), so corpus regressions fail `cargo test` without the
//! fuzzer.
//!
//! Each function returns quietly for input that is merely invalid and panics only when an
//! invariant breaks: that panic is the bug the fuzzer reports.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

/// `trackplan generate`'s path: read the plan, generate its types, render the source.
///
/// Invariants: no panic on any text; a plan that reads generates the same tokens twice; the
/// generated tokens always render as valid Rust (a render error is the generator's bug).
pub fn plan_and_generate(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = trackplan_plan::LoadOptions::default().file_name("fuzz.json");
    let plan = match trackplan_plan::parse(text, &options) {
        Ok(plan) => plan,
        Err(errors) => {
            assert!(!errors.to_string().is_empty(), "a refusal explains itself");
            return;
        }
    };
    let generated = match trackplan_codegen::generate::generate(&plan, "fuzz.json") {
        Ok(generated) => generated,
        Err(errors) => {
            assert!(!errors.to_string().is_empty(), "a refusal explains itself");
            return;
        }
    };
    let again = trackplan_codegen::generate::generate(&plan, "fuzz.json")
        .expect("the same plan generates again");
    assert_eq!(
        generated.tokens.to_string(),
        again.tokens.to_string(),
        "generation is deterministic"
    );
    if let Err(error) = trackplan_codegen::source::render(&generated.tokens, "fuzz.json") {
        panic!(
            "the generator produced invalid Rust: {error}\n{}",
            generated.tokens
        );
    }
}

/// The client the NDJSON target sends through: a Capture transport, a queue large enough for
/// any input, and no timer flushes (the target flushes after each input).
fn ndjson_client() -> &'static (trackplan_core::testing::Capture, trackplan_core::Client) {
    static CLIENT: OnceLock<(trackplan_core::testing::Capture, trackplan_core::Client)> =
        OnceLock::new();
    CLIENT.get_or_init(|| {
        let capture = trackplan_core::testing::Capture::new();
        let client = capture
            .client_builder()
            .flush_interval(Duration::from_secs(3600))
            .build()
            .expect("valid settings");
        (capture, client)
    })
}

/// `trackplan send`'s path: NDJSON lines parsed as JSON objects and handed to
/// `Client::enqueue`, delivered through a Capture transport.
///
/// (The CLI's line reader is private to the binary; this applies the same rules: one message
/// per line, `\r\n` accepted, blank lines skipped, non-objects refused.)
///
/// Invariants: no panic; every message `enqueue` accepted is delivered exactly as often as it
/// was accepted, with a `messageId`, a `timestamp`, its `type` and `context.library`.
pub fn ndjson_enqueue(data: &[u8]) {
    let (capture, client) = ndjson_client();
    capture.clear();
    let mut accepted = Vec::new();
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(value @ Value::Object(_)) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        match client.enqueue(value) {
            Ok(id) => accepted.push(id.to_string()),
            Err(refusal) => assert!(!refusal.to_string().is_empty()),
        }
    }
    let report = client.flush_blocking();
    assert!(report.is_complete(), "{report:?}");

    let delivered = capture.messages();
    let mut delivered_ids: Vec<String> = delivered
        .iter()
        .map(|m| m["messageId"].as_str().unwrap_or_default().to_owned())
        .collect();
    delivered_ids.sort();
    accepted.sort();
    assert_eq!(
        delivered_ids, accepted,
        "accepted messages are delivered once"
    );
    for message in &delivered {
        assert!(message["type"].is_string(), "{message}");
        assert!(message["timestamp"].is_string(), "{message}");
        assert_eq!(
            message["context"]["library"]["name"], "trackplan",
            "{message}"
        );
    }
}

/// The collector's validator, with the e-commerce plan loaded so the plan's rules run too.
fn validator() -> &'static trackplan_collector::Validator {
    static VALIDATOR: OnceLock<trackplan_collector::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let plan = trackplan_plan::parse(
            include_str!("../../schemas/ecommerce.json"),
            &trackplan_plan::LoadOptions::default(),
        )
        .expect("the e-commerce plan reads");
        trackplan_collector::Validator::new(&[plan]).expect("the e-commerce plan compiles")
    })
}

/// The collector's ingestion, as its `/v1/...` handler runs it: decode, parse, authorise,
/// validate.
///
/// The first byte picks the route (its value mod 7: `/v1/batch` or one of the six calls) and
/// the encoding (bit 7: the rest is gzipped here first, so the decoder sees valid gzip of
/// arbitrary bytes; bit 6: the rest is sent as a raw `gzip` body, so the decoder sees arbitrary
/// bytes).
///
/// Invariants: no panic; a gzipped body decodes to exactly what was compressed (or is refused
/// as too large); accepted bodies are within Segment's limits; no accepted message keeps a
/// `writeKey`; a body carrying the key "wrong" is never accepted.
pub fn collector_ingest(data: &[u8]) {
    use trackplan_collector::ingest::{
        decode_body, parse_messages, Endpoint, IngestError, MAX_BATCH_MESSAGES, MAX_BODY_BYTES,
    };
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let endpoint = match selector % 7 {
        0 => Endpoint::Batch,
        n => Endpoint::Single(trackplan_collector::segment_rules::CALL_TYPES[usize::from(n) - 1]),
    };
    let decoded = if selector & 0x80 != 0 {
        let compressed = gzip(rest);
        match decode_body(Some("gzip"), &compressed) {
            Ok(decoded) => {
                assert_eq!(&*decoded, rest, "gzip round trip");
                decoded.into_owned()
            }
            Err(IngestError::BadRequest(reason)) => {
                assert!(rest.len() > MAX_BODY_BYTES, "{reason}");
                return;
            }
            Err(other) => panic!("decoding cannot be unauthorised: {other}"),
        }
    } else if selector & 0x40 != 0 {
        match decode_body(Some("gzip"), rest) {
            Ok(decoded) => decoded.into_owned(),
            Err(_) => return,
        }
    } else {
        rest.to_vec()
    };
    assert!(decoded.len() <= MAX_BODY_BYTES || selector & 0xC0 == 0);

    let mut offered_key = None;
    let result = parse_messages(endpoint, &decoded, |key| {
        offered_key = key.map(str::to_owned);
        key != Some("wrong")
    });
    let messages = match result {
        Ok(messages) => messages,
        Err(refusal) => {
            assert!(!refusal.to_string().is_empty());
            return;
        }
    };
    assert_ne!(
        offered_key.as_deref(),
        Some("wrong"),
        "a refused key was accepted"
    );
    assert!(
        decoded.len() <= MAX_BODY_BYTES,
        "an oversize body was accepted"
    );
    assert!(messages.len() <= MAX_BATCH_MESSAGES);
    for message in &messages {
        assert!(
            message.get("writeKey").is_none(),
            "the write key was kept: {message}"
        );
        let _ = validator().validate(message);
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder
        .write_all(bytes)
        .expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail")
}
