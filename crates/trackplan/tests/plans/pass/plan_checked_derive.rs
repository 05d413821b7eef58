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

fn main() {
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
}
