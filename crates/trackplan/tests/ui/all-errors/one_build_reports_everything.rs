// Every problem of one item is reported in the same build.
#[derive(trackplan::Event)]
#[event(name = "order completed", crate = "::trackplan", colour = "red")]
struct OrderCompleted {
    #[property(rename = "orderId")]
    order_id: String,
    #[property(rename = "total")]
    amount: f64,
    total: f64,
    #[property(rename = "")]
    note: String,
}

fn main() {}
