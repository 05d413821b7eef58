//! The derive's default event name of a spec event's type equals the spec's wire name, for all
//! 28 events of Segment's e-commerce spec (schemas/ecommerce.json): a user deriving
//! `ProductAddedToWishlist` sends `Product Added to Wishlist`, which destinations map.

use heck::ToUpperCamelCase;
use trackplan_plan::conventions::{default_event_name, event_name_problem};
use trackplan_plan::Call;

#[test]
fn default_event_names_of_the_ecommerce_spec_types_are_the_wire_names() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/ecommerce.json");
    let plan = trackplan_plan::load(path).unwrap_or_else(|errors| panic!("{errors}"));
    let wire_names: Vec<&str> = plan
        .rules
        .iter()
        .filter(|rule| rule.call == Call::Track)
        .map(|rule| rule.name.as_str())
        .collect();
    assert_eq!(wire_names.len(), 28, "{wire_names:?}");
    for wire_name in wire_names {
        let type_name = wire_name.to_upper_camel_case();
        assert_eq!(default_event_name(&type_name), wire_name, "{type_name}");
        assert_eq!(event_name_problem(wire_name), None, "{wire_name}");
    }
}
