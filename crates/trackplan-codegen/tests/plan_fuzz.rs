//! The plan reader never panics: arbitrary JSON, and fixture plans with random parts replaced.

use proptest::prelude::*;
use serde_json::Value;
use trackplan_plan::{self as plan, LoadOptions};

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

/// Whatever a plan holds, generation returns errors or code that parses as Rust: identifiers
/// are valid and literals well formed.
fn generates_parseable_rust_or_errors(text: &str) {
    let Ok(plan) = plan::parse(text, &LoadOptions::default()) else {
        return;
    };
    if let Ok(generated) = trackplan_codegen::generate::generate(&plan, "fuzz.json") {
        if let Err(e) = syn::parse2::<syn::File>(generated.tokens) {
            panic!("generated code does not parse: {e}\nplan: {text}");
        }
    }
}

fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("type".to_owned()),
        Just("self".to_owned()),
        Just("42_--terrible==\\\"event'++name~!3".to_owned()),
        Just("Événement".to_owned()),
        Just("a".to_owned()),
        Just("A".to_owned()),
        ".{0,12}",
    ]
}

fn arb_property_schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(serde_json::json!({})),
        Just(serde_json::json!({"type": "string", "pattern": "a|b", "minLength": 1})),
        Just(serde_json::json!({"type": ["integer", "null"], "minimum": 0})),
        Just(serde_json::json!({"type": ["string", "integer", "boolean"]})),
        Just(serde_json::json!({"type": "string", "format": "date-time"})),
        Just(serde_json::json!({"enum": ["x", "X", "", null, "x y"]})),
        Just(serde_json::json!({"enum": [1, 2.5]})),
        Just(serde_json::json!({"const": {"a": [1]}})),
        Just(serde_json::json!({"$ref": "#/definitions/d"})),
        Just(serde_json::json!({"type": "object", "additionalProperties": {"type": "number"}})),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (
                prop::collection::btree_map(arb_name(), inner.clone(), 0..4),
                prop::collection::vec(arb_name(), 0..3)
            )
                .prop_map(|(props, required)| serde_json::json!({
                    "type": "object", "properties": props, "required": required
                })),
            inner.prop_map(|items| serde_json::json!({"type": ["array", "null"], "items": items})),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_code_always_parses(
        events in prop::collection::vec((arb_name(), prop::collection::btree_map(arb_name(), arb_property_schema(), 0..5)), 1..5),
        definition in arb_property_schema(),
    ) {
        let rules: Vec<Value> = events
            .into_iter()
            .map(|(name, props)| serde_json::json!({
                "name": name,
                "rules": {
                    "definitions": { "d": definition.clone() },
                    "properties": { "properties": { "type": "object", "properties": props } }
                }
            }))
            .collect();
        let plan = serde_json::json!({ "rules": { "events": rules } });
        generates_parseable_rust_or_errors(&plan.to_string());
    }

    #[test]
    fn mutated_fixtures_generate_parseable_rust_or_errors(which in 0usize..5, node in 0usize..4000, replacement in arb_json()) {
        let mut plan = fixtures().swap_remove(which);
        let mut n = node;
        mutate(&mut plan, &mut n, &replacement);
        generates_parseable_rust_or_errors(&plan.to_string());
    }
}
