// `crate = "..."` must be a module path, not a type.
#[derive(trackplan::Event)]
#[event(crate = "::trackplan::Vec<u8>")]
struct OrderCompleted {
    order_id: String,
}

fn main() {}
