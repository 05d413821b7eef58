// `firstName` is one of Segment's reserved traits; `userName` is not.
#[derive(trackplan::Traits)]
struct UserTraits {
    #[property(rename = "firstName")]
    first_name: String,
    #[property(rename = "userName")]
    user_name: String,
}

fn main() {}
