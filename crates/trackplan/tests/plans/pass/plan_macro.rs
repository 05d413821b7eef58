//! `plan!` expands to the same types as `trackplan generate`, warning-free.
#![deny(warnings)]

use std::collections::BTreeMap;

trackplan_macros::plan!("../../../../crates/trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json");

mod example {
    trackplan_macros::plan!("../../../../crates/trackplan-codegen/tests/fixtures/typewriter-example-v1.json");
}

mod open {
    trackplan_macros::plan!(
        "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json",
        extra_properties,
    );
}

/// Version 1 of a rule the plan also has as version 2.
mod pinned {
    trackplan_macros::plan!(
        "../../../../crates/trackplan-codegen/tests/versioned/versions.json",
        pin = "track:Order Completed=1",
    );
}

fn main() {
    let old = pinned::OrderCompleted { order_id: "o-1".into() };
    assert_eq!(
        trackplan::Properties::plan_metadata(&old).and_then(|m| m.event_version),
        Some(1)
    );

    let event = example::SignInFailed { id: "u-1".into(), num_attempts: None, remember_me: Some(true) };
    assert_eq!(<example::SignInFailed as trackplan::Event>::event_name(&event), "Sign In Failed");
    let _ = X42TerribleEventName3 {};

    let empty = open::EmptyEvent { extra: BTreeMap::from([("anything".to_owned(), serde_json::json!([1, "two"]))]) };
    let mut out = Vec::new();
    trackplan::Properties::write_properties(&empty, &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), r#"{"anything":[1,"two"]}"#);
}
