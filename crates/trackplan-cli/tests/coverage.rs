//! `trackplan coverage` on a recorded fixture whose counts are known by hand: per-rule seen,
//! valid, invalid and unseen properties; unplanned messages; unreadable lines by number; the
//! figures in every format; `--fail-under`; empty input.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/coverage")
        .join(name)
        .to_str()
        .expect("path")
        .to_owned()
}

fn coverage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .arg("coverage")
        .args(["--plan", &fixture("plan.json")])
        .args(args)
        .output()
        .expect("run trackplan")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn json_counts_every_rule_unplanned_message_and_unreadable_line() {
    let recording = fixture("recording.ndjson");
    let output = coverage(&["--format", "json", &recording]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        report,
        json!({
            "messages": 11,
            "rules": [
                {"call": "track", "name": "Order Completed", "seen": 2, "valid": 1, "invalid": 1,
                 "unseen_properties": ["coupon"]},
                {"call": "track", "name": "Product Viewed", "seen": 3, "valid": 2, "invalid": 1,
                 "unseen_properties": []},
                {"call": "track", "name": "Signed Up", "seen": 0, "valid": 0, "invalid": 0,
                 "unseen_properties": ["plan"]},
                {"call": "identify", "name": "", "seen": 1, "valid": 1, "invalid": 0,
                 "unseen_properties": ["name"]},
                {"call": "page", "name": "", "seen": 1, "valid": 1, "invalid": 0,
                 "unseen_properties": ["title"]},
            ],
            "unplanned": [
                {"call": "alias", "name": "", "seen": 1},
                {"call": "screen", "name": "Settings", "seen": 1},
                {"call": "track", "name": "Signup Clicked", "seen": 2},
            ],
            "unreadable": [
                {"location": format!("{recording}:6"),
                 "reason": "not JSON: expected ident at line 1 column 2"},
                {"location": format!("{recording}:11"),
                 "reason": "not a message: a line must hold one JSON object"},
            ],
            "rules_covered_pct": 80.0,
            "properties_covered_pct": 60.0,
            "note": null,
        })
    );
    assert!(
        stderr(&output).contains("warning: 2 line(s) could not be read as messages"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn text_is_a_table_then_unplanned_unreadable_and_the_figures() {
    let recording = fixture("recording.ndjson");
    let output = coverage(&[&recording]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let expected = format!(
        "\
RULE                       SEEN   VALID  INVALID  UNSEEN PROPERTIES
track \"Order Completed\"       2       1        1  coupon
track \"Product Viewed\"        3       2        1
track \"Signed Up\"             0       0        0  plan
identify                      1       1        0  name
page                          1       1        0  title

UNPLANNED
alias                         1
screen \"Settings\"             1
track \"Signup Clicked\"        2

UNREADABLE (2)
{recording}:6: not JSON: expected ident at line 1 column 2
{recording}:11: not a message: a line must hold one JSON object

11 messages; rules covered 4/5 (80.0%), properties covered 6/10 (60.0%)
"
    );
    assert_eq!(stdout(&output), expected);
}

#[test]
fn markdown_leads_with_what_needs_attention() {
    let output = coverage(&["--format", "markdown", &fixture("recording.ndjson")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with(
            "### Tracking plan coverage: 11 messages; rules covered 4/5 (80.0%), properties \
             covered 6/10 (60.0%)\n\n**Never seen or invalid**\n\n\
             | Rule | Seen | Valid | Invalid | Unseen properties |\n|---|---:|---:|---:|---|\n\
             | track \"Order Completed\" | 2 | 1 | 1 | coupon |\n\
             | track \"Product Viewed\" | 3 | 2 | 1 |  |\n\
             | track \"Signed Up\" | 0 | 0 | 0 | plan |\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("| track \"Signup Clicked\" | 2 |\n"),
        "{text}"
    );
    assert!(
        text.contains("<details><summary>Every rule (5)</summary>"),
        "{text}"
    );
}

#[test]
fn fail_under_gates_on_both_figures_and_on_unreadable_lines() {
    let recording = fixture("recording.ndjson");
    let output = coverage(&["--fail-under", "60", &recording]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "unreadable lines fail the gate"
    );
    assert!(
        stderr(&output)
            .contains("coverage below 60%: rules 80.0%, properties 60.0%, and unreadable lines"),
        "{}",
        stderr(&output)
    );

    let dir = tempfile::tempdir().expect("dir");
    let clean = dir.path().join("clean.ndjson");
    let text = std::fs::read_to_string(&recording).expect("read");
    let readable: Vec<&str> = text.lines().filter(|line| line.starts_with('{')).collect();
    std::fs::write(&clean, readable.join("\n")).expect("write");
    let clean = clean.to_str().expect("path");

    let output = coverage(&["--fail-under", "60", clean]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = coverage(&["--fail-under", "60.5", clean]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("coverage below 60.5%: rules 80.0%, properties 60.0%\n"),
        "{}",
        stderr(&output)
    );

    let output = coverage(&["--fail-under", "101", clean]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`101` is not a percentage from 0 to 100"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn several_files_add_up_and_standard_input_reads_as_one() {
    let recording = fixture("recording.ndjson");
    let output = coverage(&["--format", "json", &recording, &recording]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["messages"], 22);
    assert_eq!(report["rules"][1]["seen"], 6);
    assert_eq!(report["unreadable"].as_array().map(Vec::len), Some(4));

    let mut child = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .args([
            "coverage",
            "--plan",
            &fixture("plan.json"),
            "--format",
            "json",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let input = r#"{"type":"track","userId":"u","event":"Signed Up","properties":{"plan":"pro"}}"#;
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), input.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["rules"][2]["seen"], 1);
    assert_eq!(report["rules"][2]["unseen_properties"], json!([]));
    assert_eq!(report["rules_covered_pct"], 20.0);
    assert_eq!(report["properties_covered_pct"], 10.0);
}

#[test]
fn empty_input_is_zero_percent_and_says_why() {
    let dir = tempfile::tempdir().expect("dir");
    let empty = dir.path().join("empty.ndjson");
    std::fs::write(&empty, "\n\n").expect("write");
    let output = coverage(&["--format", "json", empty.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["messages"], 0);
    assert_eq!(report["rules_covered_pct"], 0.0);
    assert_eq!(report["properties_covered_pct"], 0.0);
    assert_eq!(
        report["note"],
        "no messages were read, so nothing is covered"
    );

    let output = coverage(&["--fail-under", "1", empty.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).ends_with(
            "0 messages; rules covered 0/5 (0.0%), properties covered 0/10 (0.0%): no messages \
             were read, so nothing is covered\n"
        ),
        "{}",
        stdout(&output)
    );

    let output = coverage(&["missing.ndjson"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot open missing.ndjson"),
        "{}",
        stderr(&output)
    );
}
