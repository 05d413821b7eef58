#[derive(trackplan::Event)]
struct OrderCompleted(String, f64);

fn main() {}
