//! Fuzz target: see `trackplan_fuzz::plan_and_generate` for the path and its invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trackplan_fuzz::plan_and_generate(data));
