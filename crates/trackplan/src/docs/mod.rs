//! Guides that go with the API reference.

#[doc = include_str!("derives.md")]
pub mod derives {}
