// Formats are the ones trackplan checks (and `date-time`).
#[derive(trackplan::Traits)]
struct UserTraits {
    #[property(format = "e-mail")]
    email: String,
}

fn main() {}
