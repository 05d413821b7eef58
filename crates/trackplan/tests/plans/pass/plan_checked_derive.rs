//! A hand-written event that matches its plan compiles.
#![deny(warnings)]

#[derive(trackplan::Event)]
#[event(
    name = "Sign In Failed",
    case = "camelCase",
    plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-example-v1.json"
)]
pub struct SignInFailed {
    pub id: String,
    pub num_attempts: Option<u32>,
    pub remember_me: bool,
}

/// Checked against version 1 of a rule whose newest version requires `checkout_id` too.
#[derive(trackplan::Event)]
#[event(
    name = "Order Completed",
    plan = "../../../../crates/trackplan-codegen/tests/versioned/versions.json",
    version = 1
)]
pub struct OrderCompletedV1 {
    pub order_id: String,
}

fn main() {
    let v1 = OrderCompletedV1 { order_id: "o-1".into() };
    assert_eq!(
        trackplan::Properties::plan_metadata(&v1).and_then(|m| m.event_version),
        Some(1)
    );
    let event = SignInFailed {
        id: "u".into(),
        num_attempts: Some(1),
        remember_me: true,
    };
    let mut out = Vec::new();
    trackplan::Properties::write_properties(&event, &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"id":"u","numAttempts":1,"rememberMe":true}"#
    );
    enum_fields_send_their_values();
}

/// A `#[derive(Enum)]` for a plan `enum` may send a subset of its values.
#[derive(trackplan::Enum)]
pub enum Morty {
    #[property(rename = "Lawyer Morty")]
    Lawyer,
}

#[derive(trackplan::Event)]
#[event(
    name = "Enum Types",
    plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json"
)]
pub struct EnumTypes {
    #[property(rename = "string enum")]
    pub string_enum: Option<Morty>,
    #[property(rename = "string const")]
    pub string_const: Option<String>,
}

fn enum_fields_send_their_values() {
    let event = EnumTypes {
        string_enum: Some(Morty::Lawyer),
        string_const: None,
    };
    let mut out = Vec::new();
    trackplan::Properties::write_properties(&event, &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), r#"{"string enum":"Lawyer Morty"}"#);
}
