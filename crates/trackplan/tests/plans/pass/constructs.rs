//! `constructs`, as generated, compiles without warnings.
#![deny(warnings)]

include!("../generated/constructs.rs");

fn main() {}
