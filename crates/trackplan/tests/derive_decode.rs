//! Derived types decode what they encode: `Deserialize` from the properties (or traits) object
//! with the same wire names and the same absent/`null` rules, and `trackplan::decode` of a
//! whole message.
#![deny(warnings)]

use proptest::prelude::*;
use serde_json::json;
use trackplan::{decode, DecodeError, Nullable, Properties, Traits};

#[derive(trackplan::Enum, Debug, Clone, Copy, PartialEq)]
enum Tier {
    Free,
    #[property(rename = "PRO")]
    Pro,
}

#[derive(trackplan::Properties, Debug, Clone, PartialEq)]
#[properties(case = "camelCase")]
struct LineItem {
    product_id: String,
    quantity: u32,
}

#[derive(trackplan::Event, Debug, Clone, PartialEq)]
struct OrderCompleted {
    order_id: String,
    #[property(rename = "total_usd")]
    total: f64,
    coupon: Option<String>,
    note: Nullable<String>,
    tier: Tier,
    items: Vec<LineItem>,
    #[property(skip)]
    retries: u8,
}

#[derive(trackplan::Traits, Debug, Clone, PartialEq)]
struct Profile {
    email: String,
    age: Option<i64>,
}

/// Sends with a field type that only implements `Serialize`: no `Deserialize` impl applies, and
/// the derive still compiles.
#[derive(serde::Serialize, Debug)]
struct OnlySerialize {
    x: i32,
}

#[derive(trackplan::Event, Debug)]
#[event(name = "Opaque Sent")]
struct Opaque {
    #[property(serde)]
    payload: OnlySerialize,
}

fn encode<P: Properties>(payload: &P) -> Vec<u8> {
    let mut out = Vec::new();
    payload.write_properties(&mut out).unwrap();
    out
}

fn order() -> OrderCompleted {
    OrderCompleted {
        order_id: "o-1".into(),
        total: 9.5,
        coupon: None,
        note: Nullable::Null,
        tier: Tier::Pro,
        items: vec![LineItem {
            product_id: "p".into(),
            quantity: 2,
        }],
        retries: 0,
    }
}

#[test]
fn a_derived_event_decodes_its_own_json_with_absent_and_null_apart() {
    let sent = encode(&order());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sent).unwrap(),
        json!({ "order_id": "o-1", "total_usd": 9.5, "note": null, "tier": "PRO",
                "items": [{ "productId": "p", "quantity": 2 }] })
    );
    assert_eq!(
        serde_json::from_slice::<OrderCompleted>(&sent).unwrap(),
        order()
    );
    let absent: OrderCompleted = serde_json::from_value(json!({
        "order_id": "o", "total_usd": 1, "tier": "free", "items": [] }))
    .unwrap();
    assert_eq!(absent.note, Nullable::Absent);
    assert_eq!(absent.coupon, None);
}

#[test]
fn unknown_enum_values_and_missing_properties_are_errors() {
    let error = serde_json::from_value::<OrderCompleted>(json!({
        "order_id": "o", "total_usd": 1, "tier": "gold", "items": [] }))
    .unwrap_err();
    assert!(error.to_string().contains("gold"), "{error}");
    let error = serde_json::from_value::<OrderCompleted>(
        json!({ "order_id": "o", "tier": "free", "items": [] }),
    )
    .unwrap_err();
    assert!(error.to_string().contains("total_usd"), "{error}");
}

#[test]
fn decode_checks_the_message_type_and_event_name() {
    let message = json!({
        "type": "track",
        "event": "Order Completed",
        "properties": serde_json::from_slice::<serde_json::Value>(&encode(&order())).unwrap(),
    });
    assert_eq!(decode::<OrderCompleted>(&message).unwrap(), order());

    let mut renamed = message.clone();
    renamed["event"] = json!("Order Placed");
    assert!(matches!(
        decode::<OrderCompleted>(&renamed),
        Err(DecodeError::WrongName { .. })
    ));

    let mut bad = message;
    bad["properties"]["items"][0]["quantity"] = json!(-1);
    assert_eq!(
        decode::<OrderCompleted>(&bad).unwrap_err().path(),
        Some("/properties/items/0/quantity")
    );

    let identify = json!({ "type": "identify", "traits": { "email": "a@b.co" } });
    let profile: Profile = decode(&identify).unwrap();
    assert_eq!(
        profile,
        Profile {
            email: "a@b.co".into(),
            age: None
        }
    );
    assert!(matches!(
        decode::<Profile>(&json!({ "type": "track", "event": "x" })),
        Err(DecodeError::WrongCall { .. })
    ));
}

#[test]
fn a_type_without_deserialize_still_sends() {
    let event = Opaque {
        payload: OnlySerialize { x: 1 },
    };
    assert_eq!(encode(&event), br#"{"payload":{"x":1}}"#);
}

fn tier() -> impl Strategy<Value = Tier> {
    prop_oneof![Just(Tier::Free), Just(Tier::Pro)]
}

fn nullable() -> impl Strategy<Value = Nullable<String>> {
    prop_oneof![
        Just(Nullable::Absent),
        Just(Nullable::Null),
        ".{0,8}".prop_map(Nullable::Value),
    ]
}

prop_compose! {
    fn orders()(
        order_id in ".{0,12}",
        total in -1e9f64..1e9,
        coupon in proptest::option::of(".{0,6}"),
        note in nullable(),
        tier in tier(),
        items in proptest::collection::vec((".{0,6}", any::<u32>()), 0..4),
    ) -> OrderCompleted {
        OrderCompleted {
            order_id, total, coupon, note, tier,
            items: items.into_iter().map(|(product_id, quantity)| LineItem { product_id, quantity }).collect(),
            retries: 0,
        }
    }
}

proptest! {
    #[test]
    fn decode_of_encode_is_identity(order in orders(), email in ".{0,10}", age in proptest::option::of(any::<i64>())) {
        let sent = encode(&order);
        prop_assert_eq!(serde_json::from_slice::<OrderCompleted>(&sent).unwrap(), order);

        let profile = Profile { email, age };
        let mut traits = Vec::new();
        profile.write_traits(&mut traits).unwrap();
        prop_assert_eq!(serde_json::from_slice::<Profile>(&traits).unwrap(), profile);
    }
}
