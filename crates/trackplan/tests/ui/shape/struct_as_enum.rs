#[derive(trackplan::Enum)]
struct Tier {
    name: String,
}

fn main() {}
