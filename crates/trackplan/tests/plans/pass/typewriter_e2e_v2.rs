//! `typewriter_e2e_v2`, as generated, compiles without warnings.
#![deny(warnings)]

include!("../generated/typewriter_e2e_v2.rs");

fn main() {}
