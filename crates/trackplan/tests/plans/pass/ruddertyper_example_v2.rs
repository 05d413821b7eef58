//! `ruddertyper_example_v2`, as generated, compiles without warnings.
#![deny(warnings)]

include!("../generated/ruddertyper_example_v2.rs");

fn main() {}
