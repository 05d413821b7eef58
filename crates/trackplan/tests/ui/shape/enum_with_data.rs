#[derive(trackplan::Enum)]
enum Tier {
    Free,
    Pro(u32),
    Custom { seats: u32 },
}

fn main() {}
