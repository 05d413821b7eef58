//! The golden files of the generator: `tests/plans/generated/<plan>.rs` is exactly the
//! generator's source for each fixture plan (its prettyplease rendering: `trackplan generate`
//! also runs rustfmt when one is installed, which would make the files depend on the machine). The same files are what the behaviour tests
//! (`plan_generated.rs`, `plan_constructors.rs`) run and what `ui.rs` compiles under
//! `#![deny(warnings)]`, so one copy is reviewed, compiled and checked.
//!
//! Re-bless after a deliberate generator change: `TRACKPLAN_BLESS=1 cargo test -p trackplan
//! --test plans`, then review the diff of `tests/plans/generated/`.

use std::path::{Path, PathBuf};

use trackplan_codegen::generate::{generate_file, GenerateOptions};
use trackplan_codegen::source::render;

/// Every plan with a golden file: the codegen fixtures, the shipped e-commerce plan, and the
/// schema corners the real plans do not reach (recursion, maps and unions of date-times...).
fn plans() -> Vec<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = manifest.join("../trackplan-codegen/tests/fixtures");
    let mut plans: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap_or_else(|e| panic!("{}: {e}", fixtures.display()))
        .map(|entry| entry.expect("a readable fixture entry").path())
        .collect();
    plans.push(manifest.join("../../schemas/ecommerce.json"));
    plans.push(manifest.join("../trackplan-codegen/tests/plans/exotic.json"));
    plans.push(manifest.join("tests/plans/constructs.json"));
    plans.sort();
    plans
}

#[test]
fn generated_files_are_the_generators_output() {
    let generated_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/plans/generated");
    let bless = std::env::var_os("TRACKPLAN_BLESS").is_some();
    let mut stale = Vec::new();
    for plan in plans() {
        let file = plan.file_name().unwrap().to_string_lossy().into_owned();
        let generated = generate_file(&plan, &file, &GenerateOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let expected = render(&generated.tokens, &file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let stem = file.trim_end_matches(".json").replace('-', "_");
        let golden = generated_dir.join(format!("{stem}.rs"));
        if bless {
            trackplan_codegen::source::write_if_changed(&golden, &expected).unwrap();
            continue;
        }
        let current = std::fs::read_to_string(&golden).unwrap_or_default();
        if current != expected {
            stale.push(format!(
                "{}:\n{}",
                golden.display(),
                first_difference(&current, &expected)
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "generated files differ from the generator's output (rerun with TRACKPLAN_BLESS=1 and \
         review the diff):\n{}",
        stale.join("\n")
    );
}

/// The first line where `current` and `expected` part, to show in the failure.
fn first_difference(current: &str, expected: &str) -> String {
    let mut current_lines = current.lines();
    let mut expected_lines = expected.lines();
    for line in 1.. {
        match (current_lines.next(), expected_lines.next()) {
            (None, None) => break,
            (a, b) if a == b => continue,
            (a, b) => {
                return format!(
                    "  line {line}\n  - {}\n  + {}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                )
            }
        }
    }
    "  (only line endings differ)".to_owned()
}
