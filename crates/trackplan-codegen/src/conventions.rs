//! Segment's naming conventions, shared by the derive's compile-time checks and `trackplan lint`
//! so the two never disagree about what a good name is.

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

/// Short words that Title Case leaves lowercase after the first word, as in Segment's
/// `Product Added to Wishlist`.
pub const MINOR_WORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "per",
    "the", "to", "via", "vs", "with",
];
