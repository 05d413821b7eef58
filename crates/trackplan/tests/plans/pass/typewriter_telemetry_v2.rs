//! `typewriter_telemetry_v2`, as generated, compiles without warnings.
#![deny(warnings)]

include!("../generated/typewriter_telemetry_v2.rs");

fn main() {}
