// A plan-checked event whose name the plan does not know.
#[derive(trackplan::Event)]
#[event(name = "sign in failed", allow_name, plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-example-v1.json")]
struct SignInFailed {
    id: String,
}

fn main() {}
