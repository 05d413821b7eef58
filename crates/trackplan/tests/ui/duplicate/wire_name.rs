#[derive(trackplan::Event)]
struct OrderCompleted {
    order_id: String,
    #[property(rename = "order_id")]
    id: String,
}

fn main() {}
