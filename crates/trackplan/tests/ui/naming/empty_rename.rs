#[derive(trackplan::Event)]
struct OrderCompleted {
    #[property(rename = "")]
    order_id: String,
}

fn main() {}
