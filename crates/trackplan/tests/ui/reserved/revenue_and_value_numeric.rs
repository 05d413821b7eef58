#[derive(trackplan::Event)]
struct OrderCompleted {
    revenue: String,
    #[property(rename = "value")]
    score: Option<bool>,
}

fn main() {}
