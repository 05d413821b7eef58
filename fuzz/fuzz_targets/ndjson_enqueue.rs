//! Fuzz target: see `trackplan_fuzz::ndjson_enqueue` for the path and its invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trackplan_fuzz::ndjson_enqueue(data));
