// Constraint values of the wrong kind, and a constraint on a field that is not sent.
#[derive(trackplan::Event)]
struct OrderCompleted {
    #[property(min = "1", max_length = -1, pattern = 3, unique_items = true)]
    tags: Vec<String>,
    #[property(skip, min = 1)]
    internal: u32,
}

fn main() {}
