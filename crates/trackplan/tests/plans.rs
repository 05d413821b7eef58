//! Code generated from every fixture plan compiles without warnings (trybuild pass cases, kept in
//! sync with the generator by `trackplan-codegen`'s `compiled_copies_match_the_generator`), and
//! bad plans given to `plan!` fail with a diagnostic naming the file, the JSON pointer and the fix.

#[rustversion::attr(not(stable(1.95)), ignore)] // STABLE: bump with rust-toolchain.toml
#[test]
fn generated_plans_compile_and_bad_plans_fail() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/plans/pass/*.rs");
    cases.compile_fail("tests/plans/fail/*.rs");
}
