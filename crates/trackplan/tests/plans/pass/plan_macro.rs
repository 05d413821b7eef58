//! `plan!` expands to the same types as `trackplan generate`, warning-free.
#![deny(warnings)]

trackplan_macros::plan!("../../../../crates/trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json");

mod example {
    trackplan_macros::plan!("../../../../crates/trackplan-codegen/tests/fixtures/typewriter-example-v1.json");
}

fn main() {
    let event = example::SignInFailed { id: "u-1".into(), num_attempts: None, remember_me: Some(true) };
    assert_eq!(<example::SignInFailed as trackplan::Event>::event_name(&event), "Sign In Failed");
    let _ = X42TerribleEventName3 {};
}
