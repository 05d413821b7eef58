#[derive(trackplan::Event)]
#[allow(non_snake_case)]
struct OrderCompleted {
    orderID: String,
}

fn main() {}
