//! Validation against the real fixture plans (every shape the plan reader knows) and the
//! e-commerce plan, directly and through the collector.

mod common;

use std::path::PathBuf;

use common::{batch, post, track};
use serde_json::{json, Value};
use trackplan_collector::{Collector, CollectorConfig, Validator, Violation};
use trackplan_plan::{self as plan, Plan};

fn fixture(name: &str) -> Plan {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../trackplan-codegen/tests/fixtures")
        .join(name);
    plan::load(&path).unwrap_or_else(|errors| panic!("{errors}"))
}

fn ecommerce() -> Plan {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/ecommerce.json");
    plan::load(&path).unwrap_or_else(|errors| panic!("{errors}"))
}

fn validator(plan: Plan) -> Validator {
    Validator::new(&[plan]).unwrap_or_else(|errors| panic!("{errors}"))
}

/// (path, rule) of each violation, sorted.
fn found(violations: &[Violation]) -> Vec<(String, String)> {
    let mut found: Vec<_> = violations
        .iter()
        .map(|v| (v.path.clone(), v.rule.clone()))
        .collect();
    found.sort();
    found
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(path, rule)| (path.to_string(), rule.to_string()))
        .collect()
}

#[test]
fn every_fixture_plan_compiles_into_a_validator() {
    for name in [
        "typewriter-e2e-v1.json",
        "typewriter-e2e-v2.json",
        "typewriter-example-v1.json",
        "typewriter-telemetry-v2.json",
        "ruddertyper-example-v2.json",
    ] {
        let plan = fixture(name);
        assert!(!plan.rules.is_empty(), "{name}");
        assert!(Validator::new(&[plan]).is_ok(), "{name}");
    }
    assert!(Validator::new(&[ecommerce()]).is_ok());
}

#[test]
fn config_api_plans_check_required_payloads_and_property_types() {
    let validator = validator(fixture("typewriter-example-v1.json"));
    let sign_in = |event: &str, properties: Option<Value>| {
        let mut message = json!({"type": "track", "userId": "u", "event": event});
        if let Some(properties) = properties {
            message["properties"] = properties;
        }
        validator.validate(&message)
    };

    assert_eq!(
        sign_in(
            "Sign In Failed",
            Some(json!({"id": "u1", "numAttempts": 2}))
        ),
        vec![]
    );
    assert_eq!(
        found(&sign_in("Sign In Failed", None)),
        pairs(&[("/properties", "required")])
    );
    assert_eq!(
        sign_in("Sign In Submitted", None),
        vec![],
        "its payload is optional"
    );
    assert_eq!(
        found(&sign_in(
            "Sign In Submitted",
            Some(json!({"numAttempts": 1.5, "rememberMe": "yes"}))
        )),
        pairs(&[
            ("/properties", "required"),
            ("/properties/numAttempts", "type"),
            ("/properties/rememberMe", "type"),
        ])
    );
    let unknown = sign_in("Sign In Exploded", Some(json!({})));
    assert_eq!(found(&unknown), pairs(&[("/event", "plan")]));
    assert!(
        unknown[0].message.contains("\"Sign In Exploded\""),
        "{unknown:?}"
    );
}

#[test]
fn typewriter_v2_plans_match_byte_exact_names_and_patterns() {
    let validator = validator(fixture("typewriter-e2e-v2.json"));
    let terrible = "42_--terrible==\\\"event'++name~!3";
    assert_eq!(validator.validate(&track(terrible, json!({}))), vec![]);

    let morty = |value: &str| {
        validator.validate(&track(
            "Custom Violation Handler",
            json!({"regex property": value}),
        ))
    };
    assert_eq!(morty("Evil Morty"), vec![]);
    let wrong = morty("Rick");
    assert_eq!(
        found(&wrong),
        pairs(&[("/properties/regex property", "pattern")])
    );
    assert!(
        wrong[0].message.contains("Lawyer Morty|Evil Morty"),
        "{wrong:?}"
    );
}

#[test]
fn ruddertyper_unnamed_rules_close_every_call_of_their_type() {
    let validator = validator(fixture("ruddertyper-example-v2.json"));
    let identify = json!({"type": "identify", "userId": "u", "traits": {"Sample property 1": 1, "email": "x"}});
    assert_eq!(
        found(&validator.validate(&identify)),
        pairs(&[("/traits", "additionalProperties")])
    );
    let page =
        json!({"type": "page", "userId": "u", "name": "Anything", "properties": {"extra": true}});
    assert_eq!(
        found(&validator.validate(&page)),
        pairs(&[("/properties", "additionalProperties")])
    );
    let group = json!({"type": "group", "userId": "u", "groupId": "g", "traits": {"Sample property 1": []}});
    assert_eq!(validator.validate(&group), vec![]);
}

#[test]
fn ecommerce_products_are_checked_through_their_definitions() {
    let validator = validator(ecommerce());
    let order = |products: Value| {
        validator.validate(&track(
            "Order Completed",
            json!({"order_id": "o1", "total": 27.5, "currency": "USD", "products": products}),
        ))
    };
    let good = json!([{"product_id": "p1", "price": 19, "quantity": 1}, {"product_id": "p2", "price": 3, "quantity": 2}]);
    assert_eq!(order(good), vec![]);
    let bad =
        json!([{"product_id": "p1", "price": 19}, {"product_id": 2, "price": -3, "quantity": 0}]);
    assert_eq!(
        found(&order(bad)),
        pairs(&[
            ("/properties/products/1/price", "minimum"),
            ("/properties/products/1/product_id", "type"),
            ("/properties/products/1/quantity", "minimum"),
        ])
    );
}

#[tokio::test]
async fn the_collector_keeps_plan_violations_with_each_message() {
    let collector =
        Collector::start(CollectorConfig::new().plan(fixture("typewriter-example-v1.json")))
            .await
            .unwrap();
    let messages = vec![
        track("Sign In Failed", json!({"id": "u1"})),
        track("Sign In Failed", json!({"id": 7})),
        track("Signed In", json!({})),
    ];
    assert_eq!(
        post(collector.url(), "/v1/batch", batch(messages))
            .await
            .status,
        200
    );

    let events = collector.events();
    let summary: Vec<_> = events
        .iter()
        .map(|e| (e.valid, found(&e.violations)))
        .collect();
    assert_eq!(
        summary,
        [
            (true, vec![]),
            (false, pairs(&[("/properties/id", "type")])),
            (false, pairs(&[("/event", "plan")])),
        ]
    );
    assert_eq!(
        events[1].violations[0].message,
        "7 is not of type \"string\""
    );
    let stats = collector.stats();
    assert_eq!((stats.valid, stats.invalid), (1, 2));
}
