// A skipped field is never sent, so marking it as personal data means nothing.
#[derive(trackplan::Event)]
struct AccountOpened {
    account_id: String,
    #[property(skip, pii)]
    email: String,
}

fn main() {}
