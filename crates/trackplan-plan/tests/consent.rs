//! The `x-consent` extension: read from a rule's schema in every plan shape, kept where
//! `Rule::consent` finds it, and checked against the plan's `x-consent-categories`.

use serde_json::{json, Value};
use trackplan_plan::{parse, LoadOptions, PlanError};

fn public_api(categories: Option<Value>, consent: Value) -> String {
    let mut plan = json!({
        "rules": [{
            "key": "Ad Clicked",
            "type": "TRACK",
            "version": 1,
            "jsonSchema": {
                "x-consent": consent,
                "properties": { "properties": { "type": "object" } }
            }
        }]
    });
    if let Some(categories) = categories {
        plan["x-consent-categories"] = categories;
    }
    plan.to_string()
}

fn errors(text: &str) -> Vec<PlanError> {
    parse(text, &LoadOptions::default())
        .expect_err("the plan is refused")
        .errors
}

#[test]
fn every_plan_shape_carries_the_rule_consent() {
    let public = parse(
        &public_api(None, json!(["Analytics", "Advertising"])),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(public.rules[0].consent(), ["Analytics", "Advertising"]);

    let typewriter = json!({
        "rules": [{
            "key": "Ad Clicked", "type": "TRACK", "version": 1,
            "jsonSchema": { "eventMetadata": { "name": "Ad Clicked" }, "x-consent": ["Analytics"], "type": "object" }
        }]
    });
    let typewriter = parse(&typewriter.to_string(), &LoadOptions::default()).unwrap();
    assert_eq!(typewriter.rules[0].consent(), ["Analytics"]);

    let config_api = json!({
        "x-consent-categories": ["Functional"],
        "rules": {
            "events": [{ "name": "Ad Clicked", "rules": { "properties": { "properties": { "type": "object" } } } }],
            "identify_traits": [{ "rules": { "x-consent": ["Functional"], "properties": { "traits": { "type": "object" } } } }]
        }
    });
    let config_api = parse(&config_api.to_string(), &LoadOptions::default()).unwrap();
    assert!(config_api.rules[0].consent().is_empty());
    assert_eq!(config_api.rules[1].consent(), ["Functional"]);
}

#[test]
fn a_category_the_plan_does_not_list_is_an_error_at_its_pointer() {
    let text = public_api(
        Some(json!(["Analytics", "Advertising"])),
        json!(["Analytics", "Advertsing"]),
    );
    let errors = errors(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].pointer, "/rules/0/jsonSchema/x-consent/1");
    assert_eq!(errors[0].message, "unknown consent category `Advertsing`");
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("the plan's `x-consent-categories` lists `Analytics`, `Advertising`; add it there or fix the name")
    );
    // Without a list, any category is accepted.
    assert!(parse(
        &public_api(None, json!(["Advertsing"])),
        &LoadOptions::default()
    )
    .is_ok());
}

#[test]
fn malformed_consent_is_an_error() {
    let cases = [
        (
            json!("Analytics"),
            "/rules/0/jsonSchema/x-consent",
            "`x-consent` must be an array of consent categories",
        ),
        (
            json!([""]),
            "/rules/0/jsonSchema/x-consent/0",
            "a consent category must be a non-empty string",
        ),
        (
            json!([7]),
            "/rules/0/jsonSchema/x-consent/0",
            "a consent category must be a non-empty string",
        ),
        (
            json!(["Analytics", "Analytics"]),
            "/rules/0/jsonSchema/x-consent/1",
            "consent category `Analytics` is listed twice",
        ),
    ];
    for (consent, pointer, message) in cases {
        let errors = errors(&public_api(None, consent.clone()));
        assert_eq!(
            errors
                .iter()
                .map(|e| (e.pointer.as_str(), e.message.as_str()))
                .collect::<Vec<_>>(),
            [(pointer, message)],
            "{consent}"
        );
    }
    let bad_list = errors(&public_api(Some(json!(["Analytics", " "])), json!([])));
    assert_eq!(bad_list[0].pointer, "/x-consent-categories/1");
    let not_a_list = errors(&public_api(Some(json!("Analytics")), json!([])));
    assert_eq!(
        not_a_list[0].message,
        "`x-consent-categories` must be an array of category names"
    );
}
