//! `trackplan push` against a local mock of Segment's Public API on 127.0.0.1 (axum): dry run,
//! apply and its read-back, batching past 200 rules, breaking-change refusal, every error status,
//! network failure, and every plan shape pushed then pulled back unchanged. No output may ever
//! contain the token.

use std::process::{Command, Output};

use serde_json::{json, Value};

mod support;
use support::mock_api::{ecommerce, mock, repo_file, start, Mock, TOKEN};

const PLAN_ID: &str = "tp_ecommerce_spec_v2";

fn run(subcommand: &str, base: &str, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .arg(subcommand)
        .args(["--api-base", base])
        .args(args)
        .env("SEGMENT_API_TOKEN", TOKEN)
        .output()
        .expect("run trackplan");
    for stream in [&output.stdout, &output.stderr] {
        assert!(
            !String::from_utf8_lossy(stream).contains(TOKEN),
            "the token leaked: {}",
            String::from_utf8_lossy(stream)
        );
    }
    output
}

fn push(base: &str, plan: &std::path::Path, args: &[&str]) -> Output {
    let plan = plan.to_str().expect("path");
    let mut all = vec![plan, "--plan-id", PLAN_ID];
    all.extend_from_slice(args);
    run("push", base, &all)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn writes(mock: &Mock) -> Vec<String> {
    let seen = mock.seen.lock().expect("lock");
    seen.iter()
        .filter(|r| !r.starts_with("GET"))
        .cloned()
        .collect()
}

fn write_plan(dir: &tempfile::TempDir, name: &str, plan: &Value) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, serde_json::to_string_pretty(plan).expect("JSON")).expect("write");
    path
}

/// The e-commerce plan with one more (compatible) event.
fn ecommerce_plus_one() -> Value {
    let mut plan = ecommerce();
    let rules = plan["rules"].as_array_mut().expect("rules");
    rules.push(json!({
        "key": "Gift Card Redeemed", "type": "TRACK", "version": 1,
        "jsonSchema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
            "properties": {"properties": {"type": "object",
                "properties": {"amount": {"type": "number"}}}}}
    }));
    plan
}

fn remote_keys(mock: &Mock) -> Vec<String> {
    let rules = mock.rules.lock().expect("lock");
    rules
        .iter()
        .map(|r| r["key"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_dry_run_shows_the_changes_and_writes_nothing() {
    let mock = mock(ecommerce());
    let base = start(mock.clone());
    let dir = tempfile::tempdir().expect("dir");
    let plan = write_plan(&dir, "plan.json", &ecommerce_plus_one());

    let output = push(&base, &plan, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "compatible event-added                  event `Gift Card Redeemed`: added\n\
         0 breaking changes, 1 compatible change\n"
    );
    assert!(
        stderr(&output).contains(
            "dry run: nothing was changed; 1 rule(s) to add, 0 to remove, 0 to change; pass \
             --yes to push"
        ),
        "{}",
        stderr(&output)
    );
    assert_eq!(writes(&mock), Vec::<String>::new());
    assert_eq!(remote_keys(&mock).len(), 28);

    let output = push(&base, &plan, &["--format", "markdown"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with(
            "### :white_check_mark: Tracking plan changes: 0 breaking changes, 1 compatible change"
        ),
        "{}",
        stdout(&output)
    );

    let output = push(&base, &plan, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["outcome"], "dry-run");
    assert_eq!(report["plan_id"], PLAN_ID);
    assert_eq!(
        report["rules"],
        json!({"to_add": ["track `Gift Card Redeemed` v1"], "to_remove": [], "to_change": []})
    );
    assert_eq!(report["changes"]["compatible"], 1);
    assert_eq!(report["changes"]["changes"][0]["kind"], "event-added");
}

#[test]
fn yes_replaces_the_rules_reads_them_back_and_a_second_push_has_nothing_to_do() {
    let mock = mock(ecommerce());
    let base = start(mock.clone());
    let dir = tempfile::tempdir().expect("dir");
    let plan = write_plan(&dir, "plan.json", &ecommerce_plus_one());

    let output = push(&base, &plan, &["--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "pushed 29 rules to tracking plan `tp_ecommerce_spec_v2` (1 rule(s) to add, 0 to \
             remove, 0 to change); read back and verified"
        ),
        "{}",
        stderr(&output)
    );
    let seen = mock.seen.lock().expect("lock").clone();
    let rules_page =
        |cursor: &str| format!("GET /tracking-plans/{PLAN_ID}/rules?pagination.count=200{cursor}");
    let read = [
        format!("GET /tracking-plans/{PLAN_ID}"),
        rules_page(""),
        rules_page("&pagination.cursor=1=="),
        rules_page("&pagination.cursor=2=="),
    ];
    let mut expected: Vec<String> = read.to_vec();
    expected.push(format!("PUT /tracking-plans/{PLAN_ID}/rules (29 rules)"));
    expected.extend(read.iter().cloned());
    assert_eq!(seen, expected);
    let keys = remote_keys(&mock);
    assert_eq!(keys.len(), 29);
    assert_eq!(keys[28], "Gift Card Redeemed");
    // The rule-level description travels inside the schema, where readers find it.
    assert_eq!(
        mock.rules.lock().expect("lock")[0]["jsonSchema"]["description"],
        "User searched for products."
    );

    let output = push(&base, &plan, &["--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "no changes\n");
    assert!(
        stderr(&output).contains("already has PLAN's rules; nothing to push"),
        "{}",
        stderr(&output)
    );
    assert_eq!(writes(&mock).len(), 1, "no second write");
}

#[test]
fn a_read_back_that_differs_is_an_error_naming_the_difference() {
    let mock = mock(ecommerce());
    mock.faults.lock().expect("lock").drop_last_written = true;
    let base = start(mock.clone());
    let dir = tempfile::tempdir().expect("dir");
    let plan = write_plan(&dir, "plan.json", &ecommerce_plus_one());

    let output = push(&base, &plan, &["--yes"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "read back from Segment, tracking plan `tp_ecommerce_spec_v2` differs from PLAN: \
             missing track `Gift Card Redeemed` v1"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn breaking_changes_are_refused_by_name_unless_allowed() {
    let mock = mock(ecommerce());
    let base = start(mock.clone());
    let dir = tempfile::tempdir().expect("dir");
    let mut smaller = ecommerce();
    smaller["rules"].as_array_mut().expect("rules").remove(0);
    let plan = write_plan(&dir, "plan.json", &smaller);

    let output = push(&base, &plan, &["--yes"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "refusing to push: 1 breaking change(s); pass --allow-breaking to push them:\n  - \
             event-removed track `Products Searched`: removed"
        ),
        "{}",
        stderr(&output)
    );
    assert_eq!(writes(&mock), Vec::<String>::new());

    let output = push(&base, &plan, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("a push would be refused: 1 breaking change(s)"),
        "{}",
        stderr(&output)
    );

    let output = push(&base, &plan, &["--yes", "--allow-breaking"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        writes(&mock),
        [format!("PUT /tracking-plans/{PLAN_ID}/rules (27 rules)")]
    );
    assert!(!remote_keys(&mock).contains(&"Products Searched".to_owned()));
}

/// A Public API plan with `count` track rules `Event 0`, `Event 1`, ...
fn many_rules(count: usize) -> Value {
    let rules: Vec<Value> = (0..count)
        .map(|i| {
            json!({"key": format!("Event {i}"), "type": "TRACK", "version": 1, "jsonSchema": {
                "type": "object", "properties": {"properties": {"type": "object",
                    "properties": {"n": {"type": "integer"}}}}}})
        })
        .collect();
    json!({"id": PLAN_ID, "name": "Big", "rules": rules})
}

#[test]
fn more_than_200_rules_go_as_one_replace_then_updates_and_read_back_every_page() {
    let mock = mock(many_rules(0));
    let base = start(mock.clone());
    let dir = tempfile::tempdir().expect("dir");
    let plan = write_plan(&dir, "plan.json", &many_rules(450));

    let output = push(&base, &plan, &["--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        writes(&mock),
        [
            format!("PUT /tracking-plans/{PLAN_ID}/rules (200 rules)"),
            format!("PATCH /tracking-plans/{PLAN_ID}/rules (200 rules)"),
            format!("PATCH /tracking-plans/{PLAN_ID}/rules (50 rules)"),
        ]
    );
    let keys = remote_keys(&mock);
    assert_eq!(keys.len(), 450);
    assert_eq!(keys[449], "Event 449");
    let pages_read = mock
        .seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|r| r.starts_with("GET") && r.contains("/rules?"))
        .count();
    // One page before (an empty plan), 45 after.
    assert_eq!(pages_read, 1 + 45);
}

#[test]
fn a_422_names_the_rule_and_says_what_the_remote_plan_holds() {
    let mock = mock(ecommerce());
    mock.faults.lock().expect("lock").reject_key = Some("Gift Card Redeemed".to_owned());
    let base = start(mock.clone());
    let dir = tempfile::tempdir().expect("dir");
    let plan = write_plan(&dir, "plan.json", &ecommerce_plus_one());
    let output = push(&base, &plan, &["--yes"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "writing rules 1-29 of 29 (request 1 of 1, PUT replace) failed: Segment rejected \
             track `Gift Card Redeemed` v1 (rule 29 of PLAN's rules): jsonSchema is not a valid \
             JSON Schema; the remote plan is unchanged"
        ),
        "{}",
        stderr(&output)
    );
    assert_eq!(remote_keys(&mock).len(), 28);

    // In a later batch: the earlier ones are in, and the message says so.
    let mock = crate::mock(many_rules(0));
    mock.faults.lock().expect("lock").reject_key = Some("Event 230".to_owned());
    let base = start(mock.clone());
    let plan = write_plan(&dir, "big.json", &many_rules(450));
    let output = push(&base, &plan, &["--yes"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "writing rules 201-400 of 450 (request 2 of 3, PATCH update) failed: Segment \
             rejected track `Event 230` v1 (rule 231 of PLAN's rules): jsonSchema is not a \
             valid JSON Schema; the remote plan is partly updated: it holds PLAN's first 200 \
             rules and not the rest; run the same push again to finish"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn auth_scope_and_plan_errors_are_clear() {
    let mock = mock(ecommerce());
    let base = start(mock.clone());
    let dir = tempfile::tempdir().expect("dir");
    let plan = write_plan(&dir, "plan.json", &ecommerce_plus_one());
    let plan_arg = plan.to_str().expect("path");

    let output = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .args(["push", plan_arg, "--plan-id", PLAN_ID, "--api-base", &base])
        .args(["--token", "sgp_wrong_secret"])
        .env_remove("SEGMENT_API_TOKEN")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains(
            "reading tracking plan `tp_ecommerce_spec_v2` failed: Segment refused the token: \
             HTTP 401 Unauthorized (Unauthorized)"
        ),
        "{message}"
    );
    assert!(!message.contains("sgp_wrong_secret"), "{message}");

    mock.faults.lock().expect("lock").forbidden = true;
    let output = push(&base, &plan, &["--yes"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "HTTP 403 Forbidden (Forbidden); the token is valid but lacks the scope: it needs \
             write access to tracking plans"
        ),
        "{}",
        stderr(&output)
    );
    mock.faults.lock().expect("lock").forbidden = false;

    let output = run("push", &base, &[plan_arg, "--plan-id", "tp_nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("tracking plan `tp_nope` not found")
            && stderr(&output).contains("EU workspaces need --eu"),
        "{}",
        stderr(&output)
    );

    let output = run("push", &base, &["missing.json", "--plan-id", PLAN_ID]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot read missing.json"),
        "{}",
        stderr(&output)
    );
    assert_eq!(writes(&mock), Vec::<String>::new());
}

#[test]
fn rate_limits_are_waited_out_then_reported() {
    let mock = mock(ecommerce());
    let base = start(mock.clone());
    let dir = tempfile::tempdir().expect("dir");
    let plan = write_plan(&dir, "plan.json", &ecommerce_plus_one());
    mock.throttle
        .lock()
        .expect("lock")
        .insert(PLAN_ID.to_owned(), 1);
    let output = push(&base, &plan, &["--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("rate limited by Segment (429); retrying in 1s (1/5)"),
        "{}",
        stderr(&output)
    );

    mock.throttle
        .lock()
        .expect("lock")
        .insert(PLAN_ID.to_owned(), 100);
    let output = push(&base, &plan, &["--max-rate-limit-retries", "1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("still rate limited by Segment after 1 retries"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_network_error_names_the_step() {
    let dir = tempfile::tempdir().expect("dir");
    let plan = write_plan(&dir, "plan.json", &ecommerce());
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let output = push(&format!("http://127.0.0.1:{port}"), &plan, &["--yes"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "reading tracking plan `tp_ecommerce_spec_v2` failed: request to 127.0.0.1 could \
             not connect"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn every_plan_shape_pushes_and_pulls_back_unchanged_but_for_required_versions() {
    let dir = tempfile::tempdir().expect("dir");
    for file in [
        "typewriter-example-v1.json",
        "typewriter-e2e-v1.json",
        "typewriter-e2e-v2.json",
        "typewriter-telemetry-v2.json",
        "ruddertyper-example-v2.json",
    ] {
        let source = repo_file("crates/trackplan-codegen/tests/fixtures").join(file);
        let mock = mock(json!({"id": PLAN_ID, "name": "Empty", "rules": []}));
        let base = start(mock.clone());
        let output = push(&base, &source, &["--yes"]);
        assert_eq!(output.status.code(), Some(0), "{file}: {}", stderr(&output));

        let pulled = dir.path().join(file);
        let output = run(
            "pull",
            &base,
            &["--plan-id", PLAN_ID, "-o", pulled.to_str().expect("path")],
        );
        assert_eq!(output.status.code(), Some(0), "{file}: {}", stderr(&output));
        let diff = Command::new(env!("CARGO_BIN_EXE_trackplan"))
            .arg("diff")
            .args([&source, &pulled])
            .args(["--format", "json"])
            .output()
            .expect("run diff");
        assert_eq!(diff.status.code(), Some(0), "{file}");
        let report: Value = serde_json::from_slice(&diff.stdout).expect("diff JSON");
        // The Public API requires a version: an unversioned rule is pushed as version 1, and
        // that is the only difference there may be.
        let changes = report["changes"].as_array().expect("changes");
        assert!(
            changes
                .iter()
                .all(|c| c["kind"] == "version-changed" && c["detail"] == "version none -> 1"),
            "{file}: {report:#}"
        );
    }
}
