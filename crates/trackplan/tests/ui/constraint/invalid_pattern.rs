// A pattern is an ECMA-262 regular expression, compiled when the code compiles.
#[derive(trackplan::Event)]
struct OrderCompleted {
    #[property(pattern = "o-(\\d+")]
    order_id: String,
}

fn main() {}
