//! `TrackingPlan::registered` finds every `#[derive(Event)]` and `#[derive(Traits)]` linked into
//! the binary, and nothing else: in this binary (its own, so no other test's types are linked)
//! the registered plan equals the one listed by hand.

use trackplan::TrackingPlan;

/// A signup.
#[derive(trackplan::Event)]
struct SignedUp {
    plan: String,
}

mod billing {
    /// A paid invoice.
    #[derive(trackplan::Event)]
    pub struct InvoicePaid {
        pub amount: f64,
    }

    /// A company's traits.
    #[derive(trackplan::Traits)]
    #[traits(call = "group")]
    pub struct CompanyTraits {
        pub seats: u32,
    }
}

/// A person's traits.
#[derive(trackplan::Traits)]
struct PersonTraits {
    name: String,
}

/// Properties alone are not a rule: never registered.
#[derive(trackplan::Properties)]
struct Address {
    city: String,
}

#[test]
fn the_registered_plan_is_every_linked_event_and_traits() {
    let listed = TrackingPlan::new("Registry")
        .track::<SignedUp>()
        .track::<billing::InvoicePaid>()
        .identify::<PersonTraits>()
        .group::<billing::CompanyTraits>();
    let registered = TrackingPlan::registered("Registry");
    assert_eq!(
        registered.to_json_string().unwrap(),
        listed.to_json_string().unwrap()
    );
    let _ = Address {
        city: String::new(),
    };
}
