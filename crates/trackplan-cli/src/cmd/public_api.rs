//! Segment's Public API, as `pull` and `push` use it: the one place that decides the connection
//! flags, region base URLs, auth headers, error messages, `Retry-After` waits and pagination.
//!
//! Requests: `GET {base}/tracking-plans/{id}` (the plan),
//! `GET {base}/tracking-plans/{id}/rules?pagination.count=200&pagination.cursor=...` until
//! `pagination.next` is null, `PUT {base}/tracking-plans/{id}/rules` (replace every rule) and
//! `PATCH` on the same path (upsert), both with `{"rules": [...]}` of at most
//! [`MAX_RULES_PER_WRITE`]. Responses wrap their payload in `{"data": ...}`, errors are
//! `{"errors": [{"type", "message", "field"}]}`; auth is a Bearer token, which no message ever
//! contains. A 429 is waited out (its `Retry-After`, bounded as the transport bounds it: 1 s to
//! 300 s) a bounded number of times.

use std::fmt;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context as _};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde_json::{json, Map, Value};
use trackplan_core::{retry, RetryPolicy};

/// Segment's Public API, US workspaces.
pub const US_API: &str = "https://api.segmentapis.com";
/// Segment's Public API, EU workspaces.
pub const EU_API: &str = "https://eu1.api.segmentapis.com";
/// Rules per page (the API's maximum).
const PAGE_SIZE: &str = "200";
/// Rules one replace or update request may carry (Segment's documented limit).
pub const MAX_RULES_PER_WRITE: usize = 200;
/// Wait after a 429 that has no usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);
/// A guard against a server whose cursors never end.
const MAX_PAGES: usize = 10_000;

/// How to reach the Public API: the flags `pull` and `push` share.
#[derive(clap::Args)]
pub struct Connection {
    /// The tracking plan's id (`tp_...`, from the plan's URL in the Segment app).
    #[arg(long, value_name = "ID")]
    pub plan_id: String,
    /// Public API base URL [default: https://api.segmentapis.com, or the EU one with --eu].
    #[arg(long, value_name = "URL", conflicts_with = "eu")]
    api_base: Option<String>,
    /// The workspace is in Segment's EU region (https://eu1.api.segmentapis.com).
    #[arg(long)]
    eu: bool,
    /// Public API token (Bearer). Prefer the environment variable: command lines are visible
    /// to other users.
    #[arg(long, env = "SEGMENT_API_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// How many 429 responses to wait out, per request, before giving up.
    #[arg(long, default_value_t = 5, value_name = "N")]
    max_rate_limit_retries: u32,
}

/// What the token must be allowed to do, for the messages that blame it.
#[derive(Clone, Copy)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    fn describe(self) -> &'static str {
        match self {
            Access::Read => "read access to tracking plans",
            Access::Write => "write access to tracking plans (Protocols, Tracking Plan Admin)",
        }
    }
}

impl Connection {
    /// A client for these flags, or why there cannot be one.
    pub fn api(&self, access: Access) -> anyhow::Result<Api> {
        let Some(token) = self.token.clone().filter(|t| !t.trim().is_empty()) else {
            bail!(
                "no API token: set SEGMENT_API_TOKEN (or pass --token) to a Segment Public API \
                 token with {} (Settings > Access Management > Tokens)",
                access.describe()
            );
        };
        Api::new(
            api_base(self.api_base.as_deref(), self.eu),
            token,
            self.max_rate_limit_retries,
            access,
        )
    }
}

/// A single-threaded runtime for one command's requests.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The API origin: an explicit `--api-base` wins, else the region's.
fn api_base(explicit: Option<&str>, eu: bool) -> &str {
    match (explicit, eu) {
        (Some(base), _) => base,
        (None, true) => EU_API,
        (None, false) => US_API,
    }
}

/// One entry of a Public API error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: Option<String>,
    /// The input field it is about (`rules.3.jsonSchema`), when the API says.
    pub field: Option<String>,
}

/// A request that failed, with the message to show and what a caller may refine.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status, `None` when no response arrived or it was unreadable.
    pub status: Option<StatusCode>,
    /// The error body's entries, for callers that map them (422: to a rule).
    pub problems: Vec<Problem>,
    message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    fn malformed(url: &Url, what: &str) -> ApiError {
        ApiError {
            status: None,
            problems: Vec::new(),
            message: format!("unexpected response from {url}: {what}"),
        }
    }
}

/// A Segment Public API client for tracking plans.
pub struct Api {
    client: reqwest::Client,
    base: Url,
    token: String,
    max_rate_limit_retries: u32,
    access: Access,
}

impl Api {
    fn new(
        base: &str,
        token: String,
        max_rate_limit_retries: u32,
        access: Access,
    ) -> anyhow::Result<Api> {
        let base = Url::parse(base)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && !url.cannot_be_a_base())
            .with_context(|| {
                format!("invalid API base URL `{base}`: expected http(s)://host[/path]")
            })?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("trackplan/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(30))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Api {
            client,
            base,
            token,
            max_rate_limit_retries,
            access,
        })
    }

    /// The plan object with all its rules under `rules`, every object's keys sorted.
    pub async fn tracking_plan(&self, plan_id: &str) -> Result<Value, ApiError> {
        let plan_url = self.url(&["tracking-plans", plan_id]);
        let data = self
            .send(Method::GET, plan_url.clone(), None, plan_id)
            .await?;
        let Some(Value::Object(mut plan)) = data.get("trackingPlan").cloned() else {
            return Err(ApiError::malformed(
                &plan_url,
                "no `data.trackingPlan` object",
            ));
        };
        plan.insert("rules".to_owned(), Value::Array(self.rules(plan_id).await?));
        Ok(sort_keys(Value::Object(plan)))
    }

    /// Every rule of the plan, following the pagination cursors.
    async fn rules(&self, plan_id: &str) -> Result<Vec<Value>, ApiError> {
        let mut rules = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let url = self.rules_page_url(plan_id, cursor.as_deref());
            let page = self.send(Method::GET, url.clone(), None, plan_id).await?;
            let Some(Value::Array(page_rules)) = page.get("rules") else {
                return Err(ApiError::malformed(&url, "no `data.rules` array"));
            };
            rules.extend(page_rules.iter().cloned());
            match page.pointer("/pagination/next").and_then(Value::as_str) {
                Some(next) if Some(next) == cursor.as_deref() => {
                    return Err(ApiError::malformed(
                        &url,
                        &format!("the same pagination cursor twice (`{next}`)"),
                    ))
                }
                Some(next) if !next.is_empty() => cursor = Some(next.to_owned()),
                _ => return Ok(rules),
            }
        }
        Err(ApiError::malformed(
            &self.rules_page_url(plan_id, None),
            &format!("more than {MAX_PAGES} pages of rules"),
        ))
    }

    /// Replace every rule of the plan with `rules` (at most [`MAX_RULES_PER_WRITE`]).
    pub async fn replace_rules(&self, plan_id: &str, rules: &[Value]) -> Result<(), ApiError> {
        self.write_rules(Method::PUT, plan_id, rules).await
    }

    /// Add or update `rules` (at most [`MAX_RULES_PER_WRITE`]), keeping the others.
    pub async fn update_rules(&self, plan_id: &str, rules: &[Value]) -> Result<(), ApiError> {
        self.write_rules(Method::PATCH, plan_id, rules).await
    }

    async fn write_rules(
        &self,
        method: Method,
        plan_id: &str,
        rules: &[Value],
    ) -> Result<(), ApiError> {
        let url = self.url(&["tracking-plans", plan_id, "rules"]);
        let body = json!({ "rules": rules });
        self.send(method, url, Some(&body), plan_id).await.map(drop)
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// One page of the plan's rules, the first without a cursor.
    fn rules_page_url(&self, plan_id: &str, cursor: Option<&str>) -> Url {
        let mut url = self.url(&["tracking-plans", plan_id, "rules"]);
        url.query_pairs_mut()
            .append_pair("pagination.count", PAGE_SIZE);
        if let Some(cursor) = cursor {
            url.query_pairs_mut()
                .append_pair("pagination.cursor", cursor);
        }
        url
    }

    /// Send one request and return its `data`, waiting out rate limits. Writes are whole
    /// replacements or upserts, so repeating one after a 429 is safe.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        plan_id: &str,
    ) -> Result<Value, ApiError> {
        let mut rate_limited = 0;
        loop {
            let mut request = self
                .client
                .request(method.clone(), url.clone())
                .bearer_auth(&self.token)
                .header("accept", "application/json");
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(body.to_string());
            }
            let response = request
                .send()
                .await
                .map_err(|err| network_error(&url, &err))?;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS && rate_limited < self.max_rate_limit_retries
            {
                rate_limited += 1;
                let wait = retry_after(response.headers(), SystemTime::now());
                eprintln!(
                    "rate limited by Segment (429); retrying in {}s ({rate_limited}/{})",
                    wait.as_secs(),
                    self.max_rate_limit_retries
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            let text = response
                .text()
                .await
                .map_err(|err| network_error(&url, &err))?;
            if !status.is_success() {
                return Err(self.status_error(status, &text, plan_id, &url, rate_limited));
            }
            let mut document: Value =
                serde_json::from_str(&text).map_err(|_| ApiError::malformed(&url, "not JSON"))?;
            return match document.get_mut("data") {
                Some(data) => Ok(data.take()),
                None => Err(ApiError::malformed(&url, "no `data` object")),
            };
        }
    }

    /// A message that says what went wrong and what to do, per status.
    fn status_error(
        &self,
        status: StatusCode,
        body: &str,
        plan_id: &str,
        url: &Url,
        rate_limited: u32,
    ) -> ApiError {
        let problems = problems(body);
        let detail = api_message(&problems, body)
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
        let needs = self.access.describe();
        let message = match status {
            StatusCode::UNAUTHORIZED => format!(
                "Segment refused the token: HTTP {status}{detail}; check that SEGMENT_API_TOKEN is \
                 a valid Public API token of the plan's workspace with {needs}"
            ),
            StatusCode::FORBIDDEN => format!(
                "Segment refused the token: HTTP {status}{detail}; the token is valid but lacks the \
                 scope: it needs {needs} (SEGMENT_API_TOKEN)"
            ),
            StatusCode::NOT_FOUND => format!(
                "tracking plan `{plan_id}` not found at {}: HTTP {status}{detail}; check the id \
                 and the region (EU workspaces need --eu)",
                url.origin().ascii_serialization()
            ),
            StatusCode::TOO_MANY_REQUESTS => format!(
                "still rate limited by Segment after {rate_limited} retries: HTTP {status}{detail}; \
                 try again later or raise --max-rate-limit-retries"
            ),
            _ => format!("unexpected response from {url}: HTTP {status}{detail}"),
        };
        ApiError {
            status: Some(status),
            problems,
            message,
        }
    }
}

/// Every object's keys sorted (whatever order serde_json keeps), arrays in their order.
fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// How long a 429 asks us to wait: its `Retry-After` (seconds or an HTTP date, read by the
/// transport's one parser) within the transport's bounds (Segment's rules: 1 s to 300 s);
/// [`DEFAULT_RETRY_AFTER`] when absent or unreadable.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Duration {
    let requested = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|text| retry::parse_retry_after(text, now))
        .unwrap_or(DEFAULT_RETRY_AFTER);
    RetryPolicy::default().retry_after_wait(requested)
}

fn network_error(url: &Url, err: &reqwest::Error) -> ApiError {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let host = url.host_str().unwrap_or("the API");
    ApiError {
        status: None,
        problems: Vec::new(),
        message: format!(
            "request to {host} {what}: {err}; check your network and --api-base (EU workspaces \
             use --eu)"
        ),
    }
}

/// The entries of a Public API error body (`{"errors": [{"message", "field"}]}`).
fn problems(body: &str) -> Vec<Problem> {
    let Ok(document) = serde_json::from_str::<Value>(body) else {
        return Vec::new();
    };
    let text = |entry: &Value, key: &str| entry[key].as_str().map(str::to_owned);
    document["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| Problem {
            message: text(entry, "message"),
            field: text(entry, "field"),
        })
        .collect()
}

/// The error body's messages, else the start of the body.
fn api_message(problems: &[Problem], body: &str) -> Option<String> {
    let messages: Vec<&str> = problems
        .iter()
        .filter_map(|p| p.message.as_deref())
        .collect();
    if !messages.is_empty() {
        return Some(messages.join("; "));
    }
    let text: String = body.trim().chars().take(200).collect();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(retry_after) {
            headers.insert(RETRY_AFTER, value);
        }
        headers
    }

    fn client(base: &str) -> anyhow::Result<Api> {
        Api::new(base, "t".to_owned(), 0, Access::Read)
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_within_bounds() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(retry_after(&headers("7"), now), Duration::from_secs(7));
        assert_eq!(retry_after(&headers("0"), now), Duration::from_secs(1));
        assert_eq!(
            retry_after(&headers("86400"), now),
            Duration::from_secs(300)
        );
        let in_ten = httpdate::fmt_http_date(now + Duration::from_secs(10));
        assert_eq!(retry_after(&headers(&in_ten), now), Duration::from_secs(10));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(10));
        assert_eq!(retry_after(&headers(&past), now), Duration::from_secs(1));
        assert_eq!(retry_after(&headers("soon"), now), DEFAULT_RETRY_AFTER);
        assert_eq!(retry_after(&HeaderMap::new(), now), DEFAULT_RETRY_AFTER);
    }

    #[test]
    fn keys_are_sorted_at_every_depth_and_arrays_keep_their_order() {
        let plan = json!({"name": "Shop", "id": "tp_1", "rules": [
            {"type": "TRACK", "key": "B", "jsonSchema": {"z": 1, "a": 2}},
            {"key": "A"},
        ]});
        let text = serde_json::to_string(&sort_keys(plan)).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"id":"tp_1","name":"Shop","rules":[{"jsonSchema":{"a":2,"z":1},"key":"B","type":"TRACK"},{"key":"A"}]}"#
        );
    }

    #[test]
    fn the_region_picks_the_default_base() {
        assert_eq!(api_base(None, false), "https://api.segmentapis.com");
        assert_eq!(api_base(None, true), "https://eu1.api.segmentapis.com");
        assert_eq!(
            api_base(Some("http://127.0.0.1:1"), false),
            "http://127.0.0.1:1"
        );
    }

    #[test]
    fn api_error_bodies_are_read() {
        let body =
            r#"{"errors":[{"type":"input-validation","message":"bad key","field":"rules.3.key"}]}"#;
        let read = problems(body);
        assert_eq!(
            read,
            [Problem {
                message: Some("bad key".to_owned()),
                field: Some("rules.3.key".to_owned())
            }]
        );
        assert_eq!(api_message(&read, body).as_deref(), Some("bad key"));
        assert_eq!(
            api_message(&problems("Bad gateway"), "Bad gateway").as_deref(),
            Some("Bad gateway")
        );
        assert_eq!(api_message(&[], "  "), None);
    }

    #[test]
    fn urls_keep_the_base_path_and_encode_the_cursor() {
        let api = client("http://127.0.0.1:9/prefix/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            api.url(&["tracking-plans", "tp_1"]).as_str(),
            "http://127.0.0.1:9/prefix/tracking-plans/tp_1"
        );
        assert_eq!(
            api.rules_page_url("tp 1", Some("MQ==")).as_str(),
            "http://127.0.0.1:9/prefix/tracking-plans/tp%201/rules?pagination.count=200&pagination.cursor=MQ%3D%3D"
        );
        assert!(client("ftp://example.com").is_err());
        assert!(client("not a url").is_err());
    }
}
