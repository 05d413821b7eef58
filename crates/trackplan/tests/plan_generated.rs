//! Behaviour of the code generated from the fixture plans: the exact JSON each type writes, the
//! violations it reports and its plan metadata. The sources are the checked-in outputs of
//! `trackplan generate` (kept current by trackplan-codegen's snapshot tests).
#![deny(warnings)]

use trackplan::Nullable;
use trackplan::{Event, Properties, Traits};

#[allow(dead_code)]
mod e2e {
    include!("plans/generated/typewriter_e2e_v1.rs");
}
#[allow(dead_code)]
mod example {
    include!("plans/generated/typewriter_example_v1.rs");
}
#[allow(dead_code)]
mod telemetry {
    include!("plans/generated/typewriter_telemetry_v2.rs");
}
#[allow(dead_code)]
mod rudder {
    include!("plans/generated/ruddertyper_example_v2.rs");
}

fn json<P: Properties>(payload: &P) -> String {
    let mut out = Vec::new();
    payload.write_properties(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn torture_names_are_sent_byte_exact() {
    let event = e2e::X42TerribleEventName3 {};
    assert_eq!(event.event_name(), "42_--terrible==\\\"event'++name~!3");
    assert_eq!(json(&event), "{}");
    let sanitized = e2e::PropertySanitized {
        x0000_terrible_property_name_3: "x".into(),
    };
    assert_eq!(
        json(&sanitized),
        r#"{"0000---terrible-property-name~!3":"x"}"#
    );
    let collided = e2e::PropertiesCollided {
        property_collided: "a".into(),
        property_collided_2: "b".into(),
    };
    assert_eq!(
        json(&collided),
        r#"{"Property Collided":"a","property_collided":"b"}"#
    );
    assert_eq!(e2e::EventCollided {}.event_name(), "Event Collided");
    assert_eq!(e2e::EventCollided2 {}.event_name(), "event_collided");
}

#[test]
fn required_nullable_none_is_sent_as_null_and_optional_none_is_left_out() {
    assert_eq!(json(&e2e::EveryOptionalType::default()), "{}");
    let union = e2e::UnionType {
        universe_name: None,
    };
    assert_eq!(json(&union), r#"{"universe_name":null}"#);
    let union = e2e::UnionType {
        universe_name: Some(e2e::UnionTypeUniverseName::Integer(42)),
    };
    assert_eq!(json(&union), r#"{"universe_name":42}"#);
}

#[test]
fn optional_nullable_is_tri_state() {
    assert_eq!(json(&e2e::EveryNullableOptionalType::default()), "{}");
    let event = e2e::EveryNullableOptionalType {
        optional_string: Nullable::Null,
        optional_int: Nullable::Value(3),
        ..Default::default()
    };
    assert_eq!(json(&event), r#"{"optional int":3,"optional string":null}"#);
}

#[test]
fn constants_and_enums() {
    let event = e2e::EnumTypes {
        string_enum: Some(e2e::EnumTypesStringEnum::LawyerMorty),
    };
    assert_eq!(
        json(&event),
        r#"{"string const":"Rick Sanchez","string enum":"Lawyer Morty"}"#
    );
    assert_eq!(e2e::EnumTypesStringEnum::ALL.len(), 2);
    assert_eq!(
        <e2e::EnumTypesStringEnum as trackplan::StringEnum>::VALUES,
        ["Evil Morty", "Lawyer Morty"]
    );
    assert_eq!(
        e2e::EnumTypesStringEnum::EvilMorty.to_string(),
        "Evil Morty"
    );
}

#[test]
fn pattern_violations_are_reported_with_their_path() {
    let good = e2e::CustomViolationHandler {
        regex_property: "the Evil Morty".into(),
    };
    assert!(good.violations().is_empty(), "the pattern is unanchored");
    let bad = e2e::CustomViolationHandler {
        regex_property: "Rick".into(),
    };
    let violations = bad.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].path, "/regex property");
    assert_eq!(violations[0].rule, "pattern");
}

#[test]
fn nested_violations_carry_the_full_path() {
    let event = e2e::EveryOptionalType {
        optional_array_with_properties: Some(vec![
            e2e::EveryOptionalTypeOptionalArrayWithPropertiesItem {
                optional_string_with_regex: Some("nope".into()),
                ..Default::default()
            },
        ]),
        ..Default::default()
    };
    let violations = event.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(
        violations[0].path,
        "/optional array with properties/0/optional string with regex"
    );
}

/// A derived event holding generated objects reports their checks under its own pointers, as a
/// generated event does.
#[test]
fn a_derived_event_reports_the_checks_of_generated_objects_it_holds() {
    #[derive(trackplan::Event)]
    #[event(name = "Items Checked")]
    struct ItemsChecked {
        items: Vec<e2e::EveryOptionalTypeOptionalArrayWithPropertiesItem>,
    }
    let event = ItemsChecked {
        items: vec![
            Default::default(),
            e2e::EveryOptionalTypeOptionalArrayWithPropertiesItem {
                optional_string_with_regex: Some("nope".into()),
                ..Default::default()
            },
        ],
    };
    let violations = event.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].path, "/items/1/optional string with regex");
    assert_eq!(violations[0].rule, "pattern");
}

#[test]
fn date_times_are_rfc3339_with_milliseconds() {
    let at = time::macros::datetime!(2026-01-02 03:04:05.678 UTC);
    let sink = telemetry::KitchenSink {
        a_date: Some(at),
        ..Default::default()
    };
    assert_eq!(json(&sink), r#"{"aDate":"2026-01-02T03:04:05.678Z"}"#);
}

#[test]
fn plan_metadata_names_the_plan_version_and_generator() {
    let meta = example::SignInFailed {
        id: "u".into(),
        num_attempts: Some(2),
        remember_me: None,
    }
    .plan_metadata()
    .unwrap();
    assert_eq!(meta.plan, "Typewriter Example Tracking Plan");
    assert_eq!(meta.event_version, Some(1));
    assert_eq!(meta.generator_version, env!("CARGO_PKG_VERSION"));
}

#[test]
fn camel_case_keys_and_a_property_called_id() {
    let event = example::SignInFailed {
        id: "u-1".into(),
        num_attempts: Some(2),
        remember_me: Some(true),
    };
    assert_eq!(
        json(&event),
        r#"{"id":"u-1","numAttempts":2,"rememberMe":true}"#
    );
    assert_eq!(example::SignInFailed::NAME, "Sign In Failed");
}

#[test]
fn ruddertyper_traits_and_page_properties() {
    let traits = rudder::Identify::default();
    let mut out = Vec::new();
    traits.write_traits(&mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "{}");
    assert!(traits.plan_metadata().is_some());
    let page = rudder::Page::default();
    assert_eq!(json(&page), "{}");
}

#[allow(dead_code)]
mod ecommerce {
    include!("plans/generated/ecommerce.rs");
}

#[test]
fn ecommerce_order_completed_with_shared_product_type() {
    let order = ecommerce::OrderCompleted {
        affiliation: None,
        checkout_id: None,
        coupon: None,
        currency: Some("usd".into()),
        discount: None,
        order_id: "o-1".into(),
        revenue: None,
        shipping: None,
        subtotal: None,
        tax: None,
        total: Some(-1.0),
        products: vec![ecommerce::Product {
            product_id: Some("p-1".into()),
            price: Some(9.5),
            quantity: Some(0),
            ..Default::default()
        }],
    };
    assert_eq!(order.event_name(), "Order Completed");
    assert_eq!(
        json(&order),
        r#"{"currency":"usd","order_id":"o-1","products":[{"price":9.5,"product_id":"p-1","quantity":0}],"total":-1.0}"#
    );
    let mut violations: Vec<(String, &str)> = order
        .violations()
        .into_iter()
        .map(|v| (v.path, v.rule))
        .collect();
    violations.sort();
    assert_eq!(
        violations,
        [
            ("/currency".to_owned(), "pattern"),
            ("/products/0/quantity".to_owned(), "minimum"),
            ("/total".to_owned(), "minimum"),
        ]
    );
}

#[allow(dead_code)]
mod exotic {
    include!("plans/generated/exotic.rs");
}

#[test]
fn exotic_shapes_serialise_and_check() {
    use std::collections::BTreeMap;
    let at = time::macros::datetime!(2026-01-02 03:04:05 UTC);
    let event = exotic::EverythingOdd {
        at: Nullable::Null,
        by_day: Some(BTreeMap::from([
            ("mon".to_owned(), Some(at)),
            ("tue".to_owned(), None),
        ])),
        contact: Some("not-an-email".into()),
        flag: Nullable::Value(true),
        grid: Some(vec![vec![Some(0.5), None, Some(2.0)]]),
        level: Some(4),
        price: Some(-1.0),
        scores: Some(BTreeMap::from([("a".to_owned(), 101)])),
        seen_at: Some(vec![at]),
        tree: exotic::Node {
            label: "root".into(),
            children: Some(vec![exotic::Node {
                label: String::new(),
                children: None,
                parent: None,
            }]),
            parent: Some(Box::new(exotic::Node {
                label: "up".into(),
                children: None,
                parent: None,
            })),
        },
        type_: exotic::EverythingOddType::Empty,
        when: exotic::EverythingOddWhen::String(at),
        extra: BTreeMap::from([("note".to_owned(), "far too long".to_owned())]),
    };
    assert_eq!(
        json(&event),
        concat!(
            r#"{"at":null,"by_day":{"mon":"2026-01-02T03:04:05.000Z","tue":null},"contact":"not-an-email","#,
            r#""flag":true,"grid":[[0.5,null,2.0]],"level":4,"price":-1.0,"scores":{"a":101},"#,
            r#""seen_at":["2026-01-02T03:04:05.000Z"],"shape":{"kind":"odd","sides":[3,5]},"#,
            r#""tree":{"children":[{"label":""}],"label":"root","parent":{"label":"up"}},"type":"","#,
            r#""when":"2026-01-02T03:04:05.000Z","#,
            r#""note":"far too long"}"#
        )
    );
    let mut violations: Vec<(String, &str)> = event
        .violations()
        .into_iter()
        .map(|v| (v.path, v.rule))
        .collect();
    violations.sort();
    assert_eq!(
        violations,
        [
            ("/contact".to_owned(), "format"),
            ("/grid/0/2".to_owned(), "exclusiveMaximum"),
            ("/level".to_owned(), "enum"),
            ("/note".to_owned(), "maxLength"),
            ("/price".to_owned(), "minimum"),
            ("/scores/a".to_owned(), "maximum"),
            ("/tree/children/0/label".to_owned(), "minLength"),
        ]
    );
    let duplicate = exotic::EverythingOdd {
        extra: BTreeMap::from([("contact".to_owned(), "x".to_owned())]),
        ..event
    };
    let mut out = Vec::new();
    let err = duplicate.write_properties(&mut out).unwrap_err();
    assert!(
        err.to_string().contains("repeats a declared property"),
        "{err}"
    );
}

#[test]
fn exotic_traits_and_page() {
    let traits = exotic::Identify {
        email: "a@b.co".into(),
        plan: Nullable::Value(exotic::IdentifyPlan::Pro),
    };
    let mut out = Vec::new();
    traits.write_traits(&mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"email":"a@b.co","plan":"pro"}"#
    );
    assert!(Traits::violations(&traits).is_empty());
    assert_eq!(
        Traits::plan_metadata(&traits).unwrap().event_version,
        Some(1)
    );
    assert_eq!(exotic::Pricing::NAME, "Pricing");
    assert_eq!(
        json(&exotic::Pricing {
            variant: Some("b".into())
        }),
        r#"{"variant":"b"}"#
    );
}
