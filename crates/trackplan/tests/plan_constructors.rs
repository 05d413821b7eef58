//! The generated `new` constructors: required properties in, every optional one absent, so a
//! struct update names only what the caller has. Sources are the checked-in outputs of
//! `trackplan generate` (kept current by trackplan-codegen's snapshot tests).
#![deny(warnings)]

use trackplan::{Event, Nullable, Properties, Traits};

#[allow(dead_code)]
mod ecommerce {
    include!("plans/generated/ecommerce.rs");
}
#[allow(dead_code)]
mod e2e {
    include!("plans/generated/typewriter_e2e_v1.rs");
}
#[allow(dead_code)]
mod exotic {
    include!("plans/generated/exotic.rs");
}

fn json<P: Properties>(payload: &P) -> String {
    let mut out = Vec::new();
    payload.write_properties(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn struct_update_over_new_sends_only_what_was_given() {
    let product = ecommerce::Product {
        sku: Some("sku-1".into()),
        ..ecommerce::Product::new()
    };
    let order = ecommerce::OrderCompleted {
        total: Some(30.0),
        ..ecommerce::OrderCompleted::new("o-1", vec![product])
    };
    assert_eq!(order.event_name(), "Order Completed");
    assert_eq!(
        json(&order),
        r#"{"order_id":"o-1","products":[{"sku":"sku-1"}],"total":30.0}"#
    );
}

#[test]
fn string_parameters_take_anything_into_string() {
    let owned = ecommerce::OrderCompleted::new(String::from("o-1"), Vec::new());
    let borrowed = ecommerce::OrderCompleted::new("o-1", Vec::new());
    assert_eq!(owned, borrowed);
    assert_eq!(owned.order_id, "o-1");
}

#[test]
fn new_without_required_properties_is_default() {
    assert_eq!(ecommerce::Product::new(), ecommerce::Product::default());
    assert_eq!(json(&ecommerce::Product::new()), "{}");
    assert_eq!(json(&e2e::EmptyEvent::new()), "{}");
}

#[test]
fn optional_nullable_properties_start_absent_and_extra_maps_empty() {
    let when = exotic::EverythingOddWhen::Integer(7);
    let odd = exotic::EverythingOdd::new(
        exotic::Node::new("root"),
        exotic::EverythingOddType::Self_,
        when,
    );
    assert_eq!(odd.flag, Nullable::Absent);
    assert_eq!(odd.at, Nullable::Absent);
    assert!(odd.extra.is_empty());
    assert_eq!(odd.tree.label, "root");
    assert_eq!(odd.tree.children, None);
}

#[test]
fn required_nullable_properties_are_parameters_and_none_sends_null() {
    let every = e2e::EveryNullableRequiredType::new(
        serde_json::Value::Null,
        None,
        None,
        Some(true),
        None,
        None,
        None,
        None,
        Some("Lawyer Morty".into()),
        None,
    );
    let sent = json(&every);
    assert!(sent.contains(r#""required boolean":true"#), "{sent}");
    assert!(sent.contains(r#""required int":null"#), "{sent}");
    assert!(
        sent.contains(r#""required string":"Lawyer Morty""#),
        "{sent}"
    );
}

#[test]
fn traits_get_constructors_too() {
    let traits = exotic::Identify::new("a@b.co");
    let mut out = Vec::new();
    traits.write_traits(&mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), r#"{"email":"a@b.co"}"#);
}
