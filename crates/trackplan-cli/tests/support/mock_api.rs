//! A mock of Segment's Public API tracking-plan routes on 127.0.0.1 (axum), for `pull` and
//! `push` tests: the plan, its rules paginated [`RULES_PER_PAGE`] at a time with `=`-padded
//! cursors, replace (`PUT`) and upsert (`PATCH`) of at most 200 rules, Bearer auth, 404 for
//! other plans, 429s on demand, and faults a test can switch on.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub const TOKEN: &str = "sgp_test_token_0123456789";
pub const RULES_PER_PAGE: usize = 10;

/// What the mock serves, what it saw, and which faults are on.
#[derive(Clone, Default)]
pub struct Mock {
    pub plan: Value,
    pub rules: Arc<Mutex<Vec<Value>>>,
    /// Every request as `METHOD path?query` (query pairs sorted), plus ` (N rules)` for writes.
    pub seen: Arc<Mutex<Vec<String>>>,
    /// 429s still to send, per plan id.
    pub throttle: Arc<Mutex<HashMap<String, u32>>>,
    pub faults: Arc<Mutex<Faults>>,
}

#[derive(Clone, Default)]
pub struct Faults {
    /// Answer every request with 403 (a read-only token writing, say).
    pub forbidden: bool,
    /// Answer a write with 422 naming the rule whose key this is, by its index in the request.
    pub reject_key: Option<String>,
    /// Store written rules without their last one (the read-back then differs).
    pub drop_last_written: bool,
}

/// A mock serving `plan` (a Public API plan file with its rules).
pub fn mock(plan: Value) -> Mock {
    let mut plan = plan;
    let rules = plan["rules"].as_array().cloned().unwrap_or_default();
    if let Some(object) = plan.as_object_mut() {
        object.remove("rules");
    }
    Mock {
        plan,
        rules: Arc::new(Mutex::new(rules)),
        ..Mock::default()
    }
}

pub fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

pub fn ecommerce() -> Value {
    let text = std::fs::read_to_string(repo_file("schemas/ecommerce.json")).expect("read plan");
    serde_json::from_str(&text).expect("ecommerce.json is JSON")
}

/// Start the mock on an ephemeral port in a background thread; returns its base URL.
pub fn start(mock: Mock) -> String {
    let (sender, receiver) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            sender
                .send(listener.local_addr().expect("addr"))
                .expect("send addr");
            let app = Router::new()
                .route("/tracking-plans/{id}", get(plan))
                .route(
                    "/tracking-plans/{id}/rules",
                    get(rules).put(replace_rules).patch(update_rules),
                )
                .with_state(mock);
            axum::serve(listener, app).await.expect("serve");
        });
    });
    let addr = receiver.recv().expect("mock address");
    format!("http://{addr}")
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = json!({"errors": [{"type": kind, "message": message}]});
    (status, Json(body)).into_response()
}

/// The checks every route shares: auth, scope, rate limit, known plan.
fn gate(mock: &Mock, headers: &HeaderMap, id: &str) -> Option<Response> {
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}"));
    if !authorized {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
        ));
    }
    if mock.faults.lock().expect("lock").forbidden {
        return Some(error(StatusCode::FORBIDDEN, "forbidden", "Forbidden"));
    }
    let mut throttle = mock.throttle.lock().expect("lock");
    if let Some(left) = throttle.get_mut(id).filter(|left| **left > 0) {
        *left -= 1;
        return Some(
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1")],
                "slow down",
            )
                .into_response(),
        );
    }
    if id != mock.plan["id"] {
        return Some(error(
            StatusCode::NOT_FOUND,
            "not-found",
            "Resource not found",
        ));
    }
    None
}

fn record(mock: &Mock, entry: String) {
    mock.seen.lock().expect("lock").push(entry);
}

async fn plan(State(mock): State<Mock>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    record(&mock, format!("GET /tracking-plans/{id}"));
    if let Some(refused) = gate(&mock, &headers, &id) {
        return refused;
    }
    Json(json!({"data": {"trackingPlan": mock.plan}})).into_response()
}

async fn rules(
    State(mock): State<Mock>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut sorted: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    sorted.sort();
    record(
        &mock,
        format!("GET /tracking-plans/{id}/rules?{}", sorted.join("&")),
    );
    if let Some(refused) = gate(&mock, &headers, &id) {
        return refused;
    }
    // Cursors are page numbers, base64-like with `=` so they need encoding.
    let page: usize = query
        .get("pagination.cursor")
        .and_then(|c| c.trim_end_matches('=').parse().ok())
        .unwrap_or(0);
    let rules = mock.rules.lock().expect("lock");
    let start = page * RULES_PER_PAGE;
    let end = (start + RULES_PER_PAGE).min(rules.len());
    let next = (end < rules.len()).then(|| format!("{}==", page + 1));
    let body = json!({"data": {
        "rules": rules.get(start..end).unwrap_or_default(),
        "pagination": {"current": format!("{page}=="), "next": next, "totalEntries": rules.len()}
    }});
    Json(body).into_response()
}

/// The checks both writes share; when they pass, `store` puts the rules sent (as the API lists
/// them) into the plan.
fn write(
    mock: &Mock,
    method: &str,
    id: &str,
    headers: &HeaderMap,
    body: &Value,
    store: impl FnOnce(&mut Vec<Value>, Vec<Value>),
) -> Response {
    let sent = body["rules"].as_array().cloned().unwrap_or_default();
    record(
        mock,
        format!("{method} /tracking-plans/{id}/rules ({} rules)", sent.len()),
    );
    if let Some(refused) = gate(mock, headers, id) {
        return refused;
    }
    if sent.len() > 200 {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "input-validation",
            "rules must contain less than or equal to 200 items",
        );
    }
    let faults = mock.faults.lock().expect("lock").clone();
    if let Some(index) = faults
        .reject_key
        .and_then(|key| sent.iter().position(|rule| rule["key"] == key.as_str()))
    {
        let body = json!({"errors": [{
            "type": "input-validation",
            "message": "jsonSchema is not a valid JSON Schema",
            "field": format!("rules.{index}.jsonSchema"),
        }]});
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
    }
    let mut listed = sent;
    if faults.drop_last_written {
        listed.pop();
    }
    for rule in &mut listed {
        rule["createdAt"] = json!("2026-12-01T00:00:00.000Z");
    }
    store(&mut mock.rules.lock().expect("lock"), listed);
    Json(json!({"data": {"status": "SUCCESS"}})).into_response()
}

async fn replace_rules(
    State(mock): State<Mock>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    write(&mock, "PUT", &id, &headers, &body, |stored, rules| {
        *stored = rules;
    })
}

async fn update_rules(
    State(mock): State<Mock>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    write(&mock, "PATCH", &id, &headers, &body, |stored, rules| {
        for rule in rules {
            let same = |r: &Value| {
                r["type"] == rule["type"]
                    && r["key"] == rule["key"]
                    && r["version"] == rule["version"]
            };
            match stored.iter().position(same) {
                Some(i) => stored[i] = rule,
                None => stored.push(rule),
            }
        }
    })
}
