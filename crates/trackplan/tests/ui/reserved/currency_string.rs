#[derive(trackplan::Event)]
struct OrderCompleted {
    currency: u32,
}

fn main() {}
