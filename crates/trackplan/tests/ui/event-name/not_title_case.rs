#[derive(trackplan::Event)]
#[event(name = "order_completed")]
struct OrderCompleted {
    order_id: String,
}

fn main() {}
