// `"x-pii": "hash"` on a property that is not a string is a build error at its JSON pointer,
// as is an unknown policy.
trackplan_macros::plan!("../../../../crates/trackplan/tests/pii/bad-plan.json");

fn main() {}
