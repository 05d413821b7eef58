//! `typewriter_e2e_v1`, as generated, compiles without warnings.
#![deny(warnings)]

include!("../generated/typewriter_e2e_v1.rs");

fn main() {}
