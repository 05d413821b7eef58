// A required, non-nullable property declared as an `Option`.
#[derive(trackplan::Event)]
#[event(name = "Sign In Failed", plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-example-v1.json")]
struct SignInFailed {
    id: Option<String>,
}

fn main() {}
