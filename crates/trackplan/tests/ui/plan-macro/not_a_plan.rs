// JSON that is no tracking plan: the error names the file and the shapes trackplan reads.
trackplan_macros::plan!("../../../../crates/trackplan/tests/plans/bad/not-a-plan.json");

fn main() {}
