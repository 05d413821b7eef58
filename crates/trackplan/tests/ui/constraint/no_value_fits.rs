// Bounds that no value meets: each pair is one error, on its upper bound.
#[derive(trackplan::Event)]
struct OrderCompleted {
    #[property(min = 10, max = 1)]
    quantity: u32,
    #[property(exclusive_min = 0, exclusive_max = 0)]
    total: f64,
    #[property(min_length = 5, max_length = 2)]
    coupon: String,
    #[property(min_items = 3, max_items = 1)]
    tags: Vec<String>,
}

fn main() {}
