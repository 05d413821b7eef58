// An absolute plan path only works on one machine: refused, on the literal.
trackplan_macros::plan!("/srv/plans/ecommerce.json");

fn main() {}
