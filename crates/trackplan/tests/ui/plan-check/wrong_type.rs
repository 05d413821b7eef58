// Field types that do not fit the properties' JSON types.
#[derive(trackplan::Event)]
#[event(name = "Sign In Failed", case = "camelCase", plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-example-v1.json")]
struct SignInFailed {
    id: String,
    num_attempts: Option<String>,
    remember_me: Option<u8>,
}

fn main() {}
