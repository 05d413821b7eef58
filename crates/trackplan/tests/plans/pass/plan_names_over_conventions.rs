//! With `plan = "..."` the plan is the authority on names: names that break the derive's
//! conventions (camelCase properties, snake_case or torture event names) compile as long as the
//! plan has them, without `case` or `allow_name`.
#![deny(warnings)]

use trackplan::{Event, Properties};

#[derive(trackplan::Event)]
#[event(
    name = "Sign In Failed",
    plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-example-v1.json"
)]
pub struct SignInFailed {
    pub id: String,
    #[property(rename = "numAttempts")]
    pub num_attempts: Option<u32>,
    #[property(rename = "rememberMe")]
    pub remember_me: Option<bool>,
}

#[derive(trackplan::Event)]
#[event(
    name = "event_collided",
    plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json"
)]
pub struct EventCollidedLegacy {}

#[derive(trackplan::Event)]
#[event(
    name = "Property Sanitized",
    plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json"
)]
pub struct PropertySanitized {
    #[property(rename = "0000---terrible-property-name~!3")]
    pub terrible: String,
}

fn json<P: Properties>(payload: &P) -> String {
    let mut out = Vec::new();
    payload.write_properties(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn main() {
    let failed = SignInFailed {
        id: "u".into(),
        num_attempts: Some(2),
        remember_me: None,
    };
    assert_eq!(json(&failed), r#"{"id":"u","numAttempts":2}"#);
    assert_eq!(EventCollidedLegacy {}.event_name(), "event_collided");
    let sanitized = PropertySanitized {
        terrible: "x".into(),
    };
    assert_eq!(
        json(&sanitized),
        r#"{"0000---terrible-property-name~!3":"x"}"#
    );
}
