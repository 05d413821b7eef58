// Identify traits checked against a plan without identify rules.
#[derive(trackplan::Traits)]
#[traits(plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-example-v1.json")]
struct UserTraits {
    email: String,
}

fn main() {}
