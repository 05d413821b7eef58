// `plan!` takes a string literal.
const PATH: &str = "schemas/ecommerce.json";
trackplan_macros::plan!(PATH);

fn main() {}
