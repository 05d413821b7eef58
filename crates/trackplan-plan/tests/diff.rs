//! One test per diff change class on small hand-built plans, plus nesting, `$ref`s and output.

use serde_json::{json, Map, Value};
use trackplan_plan::diff::{diff, Change, ChangeKind, Compatibility, PlanDiff, Side};
use trackplan_plan::{Call, Plan, PlanShape, Rule};

fn track(name: &str, payload: Value) -> Rule {
    Rule {
        call: Call::Track,
        name: name.to_owned(),
        version: Some(1),
        description: Some("Fires when it happens.".to_owned()),
        payload,
        payload_required: true,
        pointer: String::new(),
        definitions: Map::new(),
    }
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
        name: "Shop".to_owned(),
        id: None,
        shape: PlanShape::PublicApi,
        rules,
    }
}

/// The changes between two versions of one event's payload.
fn payload_diff(old: Value, new: Value) -> PlanDiff {
    diff(
        &plan(vec![track("Order Completed", old)]),
        &plan(vec![track("Order Completed", new)]),
    )
}

/// (kind, property) of every change.
fn kinds(diff: &PlanDiff) -> Vec<(ChangeKind, Option<&str>)> {
    diff.changes
        .iter()
        .map(|c| (c.kind, c.property.as_deref()))
        .collect()
}

fn props(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

#[test]
fn identical_plans_have_no_changes() {
    let payload = props(json!({"order_id": {"type": "string"}}), &["order_id"]);
    let d = payload_diff(payload.clone(), payload);
    assert_eq!(d.changes, []);
    assert!(!d.has_breaking());
    assert_eq!(d.to_text(), "no changes\n");
}

#[test]
fn events_removed_and_added() {
    let old = plan(vec![
        track("Order Completed", json!({})),
        track("Order Refunded", json!({})),
    ]);
    let new = plan(vec![
        track("Order Completed", json!({})),
        track("Order Shipped", json!({})),
    ]);
    let d = diff(&old, &new);
    assert_eq!(
        kinds(&d),
        [
            (ChangeKind::EventRemoved, None),
            (ChangeKind::EventAdded, None)
        ]
    );
    let removed = &d.changes[0];
    assert_eq!(
        (
            removed.event.as_str(),
            removed.side,
            removed.pointer.as_str()
        ),
        (
            "Order Refunded",
            Side::Old,
            "/rules/1/jsonSchema/properties/properties"
        )
    );
    assert_eq!(removed.compatibility(), Compatibility::Breaking);
    assert_eq!(d.changes[1].compatibility(), Compatibility::Compatible);
    assert_eq!(d.changes[1].event, "Order Shipped");
}

#[test]
fn the_same_name_under_another_call_is_another_rule() {
    let old = plan(vec![track("Home", json!({}))]);
    let mut page = track("Home", json!({}));
    page.call = Call::Page;
    let d = diff(&old, &plan(vec![page]));
    assert_eq!(
        kinds(&d),
        [
            (ChangeKind::EventRemoved, None),
            (ChangeKind::EventAdded, None)
        ]
    );
}

#[test]
fn properties_removed_and_added() {
    let d = payload_diff(
        props(
            json!({"coupon": {"type": "string"}, "order_id": {"type": "string"}}),
            &[],
        ),
        props(
            json!({"order_id": {"type": "string"}, "gift_wrap": {"type": "boolean"}, "store_id": {"type": "integer"}}),
            &["store_id"],
        ),
    );
    assert_eq!(
        kinds(&d),
        [
            (ChangeKind::PropertyRemoved, Some("coupon")),
            (ChangeKind::PropertyAdded, Some("gift_wrap")),
            (ChangeKind::RequiredPropertyAdded, Some("store_id")),
        ]
    );
    assert_eq!(d.changes[0].side, Side::Old);
    assert_eq!(
        d.changes[0].pointer,
        "/rules/0/jsonSchema/properties/properties/properties/coupon"
    );
    assert_eq!(d.changes[2].compatibility(), Compatibility::Breaking);
    assert_eq!(d.changes[1].compatibility(), Compatibility::Compatible);
}

#[test]
fn one_removed_and_one_added_with_the_same_schema_is_a_rename() {
    let d = payload_diff(
        props(
            json!({"orderId": {"type": "string", "description": "Id."}}),
            &["orderId"],
        ),
        props(
            json!({"order_id": {"type": "string", "description": "Id of the order."}}),
            &["order_id"],
        ),
    );
    assert_eq!(kinds(&d), [(ChangeKind::PropertyRenamed, Some("orderId"))]);
    assert_eq!(d.changes[0].detail, "renamed to `order_id`");
    assert_eq!(
        d.changes[0].pointer,
        "/rules/0/jsonSchema/properties/properties/properties/order_id"
    );
    assert!(d.has_breaking());
}

#[test]
fn ambiguous_renames_stay_removals_and_additions() {
    let d = payload_diff(
        props(json!({"a": {"type": "string"}}), &[]),
        props(
            json!({"b": {"type": "string"}, "c": {"type": "string"}}),
            &[],
        ),
    );
    assert_eq!(
        kinds(&d),
        [
            (ChangeKind::PropertyRemoved, Some("a")),
            (ChangeKind::PropertyAdded, Some("b")),
            (ChangeKind::PropertyAdded, Some("c"))
        ]
    );
    let different = payload_diff(
        props(json!({"a": {"type": "string"}}), &[]),
        props(json!({"b": {"type": "number"}}), &[]),
    );
    assert_eq!(
        kinds(&different),
        [
            (ChangeKind::PropertyRemoved, Some("a")),
            (ChangeKind::PropertyAdded, Some("b"))
        ]
    );
}

#[test]
fn optional_made_required_and_back() {
    let schema = json!({"a": {"type": "string"}, "b": {"type": "string"}});
    let d = payload_diff(props(schema.clone(), &["a"]), props(schema, &["b"]));
    assert_eq!(
        kinds(&d),
        [
            (ChangeKind::PropertyMadeOptional, Some("a")),
            (ChangeKind::PropertyMadeRequired, Some("b"))
        ]
    );
    assert_eq!(d.count(Compatibility::Breaking), 1);
}

#[test]
fn undeclared_required_names_count_too() {
    let d = payload_diff(props(json!({}), &[]), props(json!({}), &["id"]));
    assert_eq!(kinds(&d), [(ChangeKind::PropertyMadeRequired, Some("id"))]);
    assert_eq!(
        d.changes[0].pointer,
        "/rules/0/jsonSchema/properties/properties/required"
    );
}

#[test]
fn payload_made_required_unless_a_shape_lost_that_bit() {
    let mut optional = track("Order Completed", json!({}));
    optional.payload_required = false;
    let required = track("Order Completed", json!({}));
    let d = diff(&plan(vec![optional.clone()]), &plan(vec![required.clone()]));
    assert_eq!(kinds(&d), [(ChangeKind::PayloadMadeRequired, None)]);
    let back = diff(&plan(vec![required.clone()]), &plan(vec![optional.clone()]));
    assert_eq!(kinds(&back), [(ChangeKind::PayloadMadeOptional, None)]);

    let mut sanitized = plan(vec![required]);
    sanitized.shape = PlanShape::TypewriterSanitized;
    assert_eq!(diff(&plan(vec![optional]), &sanitized).changes, []);
}

#[test]
fn types_narrowed_widened_and_changed() {
    let cases = [
        (
            json!({"type": "number"}),
            json!({"type": "integer"}),
            ChangeKind::TypeNarrowed,
            "type number -> integer",
        ),
        (
            json!({"type": ["string", "null"]}),
            json!({"type": "string"}),
            ChangeKind::TypeNarrowed,
            "type null | string -> string",
        ),
        (
            json!({}),
            json!({"type": "string"}),
            ChangeKind::TypeNarrowed,
            "type any -> string",
        ),
        (
            json!({"type": "integer"}),
            json!({"type": "number"}),
            ChangeKind::TypeWidened,
            "type integer -> number",
        ),
        (
            json!({"type": "string"}),
            json!({"type": ["string", "null"]}),
            ChangeKind::TypeWidened,
            "type string -> null | string",
        ),
        (
            json!({"type": "string"}),
            json!({"type": "number"}),
            ChangeKind::TypeChanged,
            "type string -> number",
        ),
        (
            json!({"type": ["string", "null"]}),
            json!({"type": ["number", "null"]}),
            ChangeKind::TypeChanged,
            "type null | string -> null | number",
        ),
    ];
    for (old, new, kind, detail) in cases {
        let d = payload_diff(
            props(json!({"total": old}), &[]),
            props(json!({"total": new}), &[]),
        );
        assert_eq!(kinds(&d), [(kind, Some("total"))], "{detail}");
        assert_eq!(d.changes[0].detail, detail);
    }
}

#[test]
fn enum_values_removed_added_introduced_and_lifted() {
    let status = |values: Value| props(json!({"status": {"type": "string", "enum": values}}), &[]);
    let d = payload_diff(
        status(json!(["paid", "open"])),
        status(json!(["paid", "void"])),
    );
    assert_eq!(
        kinds(&d),
        [
            (ChangeKind::EnumValueRemoved, Some("status")),
            (ChangeKind::EnumValueAdded, Some("status"))
        ]
    );
    assert_eq!(d.changes[0].detail, "enum value \"open\" removed");
    assert_eq!(d.changes[1].detail, "enum value \"void\" added");

    let plain = props(json!({"status": {"type": "string"}}), &[]);
    let introduced = payload_diff(plain.clone(), status(json!(["paid"])));
    assert_eq!(
        kinds(&introduced),
        [(ChangeKind::EnumIntroduced, Some("status"))]
    );
    assert!(introduced.has_breaking());
    let lifted = payload_diff(status(json!(["paid"])), plain);
    assert_eq!(kinds(&lifted), [(ChangeKind::EnumLifted, Some("status"))]);
    assert!(!lifted.has_breaking());

    let constant = payload_diff(
        props(json!({"status": {"type": "string", "const": "paid"}}), &[]),
        status(json!(["paid", "open"])),
    );
    assert_eq!(
        kinds(&constant),
        [(ChangeKind::EnumValueAdded, Some("status"))]
    );
}

#[test]
fn additional_properties_closed_and_opened() {
    let open = props(json!({"a": {"type": "string"}}), &[]);
    let mut closed = open.clone();
    closed["additionalProperties"] = json!(false);
    let d = payload_diff(open.clone(), closed.clone());
    assert_eq!(
        kinds(&d),
        [(ChangeKind::AdditionalPropertiesClosed, Some("{}"))]
    );
    assert_eq!(
        d.changes[0].pointer,
        "/rules/0/jsonSchema/properties/properties/additionalProperties"
    );
    assert!(d.has_breaking());
    assert_eq!(
        kinds(&payload_diff(closed, open.clone())),
        [(ChangeKind::AdditionalPropertiesOpened, Some("{}"))]
    );

    let mut typed = open.clone();
    typed["additionalProperties"] = json!({"type": "string"});
    assert_eq!(
        kinds(&payload_diff(open, typed)),
        [(ChangeKind::TypeNarrowed, Some("{}"))]
    );
}

#[test]
fn constraints_tightened_and_loosened() {
    let cases = [
        (
            json!({"minimum": 0}),
            json!({"minimum": 1}),
            ChangeKind::ConstraintTightened,
        ),
        (
            json!({"minimum": 1}),
            json!({"minimum": 0}),
            ChangeKind::ConstraintLoosened,
        ),
        (
            json!({"maxLength": 10}),
            json!({"maxLength": 5}),
            ChangeKind::ConstraintTightened,
        ),
        (
            json!({}),
            json!({"maximum": 5}),
            ChangeKind::ConstraintTightened,
        ),
        (
            json!({"maximum": 5}),
            json!({}),
            ChangeKind::ConstraintLoosened,
        ),
        (
            json!({"pattern": "^a"}),
            json!({"pattern": "^b"}),
            ChangeKind::ConstraintTightened,
        ),
        (
            json!({"format": "date-time"}),
            json!({}),
            ChangeKind::ConstraintLoosened,
        ),
        (
            json!({"uniqueItems": false}),
            json!({"uniqueItems": true}),
            ChangeKind::ConstraintTightened,
        ),
    ];
    for (old, new, kind) in cases {
        let d = payload_diff(props(json!({"x": old}), &[]), props(json!({"x": new}), &[]));
        assert_eq!(kinds(&d), [(kind, Some("x"))], "{:?}", d.changes);
    }
    let d = payload_diff(
        props(json!({"x": {"minimum": 0}}), &[]),
        props(json!({"x": {"minimum": 1}}), &[]),
    );
    assert_eq!(d.changes[0].detail, "`minimum` 0 -> 1");
}

#[test]
fn descriptions_and_versions_are_compatible() {
    let mut new = track(
        "Order Completed",
        props(json!({"a": {"type": "string", "description": "New."}}), &[]),
    );
    new.version = Some(2);
    new.description = Some("Changed.".to_owned());
    let old = track(
        "Order Completed",
        props(json!({"a": {"type": "string"}}), &[]),
    );
    let d = diff(&plan(vec![old]), &plan(vec![new]));
    assert_eq!(
        kinds(&d),
        [
            (ChangeKind::VersionChanged, None),
            (ChangeKind::DescriptionChanged, None),
            (ChangeKind::DescriptionChanged, Some("a"))
        ]
    );
    assert_eq!(d.changes[0].detail, "version 1 -> 2");
    assert!(!d.has_breaking());
}

#[test]
fn nested_objects_and_arrays_are_walked() {
    let product = |price: Value| json!({"type": "array", "items": {"type": "object", "properties": {"price": price, "sku": {"type": "string"}}}});
    let d = payload_diff(
        props(
            json!({"products": product(json!({"type": "number"})), "address": {"type": "object", "properties": {"city": {"type": "string"}}}}),
            &[],
        ),
        props(
            json!({"products": product(json!({"type": "integer"})), "address": {"type": "object", "properties": {}}}),
            &[],
        ),
    );
    assert_eq!(
        kinds(&d),
        [
            (ChangeKind::PropertyRemoved, Some("address.city")),
            (ChangeKind::TypeNarrowed, Some("products[].price"))
        ]
    );
    assert_eq!(
        d.changes[1].pointer,
        "/rules/0/jsonSchema/properties/properties/properties/products/items/properties/price"
    );

    let arrays = payload_diff(
        props(json!({"tags": {"type": "array"}}), &[]),
        props(
            json!({"tags": {"type": "array", "items": {"type": "string"}}}),
            &[],
        ),
    );
    assert_eq!(kinds(&arrays), [(ChangeKind::TypeNarrowed, Some("tags[]"))]);
}

#[test]
fn a_type_change_does_not_also_report_every_nested_property() {
    let d = payload_diff(
        props(
            json!({"address": {"type": "object", "properties": {"city": {"type": "string"}}}}),
            &[],
        ),
        props(json!({"address": {"type": "string"}}), &[]),
    );
    assert_eq!(kinds(&d), [(ChangeKind::TypeChanged, Some("address"))]);
}

#[test]
fn refs_compare_by_content_and_recursive_definitions_terminate() {
    let defs = json!({"Product": {"type": "object", "properties": {"price": {"type": "number"}}}});
    let mut by_ref = track(
        "Cart Viewed",
        props(
            json!({"products": {"type": "array", "items": {"$ref": "#/definitions/Product"}}}),
            &[],
        ),
    );
    by_ref.definitions = defs.as_object().cloned().unwrap_or_default();
    let inline = track(
        "Cart Viewed",
        props(
            json!({"products": {"type": "array", "items": defs["Product"].clone()}}),
            &[],
        ),
    );
    assert_eq!(
        diff(&plan(vec![by_ref.clone()]), &plan(vec![inline])).changes,
        []
    );

    let mut narrowed = by_ref.clone();
    narrowed.definitions =
        json!({"Product": {"type": "object", "properties": {"price": {"type": "integer"}}}})
            .as_object()
            .cloned()
            .unwrap_or_default();
    let d = diff(&plan(vec![by_ref]), &plan(vec![narrowed]));
    assert_eq!(
        kinds(&d),
        [(ChangeKind::TypeNarrowed, Some("products[].price"))]
    );

    let tree = |leaf: &str| {
        let mut rule = track(
            "Tree Viewed",
            props(json!({"root": {"$ref": "#/definitions/Node"}}), &[]),
        );
        rule.definitions = json!({"Node": {"type": "object", "properties": {
            "leaf": {"type": leaf}, "children": {"type": "array", "items": {"$ref": "#/definitions/Node"}}
        }}})
        .as_object()
        .cloned()
        .unwrap_or_default();
        rule
    };
    let d = diff(&plan(vec![tree("string")]), &plan(vec![tree("number")]));
    assert_eq!(kinds(&d), [(ChangeKind::TypeChanged, Some("root.leaf"))]);
}

fn sample() -> PlanDiff {
    let old = plan(vec![
        track(
            "Order Completed",
            props(
                json!({"total": {"type": "number"}, "note|x": {"type": "string"}}),
                &[],
            ),
        ),
        track("Order Refunded", json!({})),
    ]);
    let new = plan(vec![track(
        "Order Completed",
        props(
            json!({"total": {"type": "integer"}, "note|x": {"type": "string"}, "coupon": {"type": "string"}}),
            &[],
        ),
    )]);
    diff(&old, &new)
}

#[test]
fn text_output_lists_breaking_first() {
    assert_eq!(
        sample().to_text(),
        "breaking   type-narrowed                event `Order Completed`, property `total`: type number -> integer\n\
         breaking   event-removed                event `Order Refunded`: removed\n\
         compatible property-added               event `Order Completed`, property `coupon`: optional property added\n\
         2 breaking changes, 1 compatible change\n"
    );
}

#[test]
fn json_output_has_counts_and_pointers() {
    let json = sample().to_json();
    assert_eq!(
        (json["breaking"].as_u64(), json["compatible"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        json["changes"][0],
        json!({
            "class": "breaking", "kind": "type-narrowed", "call": "track", "event": "Order Completed",
            "property": "total", "detail": "type number -> integer",
            "pointer": "/rules/0/jsonSchema/properties/properties/properties/total", "file": "new"
        })
    );
    assert_eq!(json["changes"][2]["kind"], "event-removed");
    assert_eq!(json["changes"][2]["file"], "old");
}

#[test]
fn markdown_output_is_a_pr_comment() {
    assert_eq!(
        sample().to_markdown(),
        "### :warning: Tracking plan changes: 2 breaking changes, 1 compatible change\n\n\
         **Breaking**: events already sent may fail validation, or consumers lose data.\n\n\
         | Event | Property | Change | Details |\n|---|---|---|---|\n\
         | `Order Completed` | `total` | `type-narrowed` | type number -> integer |\n\
         | `Order Refunded` |  | `event-removed` | removed |\n\n\
         <details><summary>Compatible changes (1)</summary>\n\n\
         | Event | Property | Change | Details |\n|---|---|---|---|\n\
         | `Order Completed` | `coupon` | `property-added` | optional property added |\n\n\
         </details>\n"
    );
    let clean = payload_diff(json!({}), json!({})).to_markdown();
    assert_eq!(
        clean,
        "### :white_check_mark: Tracking plan changes: no changes\n\n"
    );
}

#[test]
fn every_change_has_a_stable_kebab_case_id() {
    let d = sample();
    let ids: Vec<&str> = d.changes.iter().map(|c: &Change| c.kind.as_str()).collect();
    assert_eq!(
        ids,
        ["type-narrowed", "property-added", "event-removed"],
        "plan order, not class order"
    );
    assert!(ids
        .iter()
        .all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
}
