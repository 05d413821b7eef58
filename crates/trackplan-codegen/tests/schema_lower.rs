//! JSON Schema → IR decisions, one rule at a time.

use serde_json::{json, Value};
use trackplan_codegen::schema::ir::{Field, Kind, Presence, StructDef, TypeDef};
use trackplan_codegen::schema::{lower, Lowered};
use trackplan_plan::{self as plan, LoadOptions};

/// A Config API plan with one track event per (name, payload).
fn lowered(events: &[(&str, Value)]) -> Lowered {
    let events: Vec<Value> = events
        .iter()
        .map(|(name, payload)| json!({ "name": name, "rules": { "properties": { "properties": payload } } }))
        .collect();
    let text = json!({ "rules": { "events": events } }).to_string();
    lower(
        &plan::parse(&text, &LoadOptions::default()).unwrap(),
        "test",
    )
}

fn one(payload: Value) -> Lowered {
    lowered(&[("E", payload)])
}

fn structure<'a>(l: &'a Lowered, name: &str) -> &'a StructDef {
    l.space
        .items
        .iter()
        .find_map(|item| match item {
            TypeDef::Struct(s) if s.name == name => Some(s),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no struct {name}: {:#?}", l.space.items))
}

fn field<'a>(s: &'a StructDef, wire: &str) -> &'a Field {
    s.fields.iter().find(|f| f.wire == wire).unwrap()
}

#[test]
fn the_four_presence_cases() {
    let l = one(
        json!({ "type": "object", "required": ["a", "b"], "properties": {
        "a": { "type": "string" }, "b": { "type": ["string", "null"] },
        "c": { "type": "string" }, "d": { "type": ["null", "string"] } } }),
    );
    let s = structure(&l, "E");
    let presence: Vec<Presence> = s.fields.iter().map(|f| f.presence).collect();
    assert_eq!(
        presence,
        [
            Presence::Required,
            Presence::RequiredNullable,
            Presence::Optional,
            Presence::OptionalNullable
        ]
    );
}

#[test]
fn enums_consts_and_unions() {
    let l = one(json!({ "type": "object", "properties": {
        "one": { "enum": ["Rick Sanchez"] },
        "fixed": { "const": 3 },
        "many": { "enum": ["a b", "A-B", null] },
        "numbers": { "type": "integer", "enum": [1, 2] },
        "union": { "type": ["string", "integer", "null"] } } }));
    let s = structure(&l, "E");
    assert_eq!(field(s, "one").constant, Some(json!("Rick Sanchez")));
    assert_eq!(field(s, "fixed").constant, Some(json!(3)));
    let many = field(s, "many");
    assert_eq!(
        many.presence,
        Presence::OptionalNullable,
        "a null member is the nullable axis"
    );
    assert_eq!(many.ty.kind, Kind::Named("EMany".into()));
    let TypeDef::Enum(e) = l.space.items.iter().find(|i| i.name() == "EMany").unwrap() else {
        panic!()
    };
    assert_eq!(
        e.variants,
        [
            ("AB".to_owned(), "a b".to_owned()),
            ("AB2".to_owned(), "A-B".to_owned())
        ]
    );
    let numbers = field(s, "numbers");
    assert_eq!(numbers.ty.kind, Kind::Integer);
    assert_eq!(numbers.ty.checks.allowed, Some(vec![json!(1), json!(2)]));
    let union = field(s, "union");
    assert_eq!(union.presence, Presence::OptionalNullable);
    let TypeDef::Union(u) = l.space.items.iter().find(|i| i.name() == "EUnion").unwrap() else {
        panic!()
    };
    let variants: Vec<&str> = u.variants.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(variants, ["String", "Integer"]);
}

#[test]
fn nested_types_are_named_parent_plus_property_and_collisions_are_numbered() {
    let l = lowered(&[
        (
            "Order",
            json!({ "type": "object", "properties": {
            "shipping": { "type": "object", "properties": { "city": { "type": "string" } } },
            "items": { "type": "array", "items": { "type": "object", "properties": { "sku": {} } } } } }),
        ),
        ("Order Shipping", json!({ "type": "object" })),
    ]);
    let names: Vec<&str> = l.space.items.iter().map(TypeDef::name).collect();
    assert_eq!(
        names,
        ["Order", "OrderItemsItem", "OrderShipping2", "OrderShipping"]
    );
}

#[test]
fn recursive_definitions_box_and_scalar_cycles_are_errors() {
    let text = json!({ "rules": { "events": [ { "name": "Tree", "rules": {
        "definitions": {
            "node": { "type": "object", "properties": {
                "children": { "type": "array", "items": { "$ref": "#/definitions/node" } },
                "parent": { "$ref": "#/definitions/node" } } },
            "loop": { "$ref": "#/definitions/loop" } },
        "properties": { "properties": { "type": "object", "properties": {
            "root": { "$ref": "#/definitions/node" } } } } } } ] } })
    .to_string();
    let l = lower(&plan::parse(&text, &LoadOptions::default()).unwrap(), "t");
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let node = structure(&l, "Node");
    let Kind::Array(item) = &field(node, "children").ty.kind else {
        panic!()
    };
    assert_eq!(item.kind, Kind::Named("Node".into()), "a Vec needs no Box");
    assert_eq!(field(node, "parent").ty.kind, Kind::Boxed("Node".into()));

    let bad = json!({ "rules": { "events": [ { "name": "Loop", "rules": {
        "definitions": { "loop": { "$ref": "#/definitions/loop" } },
        "properties": { "properties": { "type": "object", "properties": { "x": { "$ref": "#/definitions/loop" } } } } } } ] } });
    let l = lower(
        &plan::parse(&bad.to_string(), &LoadOptions::default()).unwrap(),
        "t",
    );
    assert_eq!(l.errors.len(), 1, "{:?}", l.errors);
    assert!(
        l.errors[0].message.contains("refers to itself"),
        "{}",
        l.errors[0]
    );
}

#[test]
fn every_unsupported_feature_is_reported_with_its_pointer() {
    let l = lowered(&[
        (
            "A",
            json!({ "type": "object", "properties": { "x": { "oneOf": [] }, "y": { "type": "date" } } }),
        ),
        (
            "B",
            json!({ "type": "object", "properties": { "z": { "$ref": "other.json#/x" }, "p": { "type": "string", "pattern": "[" } } }),
        ),
    ]);
    let pointers: Vec<&str> = l.errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/rules/events/0/rules/properties/properties/properties/x/oneOf",
            "/rules/events/0/rules/properties/properties/properties/y/type",
            "/rules/events/1/rules/properties/properties/properties/p/pattern",
            "/rules/events/1/rules/properties/properties/properties/z/$ref",
        ]
    );
    assert!(l.errors.iter().all(|e| e.hint.is_some()));
    assert!(
        l.errors[0].message.starts_with("event `A`: "),
        "{}",
        l.errors[0]
    );
}

#[test]
fn undeclared_required_properties_warn_and_become_values() {
    let l = one(json!({ "type": "object", "required": ["ghost"], "properties": {} }));
    assert!(l.errors.is_empty());
    assert_eq!(l.warnings.len(), 1);
    let ghost = field(structure(&l, "E"), "ghost");
    assert_eq!(
        (ghost.presence, &ghost.ty.kind),
        (Presence::Required, &Kind::Any)
    );
}

#[test]
fn additional_properties_schema_becomes_an_extra_map() {
    let l = one(
        json!({ "type": "object", "properties": { "extra": { "type": "string" } },
        "additionalProperties": { "type": "integer" } }),
    );
    let extra = structure(&l, "E").extra.as_ref().unwrap();
    assert_eq!(
        extra.ident, "extra_2",
        "the property named `extra` keeps its name"
    );
    assert_eq!(extra.value.kind, Kind::Integer);
    let closed =
        one(json!({ "type": "object", "properties": { "a": {} }, "additionalProperties": false }));
    assert!(structure(&closed, "E").extra.is_none());
}

#[test]
fn date_times_and_checks() {
    let l = one(json!({ "type": "object", "properties": {
        "at": { "type": "string", "format": "date-time" },
        "n": { "type": "number", "minimum": 0, "exclusiveMaximum": 10 },
        "old": { "type": "number", "maximum": 5, "exclusiveMaximum": true },
        "s": { "type": "string", "minLength": 2, "maxLength": 4, "pattern": "^a" },
        "list": { "type": "array", "minItems": 1, "items": { "type": ["string", "null"] } } } }));
    let s = structure(&l, "E");
    assert_eq!(field(s, "at").ty.kind, Kind::DateTime);
    let n = &field(s, "n").ty.checks;
    assert_eq!((n.minimum, n.exclusive_maximum), (Some(0.0), Some(10.0)));
    let old = &field(s, "old").ty.checks;
    assert_eq!(
        (old.maximum, old.exclusive_maximum),
        (None, Some(5.0)),
        "draft-04 boolean exclusiveMaximum"
    );
    let st = &field(s, "s").ty.checks;
    assert_eq!(
        (st.min_length, st.max_length, st.pattern.as_deref()),
        (Some(2), Some(4), Some("^a"))
    );
    let Kind::Array(item) = &field(s, "list").ty.kind else {
        panic!()
    };
    assert!(item.nullable);
    assert_eq!(field(s, "list").ty.checks.min_items, Some(1));
}

#[test]
fn formats_are_checked_and_date_times_skip_string_checks() {
    let l = one(json!({ "type": "object", "properties": {
        "email": { "type": "string", "format": "email" },
        "color": { "type": "string", "format": "color" },
        "at": { "type": "string", "format": "date-time", "pattern": "^2", "minLength": 3 } } }));
    let s = structure(&l, "E");
    assert_eq!(field(s, "email").ty.checks.format.as_deref(), Some("email"));
    assert_eq!(
        field(s, "color").ty.checks.format,
        None,
        "unknown formats are not checked"
    );
    assert!(
        field(s, "at").ty.checks.is_empty(),
        "{:?}",
        field(s, "at").ty.checks
    );
}

#[test]
fn extra_properties_are_opt_in_and_respect_closed_objects() {
    let text = json!({ "rules": { "events": [
        { "name": "Open", "rules": { "properties": { "properties": { "type": "object" } } } },
        { "name": "Closed", "rules": { "properties": { "properties": { "type": "object", "additionalProperties": false } } } }
    ] } })
    .to_string();
    let plan = plan::parse(&text, &LoadOptions::default()).unwrap();
    let default = lower(&plan, "t");
    assert!(structure(&default, "Open").extra.is_none());
    let open = trackplan_codegen::schema::lower_with(
        &plan,
        "t",
        trackplan_codegen::schema::LowerOptions {
            extra_properties: true,
        },
    );
    let extra = structure(&open, "Open").extra.as_ref().unwrap();
    assert_eq!(
        (extra.ident.as_str(), &extra.value.kind),
        ("extra", &Kind::Any)
    );
    assert!(
        structure(&open, "Closed").extra.is_none(),
        "`additionalProperties: false` stays closed"
    );
}

fn union<'a>(l: &'a Lowered, name: &str) -> &'a trackplan_codegen::schema::ir::UnionDef {
    l.space
        .items
        .iter()
        .find_map(|item| match item {
            TypeDef::Union(u) if u.name == name => Some(u),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no union {name}: {:#?}", l.space.items))
}

#[test]
fn any_of_with_null_is_the_same_nullable_as_a_type_list() {
    let l = one(json!({ "type": "object", "properties": {
        "a": { "anyOf": [{ "type": "string" }, { "type": "null" }] },
        "b": { "oneOf": [{ "type": "null" }, { "type": "string" }] },
        "c": { "type": ["string", "null"] } } }));
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let s = structure(&l, "E");
    for wire in ["a", "b", "c"] {
        let f = field(s, wire);
        assert_eq!(f.presence, Presence::OptionalNullable, "{wire}");
        assert_eq!(f.ty.kind, Kind::String, "{wire}");
    }
}

#[test]
fn union_variants_are_named_from_title_ref_discriminator_or_type() {
    use trackplan_codegen::schema::ir::UnionMode;
    let l = one(json!({
        "definitions": { "postal_address": { "type": "object", "properties": { "street": { "type": "string" } } } },
        "type": "object", "properties": {
        "a": { "oneOf": [
            { "title": "by email", "type": "string" },
            { "$ref": "#/definitions/postal_address" },
            { "type": "object", "properties": { "kind": { "const": "phone" }, "n": { "type": "string" } } },
            { "type": "integer" }
        ] } } }));
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let u = union(&l, "EA");
    let names: Vec<&str> = u.variants.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["ByEmail", "PostalAddress", "Phone", "Integer"]);
    assert_eq!(u.mode, UnionMode::OneOf, "two object branches may overlap");
    let disjoint = one(json!({ "type": "object", "properties": {
        "a": { "anyOf": [{ "type": "string" }, { "type": "integer" }] } } }));
    assert_eq!(union(&disjoint, "EA").mode, UnionMode::Types);
}

#[test]
fn all_of_merges_refs_and_extra_properties_into_one_struct() {
    let l = one(json!({
        "definitions": { "base": { "type": "object", "properties": { "id": { "type": "string" } }, "required": ["id"] } },
        "type": "object", "properties": {
        "item": { "allOf": [
            { "$ref": "#/definitions/base" },
            { "properties": { "count": { "type": "integer", "minimum": 1 } }, "required": ["count"] }
        ] } } }));
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let s = structure(&l, "EItem");
    let wires: Vec<(&str, Presence)> = s
        .fields
        .iter()
        .map(|f| (f.wire.as_str(), f.presence))
        .collect();
    assert_eq!(
        wires,
        [("count", Presence::Required), ("id", Presence::Required)]
    );
    assert_eq!(field(s, "count").ty.checks.minimum, Some(1.0));
}

#[test]
fn contradicting_all_of_branches_are_an_error_naming_both_pointers() {
    let l = one(json!({ "type": "object", "properties": {
        "x": { "allOf": [{ "type": "string" }, { "type": "integer" }] },
        "y": { "allOf": [
            { "properties": { "a": { "type": "string" } }, "additionalProperties": false },
            { "properties": { "b": { "type": "string" } } }
        ] } } }));
    let base = "/rules/events/0/rules/properties/properties/properties";
    let messages: Vec<String> = l
        .errors
        .iter()
        .map(|e| format!("{} {}", e.pointer, e.message))
        .collect();
    assert_eq!(l.errors.len(), 2, "{messages:#?}");
    assert_eq!(l.errors[0].pointer, format!("{base}/x/allOf/1/type"));
    assert!(
        l.errors[0]
            .message
            .contains(&format!("{base}/x/allOf/0/type")),
        "{}",
        l.errors[0].message
    );
    assert_eq!(
        l.errors[1].pointer,
        format!("{base}/y/allOf/0/additionalProperties")
    );
    assert!(l.errors.iter().all(|e| e.hint.is_some()));
}

#[test]
fn pattern_properties_become_maps_and_runtime_keywords_become_checks() {
    let l = one(json!({ "type": "object", "properties": {
        "labels": { "type": "object", "patternProperties": { "^x-": { "type": "string" } }, "additionalProperties": false },
        "step": { "type": "integer", "multipleOf": 5 },
        "tags": { "type": "array", "items": { "type": "string" }, "uniqueItems": true },
        "point": { "type": "array", "items": [{ "type": "number" }, { "enum": ["m", "km"] }], "additionalItems": false },
        "status": { "type": "string", "not": { "enum": ["deleted"] } } },
        "dependencies": { "status": ["step"] } }));
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let s = structure(&l, "E");
    let labels = &field(s, "labels").ty;
    assert!(matches!(&labels.kind, Kind::MapOf(value) if value.kind == Kind::String));
    assert_eq!(labels.checks.key_patterns, Some(vec!["^x-".to_owned()]));
    assert_eq!(field(s, "step").ty.checks.multiple_of, Some(5.0));
    assert!(field(s, "tags").ty.checks.unique_items);
    let tuple = field(s, "point").ty.checks.tuple.as_ref().unwrap();
    assert!(tuple.closed);
    assert_eq!(tuple.positions[0].types, ["number"]);
    assert_eq!(
        tuple.positions[1].allowed,
        Some(vec![json!("m"), json!("km")])
    );
    assert_eq!(
        field(s, "status").ty.checks.forbidden,
        Some(vec![json!("deleted")])
    );
    assert_eq!(
        s.dependent_required,
        [("status".to_owned(), vec!["step".to_owned()])]
    );
}

#[test]
fn keywords_nothing_enforces_are_warnings_and_field_notes() {
    let l = one(json!({ "type": "object", "properties": {
        "a": { "type": "string", "if": { "minLength": 1 }, "then": { "maxLength": 3 } },
        "b": { "type": "string", "format": "color", "not": { "pattern": "x" } },
        // Open: keys outside the pattern may hold anything, the map's values are strings.
        "c": { "type": "object", "patternProperties": { "^x-": { "type": "string" } } } } }));
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let base = "/rules/events/0/rules/properties/properties/properties";
    let pointers: Vec<&str> = l.warnings.iter().map(|w| w.pointer.as_str()).collect();
    for expected in ["a/if", "a/then", "b/format", "b/not", "c/patternProperties"] {
        assert!(
            pointers.contains(&format!("{base}/{expected}").as_str()),
            "{expected}: {pointers:#?}"
        );
    }
    let s = structure(&l, "E");
    assert_eq!(field(s, "a").unenforced, ["if", "then"]);
}

#[test]
fn a_payload_cannot_be_a_union() {
    let l = one(json!({ "anyOf": [{ "type": "object" }, { "type": "object" }] }));
    assert_eq!(
        l.errors[0].pointer,
        "/rules/events/0/rules/properties/properties/anyOf"
    );
}

#[test]
fn x_pii_marks_fields_and_hash_needs_a_string() {
    use trackplan_plan::pii::PiiMark;
    let l = one(json!({ "type": "object", "properties": {
        "email": { "type": "string", "x-pii": true },
        "phone": { "type": ["string", "null"], "x-pii": "hash" },
        "plan": { "type": "string", "x-pii": false },
        "age": { "type": "integer", "x-pii": "hash" },
        "ip": { "type": "string", "x-pii": "encrypt" }
    } }));
    let s = structure(&l, "E");
    assert_eq!(field(s, "email").pii, Some(PiiMark::ClientPolicy));
    assert_eq!(field(s, "phone").pii, Some(PiiMark::Fixed("hash")));
    assert_eq!(field(s, "plan").pii, None);
    let errors: Vec<(&str, &str)> = l
        .errors
        .iter()
        .map(|e| (e.pointer.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (
                "/rules/events/0/rules/properties/properties/properties/age/x-pii",
                "event `E`: `\"x-pii\": \"hash\"` needs a string property"
            ),
            (
                "/rules/events/0/rules/properties/properties/properties/ip/x-pii",
                "event `E`: unknown `x-pii` policy \"encrypt\"; use true (the client's policy) or one of \"send\", \"hash\", \"redact\", \"refuse\""
            ),
        ]
    );
}
