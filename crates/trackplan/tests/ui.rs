//! The one trybuild run: compile-time diagnostics of the derives and of `plan!` (one directory
//! per rule under `tests/ui/`, one file per case, `.stderr` pinned to the toolchain of
//! `rust-toolchain.toml`), and the pass cases: `tests/ui/pass/` and the code generated from every
//! fixture plan (`tests/plans/pass/`, which include `tests/plans/generated/*.rs` under
//! `#![deny(warnings)]`).
//!
//! Re-bless after a deliberate change: `TRYBUILD=overwrite cargo test -p trackplan --test ui`,
//! then read every changed `.stderr`.

#[rustversion::attr(not(stable(1.95)), ignore)] // STABLE: bump with rust-toolchain.toml
#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.pass("tests/plans/pass/*.rs");
    let mut rules: Vec<String> = std::fs::read_dir("tests/ui")
        .expect("tests/ui exists")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let name = entry.file_name().into_string().ok()?;
            (entry.path().is_dir() && name != "pass").then_some(name)
        })
        .collect();
    rules.sort();
    assert!(
        !rules.is_empty(),
        "no compile-fail rules found under tests/ui"
    );
    for rule in rules {
        cases.compile_fail(format!("tests/ui/{rule}/*.rs"));
    }
}
