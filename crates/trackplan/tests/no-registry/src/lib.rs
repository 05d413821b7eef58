//! Without the `registry` feature the derives expand and describe their types, and register
//! nothing: `TrackingPlan::registered` does not exist, `TrackingPlan::new(..).track::<E>()` works.

/// Sent when an order is paid.
#[derive(trackplan::Event)]
pub struct OrderCompleted {
    pub order_id: String,
    #[property(min = 0)]
    pub total: f64,
}

#[derive(trackplan::Traits)]
#[traits(call = "group")]
pub struct CompanyTraits {
    pub name: String,
}

#[test]
fn listed_types_export_without_registration() {
    let plan = trackplan::TrackingPlan::new("Shop")
        .track::<OrderCompleted>()
        .group::<CompanyTraits>();
    let json = plan.to_json().unwrap();
    assert_eq!(json["rules"][0]["key"], "Order Completed");
    let total = &json["rules"][0]["jsonSchema"]["properties"]["properties"]["properties"]["total"];
    assert_eq!(total["minimum"], 0);
    assert_eq!(json["rules"][1]["type"], "GROUP");
}
