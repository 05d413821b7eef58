//! A plan's JSON Schemas as Rust types: [`lower`] builds the typed [`ir`], which
//! [`crate::emit`] turns into tokens.

pub mod ir;
mod lower;

pub use lower::{lower, lower_with, LowerOptions, Lowered};
