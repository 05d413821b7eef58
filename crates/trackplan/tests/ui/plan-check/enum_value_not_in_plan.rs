//! A `#[derive(Enum)]` type standing for a plan `enum` sends a value the plan does not list.

#[derive(trackplan::Enum)]
pub enum Morty {
    #[property(rename = "Evil Morty")]
    Evil,
    #[property(rename = "Lawyer Morty")]
    Lawyer,
    // The plan has no "Doofus Morty".
    #[property(rename = "Doofus Morty")]
    Doofus,
}

#[derive(trackplan::Event)]
#[event(
    name = "Enum Types",
    plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json"
)]
pub struct EnumTypes {
    #[property(rename = "string enum")]
    pub string_enum: Option<Morty>,
}

fn main() {}
