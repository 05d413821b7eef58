//! `trackplan diff` as a user runs it: the built binary on real plans across shapes, exit codes
//! and the three formats.

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative);
    path.to_str().expect("UTF-8 path").to_owned()
}

fn fixture(name: &str) -> String {
    repo(&format!("crates/trackplan-codegen/tests/fixtures/{name}"))
}

fn trackplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .args(args)
        .output()
        .expect("run trackplan")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn compatible_changes_across_shapes_exit_zero() {
    let output = trackplan(&[
        "diff",
        &fixture("typewriter-e2e-v1.json"),
        &fixture("typewriter-e2e-v2.json"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout(&output),
        "compatible event-added                  event `NoID type`: added\n0 breaking changes, 1 compatible change\n"
    );
}

#[test]
fn breaking_changes_exit_one_in_every_format() {
    let (old, new) = (
        fixture("typewriter-e2e-v2.json"),
        fixture("typewriter-e2e-v1.json"),
    );
    let text = trackplan(&["diff", &old, &new]);
    assert_eq!(text.status.code(), Some(1));
    assert!(
        stdout(&text).starts_with("breaking   event-removed"),
        "{}",
        stdout(&text)
    );

    let json = trackplan(&["diff", &old, &new, "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON report");
    assert_eq!(report["breaking"], 1);
    assert_eq!(report["changes"][0]["event"], "NoID type");
    assert_eq!(report["changes"][0]["file"], "old");

    let markdown = trackplan(&["diff", &old, &new, "--format", "markdown"]);
    assert_eq!(markdown.status.code(), Some(1));
    let comment = stdout(&markdown);
    assert!(
        comment.starts_with(
            "### :warning: Tracking plan changes: 1 breaking change, 0 compatible changes"
        ),
        "{comment}"
    );
    assert!(
        comment.contains("| `NoID type` |  | `event-removed` | removed |"),
        "{comment}"
    );
}

#[test]
fn identical_plans_report_no_changes() {
    let plan = repo("schemas/ecommerce.json");
    let output = trackplan(&["diff", &plan, &plan, "--format", "markdown"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "### :white_check_mark: Tracking plan changes: no changes\n\n"
    );
}

#[test]
fn problems_of_both_files_are_reported_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    std::fs::write(&old, "[]").expect("write");
    std::fs::write(&new, "{ nope").expect("write");
    let output = trackplan(&[
        "diff",
        old.to_str().expect("path"),
        new.to_str().expect("path"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("old.json") && message.contains("new.json"),
        "{message}"
    );
}
