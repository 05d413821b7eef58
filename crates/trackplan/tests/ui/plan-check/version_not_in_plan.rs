//! A plan-checked event pinned to a version the plan does not have, and a version without a
//! plan.

#[derive(trackplan::Event)]
#[event(
    name = "Order Completed",
    plan = "../../../../crates/trackplan-codegen/tests/versioned/versions.json",
    version = 7
)]
pub struct OrderCompleted {
    pub order_id: String,
}

#[derive(trackplan::Event)]
#[event(name = "Order Completed", version = 1)]
pub struct Unplanned {
    pub order_id: String,
}

fn main() {}
