//! Ingestion never panics, whatever the body: arbitrary bytes, arbitrary JSON, gzip of either,
//! on every endpoint. It answers with messages or a refusal.

use proptest::prelude::*;
use serde_json::Value;
use trackplan_collector::ingest::{decode_body, parse_messages, Endpoint, IngestError};
use trackplan_collector::{Platform, Validator};

const ENDPOINTS: [Endpoint; 3] = [
    Endpoint::Batch,
    Endpoint::Single("track"),
    Endpoint::Single("alias"),
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-zA-Z ]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("type"),
            Just("track"),
            Just("event"),
            Just("batch"),
            Just("userId")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("batch".to_owned()),
            Just("type".to_owned()),
            Just("event".to_owned()),
            Just("userId".to_owned()),
            Just("properties".to_owned()),
            Just("context".to_owned()),
            Just("writeKey".to_owned()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

fn ingest(encoding: Option<&str>, body: &[u8]) {
    let validator = Validator::without_plan();
    let decoded = match decode_body(encoding, body) {
        Ok(decoded) => decoded,
        Err(IngestError::BadRequest(message) | IngestError::OverHardCap(message)) => {
            return assert!(!message.is_empty())
        }
        Err(IngestError::Unauthorized) => panic!("decoding never checks keys"),
    };
    for (endpoint, platform) in ENDPOINTS
        .into_iter()
        .flat_map(|endpoint| [Platform::Segment, Platform::RudderStack].map(|p| (endpoint, p)))
    {
        if let Ok(parsed) = parse_messages(endpoint, &decoded, platform, |key| key != Some("deny"))
        {
            for message in parsed.messages {
                assert!(message.is_object());
                validator.validate(&message);
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512), gzip in any::<bool>()) {
        ingest(gzip.then_some("gzip"), &body);
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value(), gzip in any::<bool>()) {
        let text = value.to_string();
        if gzip {
            use std::io::Write;
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(text.as_bytes()).unwrap();
            ingest(Some("gzip"), &encoder.finish().unwrap());
        } else {
            ingest(None, text.as_bytes());
        }
    }

    #[test]
    fn arbitrary_batches_of_arbitrary_messages_never_panic(items in prop::collection::vec(json_value(), 0..8)) {
        let body = serde_json::json!({"batch": items, "context": {"app": 1}, "integrations": [1]}).to_string();
        ingest(None, body.as_bytes());
    }
}
