//! `trackplan pull --plan-id ID`: fetch a tracking plan from Segment's Public API and write it in
//! the Public API shape every trackplan reader loads, object keys sorted so re-pulls diff small.
//!
//! Requests: `GET {base}/tracking-plans/{id}` (the plan) and
//! `GET {base}/tracking-plans/{id}/rules?pagination.count=200&pagination.cursor=...` until
//! `pagination.next` is null. Responses wrap their payload in `{"data": ...}`; auth is a Bearer
//! token. A 429 is waited out (its `Retry-After`, bounded as the transport bounds it: 1 s to
//! 300 s) a bounded number of times.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context as _};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde_json::{Map, Value};
use trackplan_core::{retry, RetryPolicy};

/// Segment's Public API, US workspaces.
pub const US_API: &str = "https://api.segmentapis.com";
/// Segment's Public API, EU workspaces.
pub const EU_API: &str = "https://eu1.api.segmentapis.com";
/// Rules per page (the API's maximum).
const PAGE_SIZE: &str = "200";
/// Wait after a 429 that has no usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);
/// A guard against a server whose cursors never end.
const MAX_PAGES: usize = 10_000;

#[derive(clap::Args)]
pub struct Args {
    /// The tracking plan's id (`tp_...`, from the plan's URL in the Segment app).
    #[arg(long, value_name = "ID")]
    plan_id: String,
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
    /// Write the plan to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// How many 429 responses to wait out, per request, before giving up.
    #[arg(long, default_value_t = 5, value_name = "N")]
    max_rate_limit_retries: u32,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(token) = args.token.clone().filter(|t| !t.trim().is_empty()) else {
        bail!(
            "no API token: set SEGMENT_API_TOKEN (or pass --token) to a Segment Public API token \
             with read access to tracking plans (Settings > Access Management > Tokens)"
        );
    };
    let base = api_base(args.api_base.as_deref(), args.eu);
    let api = Api::new(base, token, args.max_rate_limit_retries)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let plan = runtime.block_on(api.pull(&args.plan_id))?;
    let rules = plan["rules"].as_array().map_or(0, Vec::len);
    let text = format!("{}\n", serde_json::to_string_pretty(&plan)?);
    let destination = match &args.output {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            path.display().to_string()
        }
        None => {
            print!("{text}");
            "standard output".to_owned()
        }
    };
    eprintln!(
        "pulled {rules} rules of tracking plan {} to {destination}",
        args.plan_id
    );
    // What we wrote must be something trackplan reads; say so now rather than at build time.
    trackplan_plan::parse(&text, &Default::default()).map_err(|errors| {
        anyhow::anyhow!("the pulled plan was written, but trackplan cannot read it: {errors}")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The API origin: an explicit `--api-base` wins, else the region's.
fn api_base(explicit: Option<&str>, eu: bool) -> &str {
    match (explicit, eu) {
        (Some(base), _) => base,
        (None, true) => EU_API,
        (None, false) => US_API,
    }
}

/// A Segment Public API client for the two tracking-plan reads.
struct Api {
    client: reqwest::Client,
    base: Url,
    token: String,
    max_rate_limit_retries: u32,
}

impl Api {
    fn new(base: &str, token: String, max_rate_limit_retries: u32) -> anyhow::Result<Api> {
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
        })
    }

    /// The plan object with all its rules under `rules`, keys sorted.
    async fn pull(&self, plan_id: &str) -> anyhow::Result<Value> {
        let plan_url = self.url(&["tracking-plans", plan_id], None);
        let data = self.get_data(plan_url, plan_id).await?;
        let plan = data
            .get("trackingPlan")
            .cloned()
            .context("unexpected response: no `data.trackingPlan` in the tracking plan")?;
        let mut rules = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let url = self.url(&["tracking-plans", plan_id, "rules"], cursor.as_deref());
            let page = self.get_data(url, plan_id).await?;
            let Some(Value::Array(page_rules)) = page.get("rules") else {
                bail!("unexpected response: no `data.rules` array in the rules page");
            };
            rules.extend(page_rules.iter().cloned());
            match page.pointer("/pagination/next").and_then(Value::as_str) {
                Some(next) if Some(next) == cursor.as_deref() => {
                    bail!("the API returned the same pagination cursor twice (`{next}`); giving up")
                }
                Some(next) if !next.is_empty() => cursor = Some(next.to_owned()),
                _ => return assemble(plan, rules),
            }
        }
        bail!("more than {MAX_PAGES} pages of rules; giving up")
    }

    fn url(&self, segments: &[&str], cursor: Option<&str>) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if segments.last() == Some(&"rules") {
            let mut query = url.query_pairs_mut();
            query.append_pair("pagination.count", PAGE_SIZE);
            if let Some(cursor) = cursor {
                query.append_pair("pagination.cursor", cursor);
            }
        }
        url
    }

    /// GET `url` and return its `data`, waiting out rate limits.
    async fn get_data(&self, url: Url, plan_id: &str) -> anyhow::Result<Value> {
        let mut rate_limited = 0;
        loop {
            let response = self
                .client
                .get(url.clone())
                .bearer_auth(&self.token)
                .header("accept", "application/json")
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
            let body = response
                .text()
                .await
                .map_err(|err| network_error(&url, &err))?;
            if !status.is_success() {
                bail!(
                    "{}",
                    status_error(status, &body, plan_id, &url, rate_limited)
                );
            }
            let mut document: Value = serde_json::from_str(&body)
                .with_context(|| format!("unexpected response from {url}: not JSON"))?;
            return match document.get_mut("data") {
                Some(data) => Ok(data.take()),
                None => bail!("unexpected response from {url}: no `data` object"),
            };
        }
    }
}

/// The plan object with `rules`, every object's keys sorted (whatever order serde_json keeps).
fn assemble(plan: Value, rules: Vec<Value>) -> anyhow::Result<Value> {
    let Value::Object(mut plan) = plan else {
        bail!("unexpected response: `data.trackingPlan` is not an object");
    };
    plan.insert("rules".to_owned(), Value::Array(rules));
    Ok(sort_keys(Value::Object(plan)))
}

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

/// How long a 429 asks us to wait: its `Retry-After` (seconds or an HTTP date) within the
/// transport's bounds (Segment's rules: 1 s to 300 s); [`DEFAULT_RETRY_AFTER`] when absent or
/// unreadable.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Duration {
    let requested = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|text| retry::parse_retry_after(text, now))
        .unwrap_or(DEFAULT_RETRY_AFTER);
    RetryPolicy::default().retry_after_wait(requested)
}

fn network_error(url: &Url, err: &reqwest::Error) -> anyhow::Error {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let host = url.host_str().unwrap_or("the API");
    anyhow::anyhow!(
        "request to {host} {what}: {err}; check your network and --api-base (EU workspaces use --eu)"
    )
}

/// A message that says what went wrong and what to do, per status.
fn status_error(
    status: StatusCode,
    body: &str,
    plan_id: &str,
    url: &Url,
    rate_limited: u32,
) -> String {
    let detail = api_message(body)
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => format!(
            "Segment refused the token: HTTP {status}{detail}; check that SEGMENT_API_TOKEN is a \
             Public API token of the plan's workspace with tracking plan read access"
        ),
        StatusCode::NOT_FOUND => format!(
            "tracking plan `{plan_id}` not found at {}: HTTP {status}{detail}; check the id and the \
             region (EU workspaces need --eu)",
            url.origin().ascii_serialization()
        ),
        StatusCode::TOO_MANY_REQUESTS => format!(
            "still rate limited by Segment after {rate_limited} retries: HTTP {status}{detail}; try \
             again later or raise --max-rate-limit-retries"
        ),
        _ => format!("unexpected response from {url}: HTTP {status}{detail}"),
    }
}

/// The error text of a Public API error body (`{"errors": [{"message": ...}]}`), else the
/// start of the body.
fn api_message(body: &str) -> Option<String> {
    if let Ok(document) = serde_json::from_str::<Value>(body) {
        let messages: Vec<&str> = document["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["message"].as_str())
            .collect();
        if !messages.is_empty() {
            return Some(messages.join("; "));
        }
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
        let plan = serde_json::json!({"name": "Shop", "id": "tp_1"});
        let rules = vec![
            serde_json::json!({"type": "TRACK", "key": "B", "jsonSchema": {"z": 1, "a": 2}}),
            serde_json::json!({"key": "A"}),
        ];
        let pulled = assemble(plan, rules).unwrap_or_default();
        let text = serde_json::to_string(&pulled).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"id":"tp_1","name":"Shop","rules":[{"jsonSchema":{"a":2,"z":1},"key":"B","type":"TRACK"},{"key":"A"}]}"#
        );
        assert!(assemble(serde_json::json!([]), Vec::new()).is_err());
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
    fn api_error_messages_are_extracted() {
        assert_eq!(
            api_message(r#"{"errors":[{"type":"not-found","message":"Resource not found"}]}"#)
                .as_deref(),
            Some("Resource not found")
        );
        assert_eq!(api_message("Bad gateway").as_deref(), Some("Bad gateway"));
        assert_eq!(api_message("  "), None);
    }

    #[test]
    fn urls_keep_the_base_path_and_encode_the_cursor() {
        let api = Api::new("http://127.0.0.1:9/prefix/", "t".to_owned(), 0)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            api.url(&["tracking-plans", "tp_1"], None).as_str(),
            "http://127.0.0.1:9/prefix/tracking-plans/tp_1"
        );
        assert_eq!(
            api.url(&["tracking-plans", "tp 1", "rules"], Some("MQ==")).as_str(),
            "http://127.0.0.1:9/prefix/tracking-plans/tp%201/rules?pagination.count=200&pagination.cursor=MQ%3D%3D"
        );
        assert!(Api::new("ftp://example.com", "t".to_owned(), 0).is_err());
        assert!(Api::new("not a url", "t".to_owned(), 0).is_err());
    }
}
