// `unique_items` looks at a sequence's items: on a string it fails on the attribute.
#[derive(trackplan::Event)]
struct ProductsSearched {
    #[property(unique_items)]
    query: String,
}

fn main() {}
