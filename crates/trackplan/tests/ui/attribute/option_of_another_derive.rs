// `call` belongs to `#[traits(...)]`; `name` to `#[event(...)]`.
#[derive(trackplan::Properties)]
#[properties(name = "Pricing")]
struct PageProperties {
    path: String,
}

#[derive(trackplan::Event)]
#[event(call = "group")]
struct OrderCompleted {
    order_id: String,
}

fn main() {}
