//! `trackplan check` run as the built binary on NDJSON logs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn plan(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../trackplan-codegen/tests/fixtures")
        .join(name)
}

fn ecommerce() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/ecommerce.json")
}

fn check(plans: &[&Path], events: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trackplan"));
    command.arg("check");
    for plan in plans {
        command.arg("--plan").arg(plan);
    }
    command.arg(events).output().unwrap()
}

fn write_log(dir: &tempfile::TempDir, lines: &[&str]) -> PathBuf {
    let path = dir.path().join("events.ndjson");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[test]
fn each_violation_is_reported_with_its_line_and_the_run_fails() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        &dir,
        &[
            r#"{"type":"track","userId":"u","event":"Sign In Failed","properties":{"id":"u1"}}"#,
            r#"{"type":"track","userId":"u","event":"Sign In Failed","properties":{"id":7,"rememberMe":"yes"}}"#,
            "",
            r#"{"type":"track","userId":"u","event":"Signed Out"}"#,
            r#"{"type":"identify","anonymousId":"a"}"#,
        ],
    );
    let output = check(&[&plan("typewriter-example-v1.json")], &log);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");

    let label = log.display().to_string();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{label}:2: track \"Sign In Failed\": /properties/id: 7 is not of type \"string\" (type)"),
            format!(
                "{label}:2: track \"Sign In Failed\": /properties/rememberMe: \"yes\" is not of type \"boolean\" (type)"
            ),
            format!(
                "{label}:4: track \"Signed Out\": /event: unknown event: the tracking plan does not define \"Signed Out\" (plan)"
            ),
        ]
    );
    assert!(
        stderr.contains("checked 4 messages: 2 valid, 2 invalid (3 violations)"),
        "{stderr}"
    );
}

#[test]
fn a_log_that_fits_the_plan_passes() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        &dir,
        &[
            r#"{"batch":[{"type":"track","userId":"u","event":"Order Completed","properties":{"order_id":"o1","total":10,"products":[{"product_id":"p","price":10,"quantity":1}]}}]}"#,
            r#"{"type":"track","anonymousId":"a","event":"Cart Viewed","properties":{"cart_id":"c1","products":[]}}"#,
        ],
    );
    let output = check(&[&ecommerce()], &log);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout, "");
}

#[test]
fn lines_that_are_not_messages_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(&dir, &["{\"type\": \"track\",", "42"]);
    let output = check(&[&ecommerce()], &log);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout.contains(":1: not JSON:"), "{stdout}");
    assert!(stdout.contains(":2: not a message"), "{stdout}");
}

#[test]
fn unreadable_inputs_exit_2_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let missing_log = check(&[&ecommerce()], &dir.path().join("nope.ndjson"));
    assert_eq!(missing_log.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing_log.stderr).contains("cannot open"));

    let bad_plan = dir.path().join("plan.json");
    std::fs::write(&bad_plan, "{\"rules\": 3}").unwrap();
    let log = write_log(&dir, &[r#"{"type":"identify","userId":"u"}"#]);
    let output = check(&[&bad_plan], &log);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("plan.json"),
        "the error names the plan file"
    );

    let no_plan = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .arg("check")
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(no_plan.status.code(), Some(2), "--plan is required");
}
