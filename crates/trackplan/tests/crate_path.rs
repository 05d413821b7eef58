//! `crate = "..."`: the derives and `plan!` name the facade by the path the user gives (here an
//! alias, as for a renamed dependency or a re-export), for the public traits and for
//! `__private01` alike. That the output uses no `::trackplan` path at all is checked on the
//! tokens by trackplan-codegen's unit tests; this checks it compiles and behaves.

extern crate trackplan as tp;

use tp::{Event as _, Properties as _};

mod generated {
    tp::plan!(
        "../trackplan-codegen/tests/fixtures/typewriter-example-v1.json",
        crate = "tp"
    );
}

#[derive(tp::Event)]
#[event(crate = "tp")]
struct OrderCompleted {
    order_id: String,
    tier: Tier,
    discount: tp::Nullable<f64>,
}

#[derive(tp::Enum)]
#[property(crate = "tp")]
enum Tier {
    ProPlus,
}

fn properties(payload: &impl tp::Properties) -> String {
    let mut out = Vec::new();
    payload.write_properties(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn derives_write_through_the_alias() {
    let order = OrderCompleted {
        order_id: "o-1".into(),
        tier: Tier::ProPlus,
        discount: tp::Nullable::Null,
    };
    assert_eq!(order.event_name(), "Order Completed");
    assert_eq!(
        properties(&order),
        r#"{"order_id":"o-1","tier":"pro_plus","discount":null}"#
    );
}

#[test]
fn plan_output_writes_through_the_alias() {
    let event = generated::SignInFailed {
        num_attempts: Some(3),
        ..generated::SignInFailed::new("u-1")
    };
    assert_eq!(event.event_name(), "Sign In Failed");
    assert_eq!(properties(&event), r#"{"id":"u-1","numAttempts":3}"#);
    let metadata = event
        .plan_metadata()
        .expect("generated types report their plan");
    assert_eq!(metadata.plan, "Typewriter Example Tracking Plan");
}
