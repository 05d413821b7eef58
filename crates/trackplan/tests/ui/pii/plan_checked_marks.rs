// A derive checked against a plan marks the plan's "x-pii" properties, with the policy the plan
// fixes; marking more than the plan does is allowed.
#[derive(trackplan::Event)]
#[event(name = "Account Opened", plan = "../../../../crates/trackplan/tests/pii/plan.json")]
struct AccountOpened {
    #[property(pii)]
    account_id: String,
    email: String,
    #[property(pii)]
    phone: Option<String>,
    #[property(pii = "send")]
    country: Option<String>,
}

fn main() {}
