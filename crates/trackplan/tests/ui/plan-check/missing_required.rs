// A required property of the plan without a field: the error is on the struct.
#[derive(trackplan::Event)]
#[event(name = "Sign In Failed", case = "camelCase", plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-example-v1.json")]
struct SignInFailed {
    num_attempts: Option<i64>,
}

fn main() {}
