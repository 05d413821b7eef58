// Every schema feature without a Rust mapping is reported at once, each with its JSON pointer
// and the fix.
trackplan_macros::plan!("../../../../crates/trackplan/tests/plans/bad/unsupported.json");

fn main() {}
