//! `trackplan lint` as a user runs it: the built binary on real plans, exit codes, formats and
//! config files.

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

fn fixture(name: &str) -> PathBuf {
    repo("crates/trackplan-codegen/tests/fixtures").join(name)
}

fn trackplan(args: &[&str], dir: Option<&std::path::Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trackplan"));
    command.args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.output().expect("run trackplan")
}

fn path_str(path: &std::path::Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn warnings_alone_exit_zero() {
    let plan = repo("schemas/ecommerce.json");
    let output = trackplan(&["lint", path_str(&plan)], None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("warning[inconsistent-property-type]"),
        "{text}"
    );
    assert!(text.ends_with("0 errors, 1 warning\n"), "{text}");
}

#[test]
fn errors_exit_one_and_json_lists_every_finding() {
    let plan = fixture("typewriter-e2e-v1.json");
    let output = trackplan(&["lint", path_str(&plan), "--format", "json"], None);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["errors"], 2);
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(rules, ["property-name-collision", "event-name-collision"]);
}

#[test]
fn a_config_file_switches_rules_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("lint.json");
    std::fs::write(
        &config,
        r#"{"rules": {"event-name-collision": "off", "property-name-collision": "warning"}}"#,
    )
    .expect("write config");
    let plan = fixture("typewriter-e2e-v1.json");
    let output = trackplan(
        &["lint", path_str(&plan), "--config", path_str(&config)],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(!text.contains("event-name-collision"), "{text}");
    assert!(text.contains("warning[property-name-collision]"), "{text}");
}

#[test]
fn trackplan_lint_json_in_the_working_directory_is_the_default_config() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("trackplan-lint.json"),
        r#"{"rules": {"inconsistent-property-type": "error"}}"#,
    )
    .expect("write config");
    let plan = repo("schemas/ecommerce.json");
    let output = trackplan(&["lint", path_str(&plan)], Some(dir.path()));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains("error[inconsistent-property-type]"));
}

#[test]
fn a_bad_config_exits_two_naming_the_file_and_every_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("lint.json");
    std::fs::write(
        &config,
        r#"{"rules": {"no-such-rule": "off", "dynamic-name": "loud"}}"#,
    )
    .expect("write config");
    let plan = repo("schemas/ecommerce.json");
    let output = trackplan(
        &["lint", path_str(&plan), "--config", path_str(&config)],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("lint.json"), "{message}");
    assert!(
        message.contains("/rules/no-such-rule: unknown rule"),
        "{message}"
    );
    assert!(
        message.contains("/rules/dynamic-name: level must be"),
        "{message}"
    );
}

#[test]
fn an_unreadable_plan_exits_two() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, "{ not json").expect("write plan");
    let output = trackplan(&["lint", path_str(&plan)], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("plan.json"), "{}", stderr(&output));
    let missing = trackplan(&["lint", "does-not-exist.json"], Some(dir.path()));
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("does-not-exist.json"),
        "{}",
        stderr(&missing)
    );
}
