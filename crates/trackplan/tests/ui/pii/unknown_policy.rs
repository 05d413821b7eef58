// A PII policy is one of send, hash, redact, refuse: anything else is refused on the literal.
#[derive(trackplan::Event)]
struct AccountOpened {
    #[property(pii = "encrypt")]
    email: String,
    #[property(pii = 1)]
    phone: String,
}

fn main() {}
