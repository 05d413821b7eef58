//! Golden snapshots of the generated source for every fixture plan (insta). The same files are
//! compiled with `#![deny(warnings)]` by `crates/trackplan/tests/plans.rs`.
//!
//! Re-bless with `INSTA_UPDATE=always TRACKPLAN_BLESS=1 cargo test -p trackplan-codegen --test
//! generate_snapshots`.

use std::path::{Path, PathBuf};

use trackplan_codegen::generate::{generate_file, GenerateOptions};
use trackplan_codegen::source::render;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every plan with a snapshot: the fixtures plus the shipped e-commerce plan.
fn plan_files() -> Vec<(String, PathBuf)> {
    let mut plans: Vec<(String, PathBuf)> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                path,
            )
        })
        .collect();
    let ecommerce = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/ecommerce.json");
    plans.push(("ecommerce.json".to_owned(), ecommerce));
    // Schema corners the real plans do not reach (recursion, maps and unions of date-times...).
    let exotic = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/plans/exotic.json");
    plans.push(("exotic.json".to_owned(), exotic));
    plans.sort();
    plans
}

fn plan_path(file: &str) -> PathBuf {
    plan_files()
        .into_iter()
        .find(|(name, _)| name == file)
        .unwrap()
        .1
}

fn generated_source(file: &str) -> String {
    let generated = generate_file(&plan_path(file), file, &GenerateOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    render(&generated.tokens, file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

macro_rules! snapshot {
    ($test:ident, $file:literal) => {
        #[test]
        fn $test() {
            let source = generated_source($file);
            insta::assert_snapshot!(stringify!($test), source);
        }
    };
}

snapshot!(typewriter_example_v1, "typewriter-example-v1.json");
snapshot!(typewriter_e2e_v1, "typewriter-e2e-v1.json");
snapshot!(typewriter_e2e_v2, "typewriter-e2e-v2.json");
snapshot!(typewriter_telemetry_v2, "typewriter-telemetry-v2.json");
snapshot!(ruddertyper_example_v2, "ruddertyper-example-v2.json");
snapshot!(ecommerce, "ecommerce.json");
snapshot!(exotic, "exotic.json");

/// The generated sources under `crates/trackplan/tests/plans/generated/` (compiled by the
/// trybuild pass cases and the behaviour tests there) must be the generator's current output;
/// `TRACKPLAN_BLESS=1` rewrites them.
#[test]
fn compiled_copies_match_the_generator() {
    let generated_dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../trackplan/tests/plans/generated");
    let bless = std::env::var_os("TRACKPLAN_BLESS").is_some();
    let mut stale = Vec::new();
    for (file, _) in plan_files() {
        let stem = file.trim_end_matches(".json").replace('-', "_");
        let expected = generated_source(&file);
        let target = generated_dir.join(format!("{stem}.rs"));
        if bless {
            trackplan_codegen::source::write_if_changed(&target, &expected).unwrap();
        } else if std::fs::read_to_string(&target).ok().as_deref() != Some(expected.as_str()) {
            stale.push(target.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated copies (rerun with TRACKPLAN_BLESS=1): {stale:?}"
    );
}
