// `min` bounds numbers: on a string it fails on the attribute.
#[derive(trackplan::Event)]
struct OrderCompleted {
    #[property(min = 1)]
    order_id: String,
}

fn main() {}
