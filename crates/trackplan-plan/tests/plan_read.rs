//! The plan reader on the five real fixture plans and on hand-made edge cases.

use serde_json::json;
use trackplan_plan::{self as plan, Call, LoadOptions, Plan, PlanShape};

fn fixture(name: &str) -> Plan {
    let path = format!(
        "{}/../trackplan-codegen/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    plan::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn parse(value: serde_json::Value) -> Result<Plan, plan::PlanErrors> {
    plan::parse(&value.to_string(), &LoadOptions::default())
}

fn names(plan: &Plan) -> Vec<&str> {
    plan.rules.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn config_api_e2e_plan() {
    let plan = fixture("typewriter-e2e-v1.json");
    assert_eq!(plan.shape, PlanShape::ConfigApi);
    assert_eq!(plan.name, "Typewriter E2E Testing Tracking Plan");
    assert!(
        plan.id.as_deref().is_some_and(|id| id.starts_with("rs_")),
        "{:?}",
        plan.id
    );
    assert_eq!(plan.rules.len(), 24);
    assert!(plan
        .rules
        .iter()
        .all(|r| r.call == Call::Track && r.version == Some(1)));
    // The decoded wire name keeps the backslash and both quotes, byte-exact.
    assert_eq!(plan.rules[0].name, "42_--terrible==\\\"event'++name~!3");
    assert_eq!(
        plan.rules[0].pointer,
        "/rules/events/0/rules/properties/properties"
    );
    let required = plan.rules.iter().filter(|r| r.payload_required).count();
    assert_eq!(
        required, 10,
        "10 events list `properties` in the root `required`"
    );
    let every = plan
        .rules
        .iter()
        .find(|r| r.name == "Every Required Type")
        .unwrap();
    let object = &every.payload["properties"]["required object"];
    assert!(
        object.get("key").is_none(),
        "the non-standard `key` annotation is dropped"
    );
    assert_eq!(object["type"], "object");
}

#[test]
fn public_api_unwrapped_e2e_plan() {
    let plan = fixture("typewriter-e2e-v2.json");
    assert_eq!(plan.shape, PlanShape::TypewriterSanitized);
    assert_eq!(plan.rules.len(), 25);
    let names = names(&plan);
    // The wire name is `eventMetadata.name`, not the sanitised key.
    assert!(names.contains(&"NoID type"), "{names:?}");
    assert!(!names.contains(&"NoID Type"));
    assert!(names.contains(&"Property Object Name Collision #1"));
    let regex = plan
        .rules
        .iter()
        .find(|r| r.name == "Custom Violation Handler")
        .unwrap();
    assert!(
        regex.payload_required,
        "unwrapped payloads with required fields are required"
    );
    assert_eq!(
        regex.pointer,
        format!("/rules/{}/jsonSchema", regex_index(&plan))
    );
    let prop = &regex.payload["properties"]["regex property"];
    assert!(
        prop.get("id").is_none(),
        "leftover `id` annotations are dropped: {prop}"
    );
    assert_eq!(prop["pattern"], "Lawyer Morty|Evil Morty");
    assert!(regex.payload.get("labels").is_none() && regex.payload.get("eventMetadata").is_none());
    let empty = plan.rules.iter().find(|r| r.name == "Empty Event").unwrap();
    assert!(!empty.payload_required);
}

fn regex_index(plan: &Plan) -> usize {
    // The fixture keeps the file order; find the rule's index in the raw file.
    let raw: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../trackplan-codegen/tests/fixtures/typewriter-e2e-v2.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let _ = plan;
    raw["rules"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["key"] == "Custom Violation Handler")
        .unwrap()
}

#[test]
fn v1_and_v2_e2e_payloads_match() {
    let v1 = fixture("typewriter-e2e-v1.json");
    let v2 = fixture("typewriter-e2e-v2.json");
    for rule in &v1.rules {
        let other = v2
            .rules
            .iter()
            .find(|r| r.name == rule.name)
            .unwrap_or_else(|| panic!("{}", rule.name));
        assert_eq!(
            strip_descriptions(&rule.payload),
            strip_descriptions(&other.payload),
            "{}",
            rule.name
        );
    }
}

fn strip_descriptions(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            // v2 spells an empty payload `properties: {}` where v1 leaves `properties` out.
            .filter(|(k, v)| !(k.as_str() == "description" && v.is_string()))
            .filter(|(k, v)| {
                !(k.as_str() == "properties" && v.as_object().is_some_and(|m| m.is_empty()))
            })
            .map(|(k, v)| (k.clone(), strip_descriptions(v)))
            .collect(),
        serde_json::Value::Array(items) => items.iter().map(strip_descriptions).collect(),
        other => other.clone(),
    }
}

#[test]
fn telemetry_plan() {
    let plan = fixture("typewriter-telemetry-v2.json");
    assert_eq!(plan.shape, PlanShape::TypewriterSanitized);
    assert_eq!(plan.name, "Typewriter Tracking Plan");
    assert_eq!(
        names(&plan),
        [
            "Command Build",
            "Command Error",
            "Command Help",
            "Command Init",
            "KitchenSink",
            "VersionCommand"
        ]
    );
    let kitchen = plan.rules.iter().find(|r| r.name == "KitchenSink").unwrap();
    assert_eq!(
        kitchen.payload["properties"]["aDate"]["format"],
        "date-time"
    );
    assert!(!kitchen.payload_required, "KitchenSink requires nothing");
    let undescribed = plan
        .rules
        .iter()
        .filter(|r| r.description.is_none())
        .count();
    assert_eq!(undescribed, 3, "three rules have no root description");
}

#[test]
fn example_plan() {
    let plan = fixture("typewriter-example-v1.json");
    assert_eq!(plan.shape, PlanShape::ConfigApi);
    assert_eq!(
        names(&plan),
        [
            "Sign In Failed",
            "Sign In Submitted",
            "Sign In Succeeded",
            "User Signed Out"
        ]
    );
    let required: Vec<bool> = plan.rules.iter().map(|r| r.payload_required).collect();
    assert_eq!(required, [true, false, false, false]);
    // A property literally named `id` survives annotation stripping.
    assert_eq!(plan.rules[0].payload["properties"]["id"]["type"], "string");
    assert_eq!(plan.rules[0].payload["required"], json!(["id"]));
    assert_eq!(
        plan.rules[0].description.as_deref(),
        Some("Fired after a user's signin attempt fails to pass validation.")
    );
}

#[test]
fn ruddertyper_plan() {
    let plan = fixture("ruddertyper-example-v2.json");
    assert_eq!(plan.shape, PlanShape::RudderTyper);
    let calls: Vec<Call> = plan.rules.iter().map(|r| r.call).collect();
    assert_eq!(
        calls,
        [
            Call::Identify,
            Call::Page,
            Call::Screen,
            Call::Group,
            Call::Track
        ]
    );
    assert!(plan.rules.iter().all(|r| r.version.is_none()));
    assert_eq!(plan.rules[0].name, "");
    assert_eq!(
        plan.rules[0].pointer,
        "/rules/events/0/rules/properties/traits"
    );
    assert_eq!(
        plan.rules[1].pointer,
        "/rules/events/1/rules/properties/properties"
    );
    assert_eq!(plan.rules[4].name, "Sample event 1");
    assert!(plan
        .rules
        .iter()
        .all(|r| r.payload["additionalProperties"] == json!(false)));
}

fn versioned_plan() -> serde_json::Value {
    json!({ "rules": [
        { "key": "A", "type": "TRACK", "version": 1, "jsonSchema": { "properties": { "properties": { "type": "object", "properties": { "v1": {} } } } } },
        { "key": "B", "type": "TRACK", "version": 1, "jsonSchema": {} },
        { "key": "A", "type": "TRACK", "version": 3, "jsonSchema": { "properties": { "properties": { "type": "object", "properties": { "v3": {} } } } } },
        { "key": "A", "type": "TRACK", "version": 2, "jsonSchema": { "properties": { "properties": { "type": "object", "properties": { "v2": {} } } } } },
        { "key": "ctx", "type": "COMMON", "version": 1, "jsonSchema": {} },
        { "key": "traits", "type": "IDENTIFY", "version": 1, "jsonSchema": { "properties": { "traits": { "type": "object" } }, "required": ["traits"] } }
    ]})
}

#[test]
fn newest_version_wins_in_first_appearance_order() {
    let plan = parse(versioned_plan()).unwrap();
    assert_eq!(plan.shape, PlanShape::PublicApi);
    assert_eq!(names(&plan), ["A", "B", ""]);
    assert_eq!(plan.rules[0].version, Some(3));
    assert!(plan.rules[0].payload["properties"].get("v3").is_some());
    assert_eq!(
        plan.rules[0].pointer,
        "/rules/2/jsonSchema/properties/properties"
    );
    assert_eq!(plan.rules[2].call, Call::Identify);
    assert!(plan.rules[2].payload_required);
    assert_eq!(
        plan.rules[2].pointer,
        "/rules/5/jsonSchema/properties/traits"
    );
}

#[test]
fn pins_choose_a_version_and_unknown_pins_are_errors() {
    let text = versioned_plan().to_string();
    let pinned = plan::parse(&text, &LoadOptions::default().pin(Call::Track, "A", 2)).unwrap();
    assert_eq!(pinned.rules[0].version, Some(2));
    let err = plan::parse(
        &text,
        &LoadOptions::default()
            .pin(Call::Track, "A", 9)
            .pin(Call::Track, "Z", 1),
    )
    .unwrap_err();
    assert_eq!(err.errors.len(), 2, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("has no version 9") && text.contains("[1, 3, 2]"),
        "{text}"
    );
    assert!(
        text.contains("pinned track `Z` is not in the plan"),
        "{text}"
    );
}

#[test]
fn definitions_are_collected_and_made_standalone() {
    let plan = parse(json!({ "rules": { "events": [ { "name": "E", "rules": {
        "definitions": { "money": { "type": "number" } },
        "properties": { "properties": { "type": "object",
            "$defs": { "sku": { "type": "string", "id": "/x" } },
            "properties": { "price": { "$ref": "#/definitions/money" } } } } } } ] } }))
    .unwrap();
    let rule = &plan.rules[0];
    assert_eq!(rule.definitions.len(), 2);
    assert_eq!(rule.definitions["sku"], json!({ "type": "string" }));
    let standalone = rule.standalone_schema();
    assert_eq!(
        standalone["definitions"]["money"],
        json!({ "type": "number" })
    );
    assert_eq!(standalone["$defs"]["money"], json!({ "type": "number" }));
}

#[test]
fn every_problem_is_reported_with_its_pointer() {
    let err = parse(json!({ "rules": [
        { "key": "A", "type": "TRAK", "jsonSchema": {} },
        { "key": "B", "type": "TRACK" },
        { "key": "C", "type": "TRACK", "version": -1, "jsonSchema": {} },
        { "key": "D", "type": "TRACK", "jsonSchema": { "properties": { "properties": 3 } } },
        "nope"
    ]}))
    .unwrap_err();
    let pointers: Vec<&str> = err.errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/rules/0/type",
            "/rules/1",
            "/rules/2/version",
            "/rules/3/jsonSchema/properties/properties",
            "/rules/4"
        ]
    );
    assert!(err.errors[0]
        .hint
        .as_deref()
        .unwrap()
        .contains("TRACK, IDENTIFY"));
    assert!(err.to_string().starts_with("<plan>: 5 problems"), "{err}");
}

#[test]
fn not_json_and_not_a_plan() {
    let err = plan::parse("{ nope", &LoadOptions::default().file_name("x.json")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("x.json: at (document): not valid JSON"),
        "{err}"
    );
    for (text, needle) in [
        ("[]", "must be a JSON object"),
        ("{}", "no `rules` key"),
        (r#"{"rules": 1}"#, "array or an object"),
    ] {
        let err = plan::parse(text, &LoadOptions::default()).unwrap_err();
        assert!(err.to_string().contains(needle), "{text}: {err}");
        assert!(err.errors[0].hint.is_some());
    }
}

#[test]
fn duplicate_versions_are_an_error() {
    let err = parse(json!({ "rules": { "events": [
        { "name": "E", "version": 1, "rules": {} }, { "name": "E", "version": 1, "rules": {} } ] } }))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("appears twice with the same version"),
        "{err}"
    );
}

#[test]
fn missing_file_names_the_file() {
    let err = plan::load("does/not/exist.json").unwrap_err();
    assert_eq!(err.file, "does/not/exist.json");
    assert!(err.to_string().contains("cannot read the file"));
}

#[test]
fn a_public_api_page_or_screen_rule_without_a_key_is_unnamed_but_a_track_needs_one() {
    let plan = parse(json!({"rules": [
        {"type": "PAGE", "jsonSchema": {}},
        {"type": "SCREEN", "jsonSchema": {}},
    ]}))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&plan), ["", ""]);
    assert_eq!(plan.rules[1].call, Call::Screen);
    let errors = parse(json!({"rules": [{"type": "TRACK", "jsonSchema": {}}]}))
        .err()
        .unwrap_or_else(|| panic!("a track rule without a key"));
    assert_eq!(errors.errors[0].message, "missing `key`");
}
