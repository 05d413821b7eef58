//! One test per lint rule on small hand-built plans, plus config and report behaviour.

use serde_json::{json, Value};
use trackplan_plan::lint::{lint, Finding, Level, LintConfig, LintReport, RuleId, Severity};
use trackplan_plan::{Call, Plan, PlanShape, Rule};

fn rule(call: Call, name: &str, payload: Value) -> Rule {
    Rule {
        call,
        name: name.to_owned(),
        version: Some(1),
        description: Some("Fires when it happens.".to_owned()),
        payload,
        payload_required: true,
        pointer: "/rules/0/jsonSchema/properties/properties".to_owned(),
        definitions: Default::default(),
    }
}

fn track(name: &str, payload: Value) -> Rule {
    rule(Call::Track, name, payload)
}

fn plan(rules: Vec<Rule>) -> Plan {
    let rules = rules
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r.pointer = format!("/rules/{i}/jsonSchema/properties/properties");
            r
        })
        .collect();
    Plan {
        name: "Test".to_owned(),
        id: None,
        shape: PlanShape::PublicApi,
        rules,
    }
}

/// A payload with one well-named string property, so only the rule under test fires.
fn ok_payload() -> Value {
    json!({"type": "object", "properties": {"order_id": {"type": "string"}}})
}

fn findings_of(report: &LintReport, id: RuleId) -> Vec<&Finding> {
    report.findings.iter().filter(|f| f.rule == id).collect()
}

fn run(plan: &Plan) -> LintReport {
    lint(plan, &LintConfig::default())
}

#[test]
fn a_clean_plan_has_no_findings() {
    let report = run(&plan(vec![
        track("Order Completed", ok_payload()),
        track("Product Added to Wishlist", ok_payload()),
    ]));
    assert_eq!(report.findings, []);
    assert_eq!(report.to_text(), "no findings\n");
}

#[test]
fn event_name_case() {
    let report = run(&plan(vec![
        track("order completed", ok_payload()),
        track("CheckoutStarted", ok_payload()),
        track("Order Shipped", ok_payload()),
    ]));
    let found = findings_of(&report, RuleId::EventNameCase);
    let events: Vec<&str> = found.iter().map(|f| f.event.as_str()).collect();
    assert_eq!(events, ["order completed", "CheckoutStarted"]);
    assert_eq!(found[0].severity, Severity::Warning);
    assert_eq!(
        found[0].pointer,
        "/rules/0/jsonSchema/properties/properties"
    );
    assert!(
        found[0].message.contains("`Order Completed`"),
        "{}",
        found[0].message
    );
    assert!(
        found[1].message.contains("`Checkout Started`"),
        "{}",
        found[1].message
    );
}

#[test]
fn event_name_tense() {
    let report = run(&plan(vec![
        track("Order Complete", ok_payload()),
        track("Checkout", ok_payload()),
        track("Email Sent", ok_payload()),
    ]));
    let events: Vec<&str> = findings_of(&report, RuleId::EventNameTense)
        .iter()
        .map(|f| f.event.as_str())
        .collect();
    assert_eq!(events, ["Order Complete", "Checkout"]);
}

#[test]
fn naming_rules_skip_unnamed_identify_and_page_names() {
    let report = run(&plan(vec![
        rule(Call::Identify, "", ok_payload()),
        rule(Call::Page, "home", ok_payload()),
    ]));
    assert_eq!(report.findings, []);
}

#[test]
fn event_name_collision_is_an_error() {
    let report = run(&plan(vec![
        track("Event Collided", ok_payload()),
        track("event_collided", ok_payload()),
    ]));
    let found = findings_of(&report, RuleId::EventNameCollision);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity, Severity::Error);
    assert_eq!(found[0].event, "event_collided");
    assert!(
        found[0].hint.contains("`event_collided`"),
        "{}",
        found[0].hint
    );
    assert!(report.has_errors());
}

#[test]
fn property_name_case_walks_nested_objects_and_allows_reserved_traits() {
    let payload = json!({
        "type": "object",
        "properties": {
            "orderId": {"type": "string"},
            "firstName": {"type": "string"},
            "products": {"type": "array", "items": {"type": "object", "properties": {"unitPrice": {"type": "number"}}}}
        }
    });
    let report = run(&plan(vec![track("Order Completed", payload)]));
    let found = findings_of(&report, RuleId::PropertyNameCase);
    let props: Vec<Option<&str>> = found.iter().map(|f| f.property.as_deref()).collect();
    assert_eq!(props, [Some("orderId"), Some("products[].unitPrice")]);
    assert_eq!(
        found[1].pointer,
        "/rules/0/jsonSchema/properties/properties/properties/products/items/properties/unitPrice"
    );
    assert!(found[0].hint.contains("`order_id`"), "{}", found[0].hint);
}

#[test]
fn property_name_collision_within_one_object() {
    let payload = json!({"type": "object", "properties": {"Property Collided": {"type": "string"}, "property_collided": {"type": "string"}}});
    let report = run(&plan(vec![track("Properties Collided", payload)]));
    let found = findings_of(&report, RuleId::PropertyNameCollision);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].severity, Severity::Error);
    assert!(
        found[0]
            .message
            .contains("`Property Collided` and `property_collided`"),
        "{}",
        found[0].message
    );
}

#[test]
fn missing_description() {
    let mut undocumented = track("Order Completed", ok_payload());
    undocumented.description = None;
    let report = run(&plan(vec![
        undocumented,
        track("Order Refunded", ok_payload()),
    ]));
    let events: Vec<&str> = findings_of(&report, RuleId::MissingDescription)
        .iter()
        .map(|f| f.event.as_str())
        .collect();
    assert_eq!(events, ["Order Completed"]);
}

#[test]
fn missing_property_description_is_off_until_enabled() {
    let payload = json!({"type": "object", "properties": {"order_id": {"type": "string"}, "total": {"type": "number", "description": "Total."}}});
    let plan = plan(vec![track("Order Completed", payload)]);
    assert_eq!(
        findings_of(&run(&plan), RuleId::MissingPropertyDescription).len(),
        0
    );
    let mut config = LintConfig::default();
    config.set(RuleId::MissingPropertyDescription, Level::Warning);
    let report = lint(&plan, &config);
    let props: Vec<Option<&str>> = findings_of(&report, RuleId::MissingPropertyDescription)
        .iter()
        .map(|f| f.property.as_deref())
        .collect();
    assert_eq!(props, [Some("order_id")]);
}

#[test]
fn dynamic_names_in_events_and_properties() {
    let payload = json!({"type": "object", "properties": {"feature_1": {"type": "boolean"}, "order_id": {"type": "string"}}});
    let report = run(&plan(vec![track("User Signed Up (11-01-2019)", payload)]));
    let found = findings_of(&report, RuleId::DynamicName);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].message.contains("date `11-01-2019`"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].property, None);
    assert_eq!(found[1].property.as_deref(), Some("feature_1"));
}

#[test]
fn empty_properties_schema_unless_closed() {
    let report = run(&plan(vec![
        track("Order Completed", json!({"type": "object"})),
        track(
            "Order Refunded",
            json!({"type": "object", "properties": {}}),
        ),
        track(
            "Cart Emptied",
            json!({"type": "object", "properties": {}, "additionalProperties": false}),
        ),
    ]));
    let events: Vec<&str> = findings_of(&report, RuleId::EmptyPropertiesSchema)
        .iter()
        .map(|f| f.event.as_str())
        .collect();
    assert_eq!(events, ["Order Completed", "Order Refunded"]);
}

#[test]
fn inconsistent_property_type_across_events_ignores_nullability() {
    let report = run(&plan(vec![
        track(
            "Order Completed",
            json!({"properties": {"order_id": {"type": "string"}, "total": {"type": "number"}}}),
        ),
        track(
            "Order Refunded",
            json!({"properties": {"order_id": {"type": "integer"}, "total": {"type": ["number", "null"]}}}),
        ),
        track(
            "Order Cancelled",
            json!({"properties": {"order_id": {"type": "integer"}, "note": {}}}),
        ),
        track(
            "Order Updated",
            json!({"properties": {"order_id": {"type": "string"}, "note": {"type": "string"}}}),
        ),
    ]));
    let found = findings_of(&report, RuleId::InconsistentPropertyType);
    assert_eq!(found.len(), 1, "{found:?}");
    let finding = found[0];
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.event, "Order Refunded");
    assert_eq!(finding.property.as_deref(), Some("order_id"));
    assert_eq!(
        finding.pointer,
        "/rules/1/jsonSchema/properties/properties/properties/order_id"
    );
    assert_eq!(
        finding.message,
        "`order_id` is integer in event `Order Refunded` and event `Order Cancelled` but string in event \
         `Order Completed` and event `Order Updated`"
    );
}

#[test]
fn required_undeclared() {
    let payload = json!({"type": "object", "properties": {"config": {
        "type": "object", "properties": {"mode": {"type": "string"}}, "required": ["mode", "id"]
    }}});
    let report = run(&plan(vec![track("Command Ran", payload)]));
    let found = findings_of(&report, RuleId::RequiredUndeclared);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].property.as_deref(), Some("config.id"));
    assert_eq!(
        found[0].pointer,
        "/rules/0/jsonSchema/properties/properties/properties/config/required"
    );
}

#[test]
fn reserved_property_types() {
    let payload = json!({"type": "object", "properties": {
        "revenue": {"type": "string"},
        "value": {"type": ["integer", "null"]},
        "currency": {"type": "number"},
        "item": {"type": "object", "properties": {"revenue": {"type": "string"}}}
    }});
    let report = run(&plan(vec![track("Order Completed", payload)]));
    let found = findings_of(&report, RuleId::ReservedPropertyType);
    let props: Vec<Option<&str>> = found.iter().map(|f| f.property.as_deref()).collect();
    assert_eq!(
        props,
        [Some("currency"), Some("revenue")],
        "nested `item.revenue` is not the reserved one"
    );
    assert_eq!(
        found[1].message,
        "`revenue` is reserved by Segment as a number but is string here"
    );
}

#[test]
fn unmarked_personal_data() {
    let payload = json!({"type": "object", "properties": {
        "email": {"type": "string"},
        "phone": {"type": "string", "x-pii": "hash"},
        "email_verified": {"type": "boolean"},
        "ipAddress": {"type": ["string", "null"]},
        "shipping_address": {"type": "object", "x-pii": true, "properties": {
            "street": {"type": "string"}
        }},
        "contacts": {"type": "array", "items": {"type": "object", "properties": {
            "first_name": {"type": "string"}
        }}},
        "product_name": {"type": "string"}
    }});
    let report = run(&plan(vec![track("Order Completed", payload)]));
    let found = findings_of(&report, RuleId::UnmarkedPii);
    let props: Vec<Option<&str>> = found.iter().map(|f| f.property.as_deref()).collect();
    assert_eq!(
        props,
        [
            Some("email"),
            Some("ipAddress"),
            Some("contacts[].first_name")
        ],
        "marked, non-string and covered properties are not reported"
    );
    assert_eq!(found[0].severity, Severity::Warning);
    assert_eq!(
        found[0].message,
        "property `email` looks like personal data (an email address) but is not marked `\"x-pii\"`"
    );
    assert_eq!(
        found[0].pointer,
        "/rules/0/jsonSchema/properties/properties/properties/email"
    );
    assert!(
        found[0].hint.contains(r#""x-pii": true"#),
        "{}",
        found[0].hint
    );
}

#[test]
fn shared_definitions_are_reported_once() {
    let definitions: serde_json::Map<String, Value> = json!({
        "Product": {"type": "object", "properties": {"productId": {"type": "string"}}}
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    let payload = json!({"type": "object", "properties": {"products": {"type": "array", "items": {"$ref": "#/definitions/Product"}}}});
    let mut first = track("Cart Viewed", payload.clone());
    first.definitions = definitions.clone();
    let mut second = track("Order Completed", payload);
    second.definitions = definitions;
    let report = run(&plan(vec![first, second]));
    let found = findings_of(&report, RuleId::PropertyNameCase);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].event, "Cart Viewed");
    assert_eq!(found[0].property.as_deref(), Some("products[].productId"));
}

#[test]
fn recursive_definitions_terminate() {
    let mut node = track(
        "Tree Viewed",
        json!({"type": "object", "properties": {"root": {"$ref": "#/definitions/Node"}}}),
    );
    node.definitions = json!({"Node": {"type": "object", "properties": {"childNodes": {"type": "array", "items": {"$ref": "#/definitions/Node"}}}}})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let report = run(&plan(vec![node]));
    let props: Vec<Option<&str>> = findings_of(&report, RuleId::PropertyNameCase)
        .iter()
        .map(|f| f.property.as_deref())
        .collect();
    assert_eq!(props, [Some("root.childNodes")]);
}

#[test]
fn config_turns_rules_off_and_changes_severity() {
    let plan = plan(vec![track("order_completed", json!({"type": "object"}))]);
    let default = run(&plan);
    assert!(!default.has_errors());
    assert_eq!(
        findings_of(&default, RuleId::EmptyPropertiesSchema).len(),
        1
    );

    let config = LintConfig::from_json(
        r#"{"rules": {"empty-properties-schema": "off", "event-name-case": "error"}}"#,
    )
    .expect("valid config");
    let report = lint(&plan, &config);
    assert_eq!(findings_of(&report, RuleId::EmptyPropertiesSchema).len(), 0);
    assert_eq!(
        findings_of(&report, RuleId::EventNameCase)[0].severity,
        Severity::Error
    );
    assert!(report.has_errors());
}

#[test]
fn text_and_json_reports() {
    let report = run(&plan(vec![track(
        "Order Completed",
        json!({"properties": {"orderId": {"type": "string"}}}),
    )]));
    assert_eq!(
        report.to_text(),
        "warning[property-name-case]: property `orderId` is not snake_case\n  --> event `Order Completed`, property \
         `orderId` at /rules/0/jsonSchema/properties/properties/properties/orderId\n  hint: use `order_id` (Segment's \
         reserved camelCase traits such as `firstName` are fine)\n\n0 errors, 1 warning\n"
    );
    let json = report.to_json();
    assert_eq!(json["errors"], 0);
    assert_eq!(json["warnings"], 1);
    assert_eq!(
        json["findings"][0],
        json!({
            "rule": "property-name-case", "severity": "warning", "call": "track", "event": "Order Completed",
            "property": "orderId", "pointer": "/rules/0/jsonSchema/properties/properties/properties/orderId",
            "message": "property `orderId` is not snake_case",
            "hint": "use `order_id` (Segment's reserved camelCase traits such as `firstName` are fine)"
        })
    );
}

#[test]
fn rule_ids_round_trip() {
    for id in RuleId::ALL {
        assert_eq!(RuleId::parse(id.as_str()), Some(id));
    }
    assert_eq!(RuleId::parse("no-such-rule"), None);
}
