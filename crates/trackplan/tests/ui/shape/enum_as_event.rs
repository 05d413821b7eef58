#[derive(trackplan::Event)]
enum Checkout {
    Started,
    Completed,
}

fn main() {}
