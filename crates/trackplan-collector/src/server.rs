//! The HTTP surface: Segment's ingestion endpoints, the JSON API, the live stream and the page.

use std::convert::Infallible;
use std::sync::{Arc, RwLock};

use axum::extract::{Query, Request, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, RETRY_AFTER,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use serde_json::json;
use time::macros::format_description;
use time::OffsetDateTime;
use tokio::sync::{broadcast, watch};

use crate::auth::is_authorized;
use crate::coverage::PlanCoverage;
use crate::faults::{Failure, FaultAction, Faults};
use crate::ingest::{decode_body, over_hard_cap, parse_each, Endpoint, IngestError, Parsed};
use crate::platform::{Platform, HARD_CAP_BYTES};
use crate::store::StoredEvent;
use crate::store::{EventQuery, Judged, Refusal, Stats, Store};
use crate::{web, Validator};

/// What every handler shares.
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) validator: Validator,
    pub(crate) coverage: PlanCoverage,
    pub(crate) write_key: Option<String>,
    pub(crate) platform: Platform,
    pub(crate) faults: RwLock<Faults>,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl AppState {
    /// The store's counts with the plans' per-rule coverage.
    pub(crate) fn stats(&self) -> Stats {
        let mut stats = self.store.stats();
        stats.coverage = self.coverage.rules();
        stats
    }

    /// Forget every message and count.
    pub(crate) fn clear(&self) {
        self.store.clear();
        self.coverage.clear();
    }

    fn faults(&self) -> Faults {
        self.faults
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// The collector's routes.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let mut router = Router::new()
        .route(
            "/v1/batch",
            post(|state, request| ingest(state, Endpoint::Batch, request)),
        )
        .route(
            "/v1/import",
            post(|state, request| ingest(state, Endpoint::Batch, request)),
        );
    for call in crate::segment_rules::CALL_TYPES {
        router = router.route(
            &format!("/v1/{call}"),
            post(move |state, request| ingest(state, Endpoint::Single(call), request)),
        );
    }
    router
        .route("/api/events", get(list_events).delete(clear_events))
        .route("/api/stats", get(stats))
        .route("/api/info", get(info))
        .route("/api/stream", get(stream))
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route(
            "/",
            get(|| async { web::page(web::INDEX_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/app.js",
            get(|| async { web::page(web::APP_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/app.css",
            get(|| async { web::page(web::APP_CSS, "text/css; charset=utf-8") }),
        )
        .fallback(not_found)
        .with_state(state)
}

async fn ingest(
    State(state): State<Arc<AppState>>,
    endpoint: Endpoint,
    request: Request,
) -> Response {
    let number = state.store.count_request();
    let faults = state.faults();
    if let Some(delay) = faults.delay {
        tokio::time::sleep(delay).await;
    }
    match faults.action(number) {
        FaultAction::Proceed => {}
        FaultAction::Fail(failure) => {
            state.store.count_rejected();
            return injected_failure(number, failure);
        }
        FaultAction::Hang => {
            state.store.count_rejected();
            stopped(&mut state.shutdown.clone()).await;
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "the collector is shutting down".into(),
            );
        }
    }
    let oversize = StatusCode::from_u16(state.platform.limits().oversize_status)
        .unwrap_or(StatusCode::BAD_REQUEST);
    match accept(&state, endpoint, request).await {
        Ok(None) => Json(json!({"success": true})).into_response(),
        Ok(Some(refusal)) => {
            state.store.count_rejected();
            error(oversize, "payload_too_large", refusal.reason)
        }
        Err(refusal) => {
            state.store.count_rejected();
            let (status, code) = match refusal {
                IngestError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
                IngestError::Unauthorized => (StatusCode::UNAUTHORIZED, "invalid_write_key"),
                IngestError::OverHardCap(_) => (oversize, "payload_too_large"),
            };
            error(status, code, refusal.to_string())
        }
    }
}

/// Reads, authorises, validates and stores one ingestion request; the refusal its messages
/// were stored with when it breaks a limit of the platform.
async fn accept(
    state: &AppState,
    endpoint: Endpoint,
    request: Request,
) -> Result<Option<Refusal>, IngestError> {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    if let Some(len) =
        header(headers, CONTENT_LENGTH.as_str()).and_then(|len| len.parse::<usize>().ok())
    {
        if len > HARD_CAP_BYTES {
            return Err(over_hard_cap(len));
        }
    }
    let body = axum::body::to_bytes(body, HARD_CAP_BYTES)
        .await
        .map_err(|error| {
            IngestError::OverHardCap(format!(
                "the body could not be read in full ({error}); the collector reads at most \
                 {HARD_CAP_BYTES} bytes per request and stored nothing"
            ))
        })?;
    let body = decode_body(header(headers, CONTENT_ENCODING.as_str()), &body)?;
    let authorization = header(headers, AUTHORIZATION.as_str());
    let authorize =
        |body_key: Option<&str>| is_authorized(state.write_key.as_deref(), authorization, body_key);
    let Parsed { messages, refusal } = parse_each(
        endpoint,
        &body,
        state.platform,
        authorize,
        |message, text| {
            let violations = state.validator.validate(&message);
            state.coverage.record(&message, violations.is_empty());
            Judged::new(&message, text, violations)
                .with_personal_data(state.validator.personal_data(&message))
        },
    )?;
    let refusal = refusal.map(|reason| Refusal {
        status: state.platform.limits().oversize_status,
        reason,
    });
    let judged = match &refusal {
        Some(refusal) => messages
            .into_iter()
            .map(|judged| judged.refuse(refusal.clone()))
            .collect(),
        None => messages,
    };
    state.store.push(&now(), judged);
    Ok(refusal)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn injected_failure(number: u64, failure: Failure) -> Response {
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = error(
        status,
        "injected_fault",
        format!("injected fault: request {number} answered with {status}"),
    );
    if let Some(after) = failure.retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(after.as_secs()));
    }
    response
}

/// An error answer every official SDK handles: the Python SDKs (Segment's and RudderStack's)
/// read `code` and `message` from a JSON body and fail on JSON without them, the others only
/// look at the status.
fn error(status: StatusCode, code: &str, message: String) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

/// The time of arrival, RFC 3339 UTC with milliseconds.
fn now() -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

async fn list_events(
    State(state): State<Arc<AppState>>,
    Query(query): Query<EventQuery>,
) -> Response {
    let events = state.store.events(&query);
    let events: Vec<&StoredEvent> = events.iter().map(|event| &**event).collect();
    // Serialised directly (not through `json!`), so each message goes out as the exact text
    // that arrived, keys in their order.
    Json(EventList { events }).into_response()
}

#[derive(serde::Serialize)]
struct EventList<'a> {
    events: Vec<&'a StoredEvent>,
}

async fn clear_events(State(state): State<Arc<AppState>>) -> Response {
    state.clear();
    Json(json!({"success": true})).into_response()
}

async fn stats(State(state): State<Arc<AppState>>) -> Response {
    Json(state.stats()).into_response()
}

/// The platform reproduced and its limits, for the page.
async fn info(State(state): State<Arc<AppState>>) -> Response {
    Json(json!({
        "platform": state.platform,
        "description": state.platform.to_string(),
        "limits": state.platform.limits(),
        "hardCapBytes": HARD_CAP_BYTES,
    }))
    .into_response()
}

/// Server-sent events: one `message` per received message (its JSON as in `/api/events`), and
/// a `lagged` event with the number missed when the reader fell behind.
async fn stream(
    State(state): State<Arc<AppState>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let feed = state.store.subscribe();
    let shutdown = state.shutdown.clone();
    let events =
        futures_util::stream::unfold((feed, shutdown), |(mut feed, mut shutdown)| async move {
            let next = tokio::select! {
                () = stopped(&mut shutdown) => return None,
                next = feed.recv() => next,
            };
            let event = match next {
                Ok(received) => {
                    SseEvent::default().data(serde_json::to_string(&*received).unwrap_or_default())
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    SseEvent::default().event("lagged").data(missed.to_string())
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            Some((Ok(event), (feed, shutdown)))
        });
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// Resolves once the collector is asked to stop.
pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    // An error means the collector is gone, which is stopping too.
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn not_found(method: Method, uri: Uri) -> Response {
    let mut response = error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no route for {method} {}; ingestion is POST /v1/batch (or /v1/track, /v1/identify, ...), \
             the API is GET /api/events, /api/stats, /api/info, /api/stream",
            uri.path()
        ),
    );
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
