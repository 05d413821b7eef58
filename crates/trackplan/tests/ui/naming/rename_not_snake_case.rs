#[derive(trackplan::Event)]
struct OrderCompleted {
    #[property(rename = "orderId")]
    order_id: String,
}

fn main() {}
