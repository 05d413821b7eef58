// The same category twice is a typo for another one: refused on the second literal.
#[derive(trackplan::Traits)]
#[traits(consent = "Functional", consent = "Functional")]
struct Profile {
    plan: String,
}

fn main() {}
