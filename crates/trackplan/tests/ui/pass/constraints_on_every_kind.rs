// Constraints on every kind of field they apply to, through options, nullables, references,
// boxes and generics; and the `Describe` impls of generic and borrowed types.
#![deny(warnings)]

use std::borrow::Cow;

#[derive(trackplan::Event)]
#[event(name = "Page Section Viewed")]
struct SectionViewed<'a, T: trackplan::PropertyValue + trackplan::Describe> {
    #[property(min_length = 1, max_length = 80, pattern = "^[^<>]*$")]
    title: &'a str,
    #[property(format = "uri")]
    url: Option<Cow<'a, str>>,
    #[property(format = "date-time")]
    seen_at: Option<String>,
    #[property(min = -1.5, max = 10, exclusive_min = -2)]
    score: trackplan::Nullable<f64>,
    #[property(min = 0, exclusive_max = 100)]
    count: &'a u8,
    #[property(min_items = 1, unique_items)]
    items: &'a [T],
    #[property(max_items = 2)]
    fixed: Box<[u8; 2]>,
}

#[derive(trackplan::Traits)]
#[traits(call = "group")]
struct CompanyTraits {
    #[property(min_length = 2)]
    name: Option<String>,
}

fn main() {
    use trackplan::Properties as _;
    let section = SectionViewed::<u32> {
        title: "t",
        url: None,
        seen_at: None,
        score: trackplan::Nullable::Value(2.0),
        count: &3,
        items: &[1],
        fixed: Box::new([0; 2]),
    };
    assert!(section.violations().is_empty());
    let _ = trackplan::TrackingPlan::new("Pass")
        .track::<SectionViewed<'static, u32>>()
        .group::<CompanyTraits>()
        .to_json();
}
