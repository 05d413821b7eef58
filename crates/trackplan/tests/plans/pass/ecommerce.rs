//! `ecommerce`, as generated, compiles without warnings.
#![deny(warnings)]

include!("../generated/ecommerce.rs");

fn main() {}
