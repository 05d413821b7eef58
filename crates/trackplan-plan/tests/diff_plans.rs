//! The real plans through diff: every plan against itself, the Typewriter e2e plan across its
//! two shapes (Config API v1 vs Typewriter-unwrapped Public API v2), and the shipped
//! schemas/ecommerce.json against edited and re-shaped copies of itself.

use std::path::PathBuf;

use serde_json::{json, Value};
use trackplan_plan::diff::{diff, ChangeKind, Compatibility, PlanDiff};
use trackplan_plan::{self as plan, LoadOptions, Plan, PlanShape};

const FIXTURES: [&str; 6] = [
    "../trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json",
    "../trackplan-codegen/tests/fixtures/typewriter-e2e-v2.json",
    "../trackplan-codegen/tests/fixtures/typewriter-example-v1.json",
    "../trackplan-codegen/tests/fixtures/typewriter-telemetry-v2.json",
    "../trackplan-codegen/tests/fixtures/ruddertyper-example-v2.json",
    ECOMMERCE,
];

const ECOMMERCE: &str = "../../schemas/ecommerce.json";

fn read(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn parse(text: &str) -> Plan {
    plan::parse(text, &LoadOptions::default()).unwrap_or_else(|errors| panic!("{errors}"))
}

fn load(relative: &str) -> Plan {
    parse(&read(relative))
}

fn ecommerce_json() -> Value {
    serde_json::from_str(&read(ECOMMERCE)).unwrap_or_else(|err| panic!("{err}"))
}

/// The e-commerce rule named `key`, mutably.
fn rule<'v>(plan: &'v mut Value, key: &str) -> &'v mut Value {
    let rules = plan["rules"].as_array_mut().expect("rules array");
    let position = rules
        .iter()
        .position(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no rule {key}"));
    &mut rules[position]
}

/// An e-commerce event's payload schema, mutably.
fn payload<'v>(plan: &'v mut Value, key: &str) -> &'v mut Value {
    &mut rule(plan, key)["jsonSchema"]["properties"]["properties"]
}

fn kinds(d: &PlanDiff) -> Vec<(ChangeKind, &str, Option<&str>)> {
    d.changes
        .iter()
        .map(|c| (c.kind, c.event.as_str(), c.property.as_deref()))
        .collect()
}

#[test]
fn every_plan_against_itself_has_no_changes() {
    for file in FIXTURES {
        let plan = load(file);
        let d = diff(&plan, &plan);
        assert_eq!(d.changes, [], "{file}");
    }
}

#[test]
fn typewriter_e2e_across_shapes_is_compatible() {
    let v1 = load("../trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json");
    let v2 = load("../trackplan-codegen/tests/fixtures/typewriter-e2e-v2.json");
    assert_eq!(
        (v1.shape, v2.shape),
        (PlanShape::ConfigApi, PlanShape::TypewriterSanitized)
    );
    let d = diff(&v1, &v2);
    insta::assert_snapshot!("typewriter_e2e_v1_to_v2", d.to_text());
    assert!(!d.has_breaking(), "{}", d.to_text());
    assert!(
        kinds(&d).contains(&(ChangeKind::EventAdded, "NoID type", None)),
        "v2 adds `NoID type`: {:?}",
        kinds(&d)
    );

    let back = diff(&v2, &v1);
    assert!(back.has_breaking());
    let breaking: Vec<_> = kinds(&back)
        .into_iter()
        .filter(|(kind, ..)| kind.compatibility() == Compatibility::Breaking)
        .collect();
    assert_eq!(breaking, [(ChangeKind::EventRemoved, "NoID type", None)]);
}

#[test]
fn ecommerce_reshaped_as_a_config_api_v1_file_has_no_changes() {
    let public = ecommerce_json();
    let events: Vec<Value> = public["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| json!({"name": r["key"], "description": r["description"], "version": r["version"], "rules": r["jsonSchema"]}))
        .collect();
    let config_api = json!({
        "name": "workspaces/shop/tracking-plans/rs_ecommerce",
        "display_name": public["name"],
        "rules": {"events": events, "identify_traits": [], "group_traits": []}
    });
    let old = parse(&public.to_string());
    let new = parse(&config_api.to_string());
    assert_eq!(
        (old.shape, new.shape),
        (PlanShape::PublicApi, PlanShape::ConfigApi)
    );
    assert_eq!(new.rules.len(), 28);
    assert_eq!(diff(&old, &new).changes, []);
}

#[test]
fn ecommerce_edits_are_classified() {
    let mut edited = ecommerce_json();
    // Breaking.
    let rules = edited["rules"].as_array_mut().expect("rules");
    rules.retain(|r| r["key"] != "Coupon Denied");
    payload(&mut edited, "Order Completed")["required"] =
        json!(["order_id", "products", "currency"]);
    let completed = payload(&mut edited, "Order Completed");
    let total = completed["properties"]["total"].take();
    completed["properties"]
        .as_object_mut()
        .expect("properties")
        .remove("total");
    completed["properties"]["order_total"] = total;
    rule(&mut edited, "Order Completed")["jsonSchema"]["definitions"]["Product"]["properties"]
        ["quantity"]["minimum"] = json!(2);
    payload(&mut edited, "Checkout Step Viewed")["properties"]["step"]["type"] = json!("string");
    payload(&mut edited, "Cart Viewed")["additionalProperties"] = json!(false);
    // Compatible.
    payload(&mut edited, "Product Reviewed")["properties"]["rating"]["type"] =
        json!(["string", "number"]);
    payload(&mut edited, "Product Shared")["properties"]["share_via"]["enum"] =
        json!(["email", "sms"]);
    payload(&mut edited, "Products Searched")["properties"]["locale"] = json!({"type": "string"});
    rule(&mut edited, "Order Refunded")["version"] = json!(2);
    rule(&mut edited, "Order Refunded")["description"] =
        json!("User was refunded (part of) the order.");
    rules_push(
        &mut edited,
        json!({
            "key": "Gift Card Redeemed", "type": "TRACK", "version": 1, "description": "User redeemed a gift card.",
            "jsonSchema": {"type": "object", "properties": {"properties": {"type": "object", "properties": {"gift_card_id": {"type": "string"}}}}}
        }),
    );

    let d = diff(&load(ECOMMERCE), &parse(&edited.to_string()));
    insta::assert_snapshot!("ecommerce_edits_markdown", d.to_markdown());
    assert_eq!(
        kinds(&d),
        [
            (
                ChangeKind::PropertyAdded,
                "Products Searched",
                Some("locale")
            ),
            (
                ChangeKind::AdditionalPropertiesClosed,
                "Cart Viewed",
                Some("{}")
            ),
            (
                ChangeKind::TypeChanged,
                "Checkout Step Viewed",
                Some("step")
            ),
            (
                ChangeKind::PropertyMadeRequired,
                "Order Completed",
                Some("currency")
            ),
            (
                ChangeKind::ConstraintTightened,
                "Order Completed",
                Some("products[].quantity")
            ),
            (
                ChangeKind::PropertyRenamed,
                "Order Completed",
                Some("total")
            ),
            (ChangeKind::VersionChanged, "Order Refunded", None),
            (ChangeKind::DescriptionChanged, "Order Refunded", None),
            (ChangeKind::EventRemoved, "Coupon Denied", None),
            (
                ChangeKind::EnumIntroduced,
                "Product Shared",
                Some("share_via")
            ),
            (ChangeKind::TypeWidened, "Product Reviewed", Some("rating")),
            (ChangeKind::EventAdded, "Gift Card Redeemed", None),
        ]
    );
    assert!(d.has_breaking());
}

fn rules_push(plan: &mut Value, rule: Value) {
    if let Some(rules) = plan["rules"].as_array_mut() {
        rules.push(rule);
    }
}
