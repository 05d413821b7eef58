// A plan-checked event must declare exactly its rule's `x-consent`: a missing category is an
// error on the item, an extra one on its literal.
#[derive(trackplan::Event)]
#[event(name = "Ad Clicked", plan = "../../../../crates/trackplan/tests/plans/consent.json", consent = "Analytics", consent = "Functional")]
struct AdClicked {
    ad_id: String,
}

fn main() {}
