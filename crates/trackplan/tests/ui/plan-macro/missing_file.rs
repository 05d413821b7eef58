// The path is relative to the crate's Cargo.toml; a missing file names itself.
trackplan_macros::plan!("schemas/missing.json");

fn main() {}
