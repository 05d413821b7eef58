// A field the plan does not know: the error is on the field.
#[derive(trackplan::Event)]
#[event(name = "Sign In Failed", case = "camelCase", plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-example-v1.json")]
struct SignInFailed {
    id: String,
    num_attempts: Option<i64>,
    password_hint: String,
}

fn main() {}
