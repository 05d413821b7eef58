// Group traits checked against RudderTyper's group rule, whose payload is closed.
#[derive(trackplan::Traits)]
#[traits(call = "group", plan = "../../../../crates/trackplan-codegen/tests/fixtures/ruddertyper-example-v2.json")]
struct OrgTraits {
    plan_tier: String,
}

fn main() {}
