#[derive(trackplan::Enum)]
enum Tier {
    Free,
    #[property(rename = "free")]
    Trial,
}

fn main() {}
