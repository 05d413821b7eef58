#[derive(trackplan::Event)]
#[event(name = "Order Completed")]
#[event(name = "Order Placed")]
struct OrderCompleted {
    #[property(serde, serde)]
    order_id: String,
}

fn main() {}
