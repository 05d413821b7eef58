#[derive(trackplan::Event)]
#[property(rename = "order")]
struct OrderCompleted {
    #[event(name = "Order Completed")]
    order_id: String,
}

fn main() {}
