// `min_length` counts a string's characters: on a number it fails on the attribute.
#[derive(trackplan::Properties)]
struct Product {
    #[property(min_length = 1)]
    price: Option<f64>,
}

fn main() {}
