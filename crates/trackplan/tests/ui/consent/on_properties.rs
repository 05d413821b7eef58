// Nested objects travel inside an event: consent belongs on the event (or traits) that sends them.
#[derive(trackplan::Properties)]
#[properties(consent = "Analytics")]
struct Product {
    sku: String,
}

fn main() {}
