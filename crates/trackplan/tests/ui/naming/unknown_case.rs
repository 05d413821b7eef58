#[derive(trackplan::Event)]
#[event(case = "camel")]
struct OrderCompleted {
    order_id: String,
}

fn main() {}
