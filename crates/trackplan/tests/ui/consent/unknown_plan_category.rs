// A rule names a consent category the plan's `x-consent-categories` does not list: a build error
// at the plan literal, naming the rule's pointer and the categories the plan knows.
trackplan_macros::plan!("../../../../crates/trackplan/tests/plans/bad/unknown-consent.json");

fn main() {}
