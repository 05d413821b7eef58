#[derive(trackplan::Event)]
#[event(nmae = "Order Completed")]
struct OrderCompleted {
    #[property(renamed = "id")]
    order_id: String,
}

fn main() {}
