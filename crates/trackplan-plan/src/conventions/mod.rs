//! Segment's naming conventions: the one place that decides what a good name is and what to
//! suggest instead. The derive's default names and checks, `trackplan lint`, codegen and the
//! collector's "did you mean" all ask here, so they never disagree.
//!
//! Events are Title Case "Object Action" words, minor words lowercase between the first and the
//! last (`Product Added to Wishlist` in Segment's e-commerce spec, `Signed In` in its B2B SaaS
//! spec); properties and traits are snake_case unless an item picks another [`Case`]; Segment's
//! reserved traits are camelCase.

mod event_name;
mod property;
mod similar;

pub use event_name::{
    default_event_name, event_name_problem, is_title_case_event, suggest_event_name,
    EventNameProblem,
};
pub use property::Case;
pub use similar::closest_name;

/// Segment's reserved identify and group traits, spelled camelCase on the wire whatever the
/// item's convention (<https://segment.com/docs/connections/spec/identify/#traits>).
pub const RESERVED_TRAITS: &[&str] = &[
    "address",
    "age",
    "avatar",
    "birthday",
    "company",
    "createdAt",
    "description",
    "email",
    "firstName",
    "gender",
    "id",
    "lastName",
    "name",
    "phone",
    "title",
    "username",
    "website",
];

/// Whether `name` is one of Segment's reserved traits.
pub fn is_reserved_trait(name: &str) -> bool {
    RESERVED_TRAITS.contains(&name)
}

/// Short words that Title Case leaves lowercase between the first and the last word, as in
/// Segment's `Product Added to Wishlist`.
const MINOR_WORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "per",
    "the", "to", "via", "vs", "with",
];
