//! `trackplan pull` against a local mock of Segment's Public API on 127.0.0.1 (axum): the plan
//! and its paginated rules, auth, 404, 429 with Retry-After, network errors. The pulled file is
//! then read back and diffed against the plan the mock served.

use std::process::{Command, Output};

use serde_json::Value;

mod support;
use support::mock_api::{ecommerce, mock, repo_file, start, TOKEN};

fn pull(base: &str, args: &[&str], token: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trackplan"));
    command.arg("pull").args(["--api-base", base]).args(args);
    command.env_remove("SEGMENT_API_TOKEN");
    if let Some(token) = token {
        command.env("SEGMENT_API_TOKEN", token);
    }
    command.output().expect("run trackplan")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn pulls_every_page_into_a_sorted_file_the_reader_loads() {
    let mock = mock(ecommerce());
    let seen = mock.seen.clone();
    let base = start(mock);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("plan.json");
    let output = pull(
        &base,
        &[
            "--plan-id",
            "tp_ecommerce_spec_v2",
            "-o",
            out.to_str().expect("path"),
        ],
        Some(TOKEN),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("pulled 28 rules of tracking plan tp_ecommerce_spec_v2"),
        "{}",
        stderr(&output)
    );

    assert_eq!(
        *seen.lock().expect("lock"),
        [
            "GET /tracking-plans/tp_ecommerce_spec_v2",
            "GET /tracking-plans/tp_ecommerce_spec_v2/rules?pagination.count=200",
            "GET /tracking-plans/tp_ecommerce_spec_v2/rules?pagination.count=200&pagination.cursor=1==",
            "GET /tracking-plans/tp_ecommerce_spec_v2/rules?pagination.count=200&pagination.cursor=2==",
        ]
    );

    let text = std::fs::read_to_string(&out).expect("pulled file");
    let pulled: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(pulled["rules"].as_array().map(Vec::len), Some(28));
    assert_eq!(
        pulled["rules"][0]["key"], "Products Searched",
        "rule order is kept"
    );
    let top_keys: Vec<usize> = [
        "\n  \"createdAt\"",
        "\n  \"description\"",
        "\n  \"id\"",
        "\n  \"name\"",
        "\n  \"rules\"",
    ]
    .iter()
    .map(|key| text.find(key).unwrap_or_else(|| panic!("{key} missing")))
    .collect();
    assert!(
        top_keys.windows(2).all(|w| w[0] < w[1]),
        "keys sorted: {top_keys:?}"
    );
    // serde_json maps iterate sorted, so a sorted file is its own pretty re-serialisation.
    let canonical = serde_json::to_string_pretty(&pulled).expect("serialise");
    assert_eq!(text, format!("{canonical}\n"));

    // Same plan as the one served: no changes.
    let served = repo_file("schemas/ecommerce.json");
    let diff = Command::new(env!("CARGO_BIN_EXE_trackplan"))
        .args([
            "diff",
            served.to_str().expect("path"),
            out.to_str().expect("path"),
        ])
        .output()
        .expect("run diff");
    assert_eq!(String::from_utf8_lossy(&diff.stdout), "no changes\n");
    assert_eq!(diff.status.code(), Some(0));
}

#[test]
fn writes_to_standard_output_without_o() {
    let base = start(mock(ecommerce()));
    let output = pull(&base, &["--plan-id", "tp_ecommerce_spec_v2"], Some(TOKEN));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let pulled: Value = serde_json::from_slice(&output.stdout).expect("plan on stdout");
    assert_eq!(pulled["id"], "tp_ecommerce_spec_v2");
}

#[test]
fn a_bad_token_is_a_clear_401() {
    let base = start(mock(ecommerce()));
    let output = pull(&base, &["--plan-id", "tp_ecommerce_spec_v2"], Some("wrong"));
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("Segment refused the token: HTTP 401 Unauthorized (Unauthorized)"),
        "{message}"
    );
    assert!(message.contains("SEGMENT_API_TOKEN"), "{message}");
}

#[test]
fn an_unknown_plan_is_a_clear_404() {
    let base = start(mock(ecommerce()));
    let output = pull(&base, &["--plan-id", "tp_nope"], Some(TOKEN));
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("tracking plan `tp_nope` not found"),
        "{message}"
    );
    assert!(
        message.contains("Resource not found") && message.contains("--eu"),
        "{message}"
    );
}

#[test]
fn rate_limits_are_waited_out_then_reported() {
    let mock = mock(ecommerce());
    mock.throttle
        .lock()
        .expect("lock")
        .insert("tp_ecommerce_spec_v2".to_owned(), 1);
    let seen = mock.seen.clone();
    let throttle = mock.throttle.clone();
    let base = start(mock);
    let output = pull(&base, &["--plan-id", "tp_ecommerce_spec_v2"], Some(TOKEN));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("rate limited by Segment (429); retrying in 1s (1/5)"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        seen.lock().expect("lock")[..2],
        [
            "GET /tracking-plans/tp_ecommerce_spec_v2",
            "GET /tracking-plans/tp_ecommerce_spec_v2"
        ]
    );

    throttle
        .lock()
        .expect("lock")
        .insert("tp_ecommerce_spec_v2".to_owned(), 100);
    let output = pull(
        &base,
        &[
            "--plan-id",
            "tp_ecommerce_spec_v2",
            "--max-rate-limit-retries",
            "1",
        ],
        Some(TOKEN),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("still rate limited by Segment after 1 retries"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn missing_token_and_network_errors_are_clear() {
    let output = pull("http://127.0.0.1:9", &["--plan-id", "tp_1"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no API token: set SEGMENT_API_TOKEN"),
        "{}",
        stderr(&output)
    );

    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let output = pull(
        &format!("http://127.0.0.1:{port}"),
        &["--plan-id", "tp_1"],
        Some(TOKEN),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("request to 127.0.0.1 could not connect"),
        "{}",
        stderr(&output)
    );

    let output = pull(
        "http://127.0.0.1:9",
        &["--plan-id", "tp_1", "--eu"],
        Some(TOKEN),
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "--eu and --api-base conflict"
    );
    assert!(
        stderr(&output).contains("cannot be used with"),
        "{}",
        stderr(&output)
    );

    let output = pull("not a url", &["--plan-id", "tp_1"], Some(TOKEN));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid API base URL `not a url`"),
        "{}",
        stderr(&output)
    );
}
