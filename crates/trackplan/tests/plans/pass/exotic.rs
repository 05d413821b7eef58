//! `exotic`, as generated, compiles without warnings.
#![deny(warnings)]

include!("../generated/exotic.rs");

fn main() {}
