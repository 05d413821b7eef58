#[derive(trackplan::Event)]
#[event(name = OrderCompleted, allow_name = true)]
struct OrderCompleted {
    #[property(rename)]
    order_id: String,
}

fn main() {}
