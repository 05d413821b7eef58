#[derive(trackplan::Event)]
struct OrderCompleted {
    #[property(skip, rename = "id")]
    order_id: String,
}

fn main() {}
