//! `capture.coverage(&plan)` gives the report `trackplan coverage` gives: the CLI's recorded
//! fixture, sent through a capturing client, counts the same (its unreadable lines aside, which
//! a client cannot send).

use std::path::PathBuf;

use serde_json::{json, Value};
use trackplan::coverage::load_plan;
use trackplan::testing::{Capture, CaptureCoverage};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../trackplan-cli/tests/fixtures/coverage")
        .join(name)
}

#[test]
fn the_capture_of_the_recorded_fixture_covers_the_plan_as_the_cli_counts_it() {
    let plan = load_plan(fixture("plan.json")).unwrap_or_else(|e| panic!("{e}"));
    let recording = std::fs::read_to_string(fixture("recording.ndjson")).expect("fixture");
    let capture = Capture::new();
    let client = capture.client();
    for line in recording.lines() {
        let Ok(Value::Object(mut line)) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let messages = match line.remove("batch") {
            Some(Value::Array(batch)) => batch,
            _ => vec![Value::Object(line)],
        };
        for message in messages {
            client.enqueue(message).expect("enqueue");
        }
    }
    client.flush_blocking();

    let report = capture.coverage(&plan).unwrap_or_else(|e| panic!("{e}"));
    let mut expected = json!({
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
        "unreadable": [],
        "rules_covered_pct": 80.0,
        "properties_covered_pct": 60.0,
        "note": null,
    });
    assert_eq!(report.to_json(), expected);

    // Captured again after more messages: the report follows.
    let user = trackplan::User::id("u9");
    let signed_up = trackplan::RawEvent::new("Signed Up", json!({"plan": "pro"}));
    client.track(&user, &signed_up).expect("track");
    client.flush_blocking();
    let report = capture.coverage(&plan).unwrap_or_else(|e| panic!("{e}"));
    expected["messages"] = json!(12);
    expected["rules"][2] = json!({"call": "track", "name": "Signed Up", "seen": 1, "valid": 1,
        "invalid": 0, "unseen_properties": []});
    expected["rules_covered_pct"] = json!(100.0);
    expected["properties_covered_pct"] = json!(70.0);
    assert_eq!(report.to_json(), expected);
}
