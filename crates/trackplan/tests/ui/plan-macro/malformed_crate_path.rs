// `crate = "..."` must be a module path: generic arguments are not.
trackplan::plan!("../../../../crates/trackplan-codegen/tests/fixtures/typewriter-example-v1.json", crate = "tp<u8>");

fn main() {}
