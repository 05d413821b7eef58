//! The plan reader never panics: arbitrary JSON, and fixture plans with random parts replaced.

use proptest::prelude::*;
use serde_json::Value;
use trackplan_codegen::plan::{self, LoadOptions};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            Just("rules".to_owned()),
            Just("events".to_owned()),
            Just("properties".to_owned()),
            Just("TRACK".to_owned()),
            Just("eventMetadata".to_owned()),
            ".*"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        let key = prop_oneof![
            Just("rules".to_owned()),
            Just("events".to_owned()),
            Just("jsonSchema".to_owned()),
            Just("properties".to_owned()),
            Just("traits".to_owned()),
            Just("type".to_owned()),
            Just("key".to_owned()),
            Just("name".to_owned()),
            Just("version".to_owned()),
            Just("eventType".to_owned()),
            Just("eventMetadata".to_owned()),
            Just("required".to_owned()),
            Just("definitions".to_owned()),
            "[a-z$]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replace the value at the `n`th node (pre-order) with `replacement`.
fn mutate(value: &mut Value, n: &mut usize, replacement: &Value) -> bool {
    if *n == 0 {
        *value = replacement.clone();
        return true;
    }
    *n -= 1;
    match value {
        Value::Object(map) => map.values_mut().any(|v| mutate(v, n, replacement)),
        Value::Array(items) => items.iter_mut().any(|v| mutate(v, n, replacement)),
        _ => false,
    }
}

fn fixtures() -> Vec<Value> {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        out.push(serde_json::from_str(&text).unwrap());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics(value in arb_json()) {
        let _ = plan::parse(&value.to_string(), &LoadOptions::default());
        let wrapped = serde_json::json!({ "rules": value.clone() });
        let _ = plan::parse(&wrapped.to_string(), &LoadOptions::default());
        let events = serde_json::json!({ "rules": { "events": [value] } });
        let _ = plan::parse(&events.to_string(), &LoadOptions::default());
    }

    #[test]
    fn mutated_fixtures_never_panic(which in 0usize..5, node in 0usize..4000, replacement in arb_json()) {
        let mut plan = fixtures().swap_remove(which);
        let mut n = node;
        mutate(&mut plan, &mut n, &replacement);
        let _ = plan::parse(&plan.to_string(), &LoadOptions::default());
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = plan::parse(&text, &LoadOptions::default());
    }
}
