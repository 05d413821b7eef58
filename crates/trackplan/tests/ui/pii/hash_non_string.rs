// `pii = "hash"` sends the SHA-256 of a normalised string: on a number it is refused, on the
// attribute.
#[derive(trackplan::Event)]
struct AccountOpened {
    #[property(pii = "hash")]
    birth_year: u32,
    #[property(pii = "hash")]
    email: Option<String>,
}

fn main() {}
