// `allow_name` accepts legacy names, never an empty one.
#[derive(trackplan::Event)]
#[event(name = "", allow_name)]
struct OrderCompleted {
    order_id: String,
}

fn main() {}
