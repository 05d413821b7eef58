//! Guides that go with the API reference.

#[doc = include_str!("derive.md")]
pub mod derive {}
