//! A named type that is not a `StringEnum` stands for a plan `enum`: its values cannot be
//! checked, so it is refused.

pub struct Morty(String);

impl trackplan::PropertyValue for Morty {
    fn serialize_property<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[derive(trackplan::Event)]
#[event(
    name = "Enum Types",
    plan = "../../../../crates/trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json"
)]
pub struct EnumTypes {
    #[property(rename = "string enum")]
    pub string_enum: Morty,
}

fn main() {}
