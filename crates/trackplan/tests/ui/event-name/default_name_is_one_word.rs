#[derive(trackplan::Event)]
struct Signup {
    plan: String,
}

fn main() {}
