//! `testing::assert_plan_file`: an exported tracking plan kept in a checked-in file, like a
//! snapshot test.

use std::path::{Path, PathBuf};

use crate::TrackingPlan;

/// The variable that makes [`assert_plan_file`] write the file instead of failing.
const BLESS_VAR: &str = "TRACKPLAN_BLESS";

/// Assert that the file at `path` holds exactly `plan`'s export
/// ([`TrackingPlan::to_json_string`]), byte for byte.
///
/// A relative `path` starts at the crate's directory (`CARGO_MANIFEST_DIR`, which `cargo test`
/// sets), as insta's snapshots do; outside cargo, at the current directory.
///
/// When the file differs, the panic shows the `trackplan diff` report from the file's plan to
/// this one (each change marked breaking or compatible) and how to accept it: run the test with
/// `TRACKPLAN_BLESS=1`, which writes the file (only when it changed) and passes. A missing file
/// fails the same way, saying how to create it.
///
/// ```no_run
/// #[derive(trackplan::Event)]
/// struct OrderCompleted { order_id: String }
///
/// #[test]
/// fn the_plan_file_is_current() {
///     let plan = trackplan::TrackingPlan::registered("Shop");
///     trackplan::testing::assert_plan_file("schemas/app-plan.json", &plan);
/// }
/// ```
///
/// # Panics
///
/// When the file is missing or differs (and `TRACKPLAN_BLESS` is not set), when it cannot be
/// read or written, and when the plan cannot be exported (two types for one rule).
#[track_caller]
pub fn assert_plan_file(path: impl AsRef<Path>, plan: &TrackingPlan) {
    let path = resolve(path.as_ref());
    let exported = plan
        .to_json_string()
        .unwrap_or_else(|e| panic!("cannot export the tracking plan: {e}"));
    let bless = std::env::var_os(BLESS_VAR).is_some_and(|v| !v.is_empty() && v != "0");
    let current = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot read the plan file {}: {e}", path.display()),
    };
    if current.as_deref() == Some(exported.as_str()) {
        return;
    }
    if bless {
        write(&path, &exported);
        eprintln!("{BLESS_VAR}: wrote the tracking plan to {}", path.display());
        return;
    }
    let Some(current) = current else {
        panic!(
            "the plan file {} does not exist yet.\n\
             Create it from the types: run this test with {BLESS_VAR}=1 \
             (`{BLESS_VAR}=1 cargo test`), review the file and commit it.",
            path.display()
        );
    };
    panic!(
        "the plan file {} is not the plan the code defines.\n{}\n\
         To accept the code's plan, run this test with {BLESS_VAR}=1 \
         (`{BLESS_VAR}=1 cargo test`) and commit the file.",
        path.display(),
        report(&current, &exported)
    );
}

fn resolve(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_owned();
    }
    match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) => Path::new(&dir).join(path),
        None => path.to_owned(),
    }
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    std::fs::write(path, text)
        .unwrap_or_else(|e| panic!("cannot write the plan file {}: {e}", path.display()));
}

/// What changed from the file's plan to the exported one, as `trackplan diff` reports it.
fn report(file: &str, exported: &str) -> String {
    let options = trackplan_plan::LoadOptions::default();
    let old = match trackplan_plan::parse(file, &options.clone().file_name("the plan file")) {
        Ok(plan) => plan,
        Err(errors) => return format!("The file is not a plan trackplan reads: {errors}"),
    };
    let new = match trackplan_plan::parse(exported, &options.file_name("the exported plan")) {
        Ok(plan) => plan,
        Err(errors) => return format!("The exported plan does not read back (a bug): {errors}"),
    };
    let changes = trackplan_plan::diff::diff(&old, &new);
    if changes.changes.is_empty() {
        "The rules are the same; the file differs in formatting, names or descriptions.".to_owned()
    } else {
        format!("Changes from the file to the code:\n{}", changes.to_text())
    }
}
