//! trackplan-collector: a local Segment-compatible collector that validates every message
//! against your tracking plan and shows what arrived, live.
//!
//! It speaks Segment's HTTP Tracking API (`POST /v1/batch`, `/v1/track`, ... with Basic or
//! body write keys and gzip), with the size limits of Segment or RudderStack ([`Platform`]),
//! keeps the latest messages in a bounded ring (those of a request refused for its size too,
//! marked refused), serves them at `GET /api/events`, `/api/stats` and `/api/stream`
//! (server-sent events) and renders Segment's Source Debugger, offline, at `/`.
//!
//! Use it in integration tests instead of a mock:
//!
//! ```no_run
//! use std::time::Duration;
//! use trackplan_collector::{Collector, CollectorConfig};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let plan = trackplan_plan::load("schemas/ecommerce.json")?;
//! let collector = Collector::start(CollectorConfig::new().plan(plan)).await?;
//! // Point the client under test at `collector.url()`, send, then:
//! collector.wait_for_events(1, Duration::from_secs(5)).await?;
//! for event in collector.events() {
//!     assert!(event.valid, "{:?}: {:?}", event.name, event.violations);
//! }
//! collector.shutdown().await?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use trackplan_plan::Plan;

mod auth;
mod coverage;
mod faults;
pub mod ingest;
mod platform;
pub mod segment_rules;
mod server;
mod store;
mod validate;
mod violation;
mod web;

pub use coverage::RuleCoverageStats;
pub use faults::{Failure, Faults};
pub use platform::{Limits, Platform, HARD_CAP_BYTES};
pub use store::{EventQuery, EventStats, ReceivedEvent, Refusal, Stats, DEFAULT_EVENT_LIMIT};
pub use validate::{SchemaErrors, Validator, UNKNOWN_EVENT_RULE};
pub use violation::Violation;

/// The number of messages kept by default.
pub const DEFAULT_MAX_EVENTS: usize = 10_000;

/// How to run a collector. Built with [`CollectorConfig::new`] and its setters.
///
/// ```
/// use trackplan_collector::CollectorConfig;
///
/// let config = CollectorConfig::new().write_key("secret").max_events(500);
/// assert!(!format!("{config:?}").contains("secret"));
/// ```
#[derive(Clone)]
pub struct CollectorConfig {
    addr: SocketAddr,
    plans: Vec<Plan>,
    write_key: Option<String>,
    max_events: usize,
    record: Option<PathBuf>,
    faults: Faults,
    platform: Platform,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            plans: Vec::new(),
            write_key: None,
            max_events: DEFAULT_MAX_EVENTS,
            record: None,
            faults: Faults::default(),
            platform: Platform::default(),
        }
    }
}

impl fmt::Debug for CollectorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CollectorConfig")
            .field("addr", &self.addr)
            .field(
                "plans",
                &self.plans.iter().map(|plan| &plan.name).collect::<Vec<_>>(),
            )
            .field("write_key", &self.write_key.as_ref().map(|_| "<redacted>"))
            .field("max_events", &self.max_events)
            .field("record", &self.record)
            .field("faults", &self.faults)
            .field("platform", &self.platform)
            .finish()
    }
}

impl CollectorConfig {
    /// Loopback on a free port, no plan, no write key, 10,000 messages kept, Segment's limits.
    pub fn new() -> Self {
        CollectorConfig::default()
    }

    /// Where to listen (default `127.0.0.1:0`: loopback, a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Validates against `plan` too; a message must satisfy every loaded plan defining it.
    pub fn plan(mut self, plan: Plan) -> Self {
        self.plans.push(plan);
        self
    }

    /// Refuses (401) requests that carry neither this key as Basic auth nor as `writeKey`.
    pub fn write_key(mut self, key: impl Into<String>) -> Self {
        self.write_key = Some(key.into());
        self
    }

    /// Keeps the latest `max` messages (at least 1).
    pub fn max_events(mut self, max: usize) -> Self {
        self.max_events = max.max(1);
        self
    }

    /// Appends every stored message (accepted or refused) to this NDJSON file, one per line.
    pub fn record(mut self, path: impl Into<PathBuf>) -> Self {
        self.record = Some(path.into());
        self
    }

    /// Reproduces `platform`'s size limits and oversize status (default Segment's).
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = platform;
        self
    }

    /// Injects faults into ingestion requests (see [`Faults`]).
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }
}

/// Why a collector could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address is taken or not allowed.
    #[error(
        "cannot listen on {addr}: {source}; pick another address or port (port 0 picks a free one)"
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why binding failed.
        source: std::io::Error,
    },
    /// A plan's schema cannot be compiled.
    #[error(transparent)]
    Schema(#[from] SchemaErrors),
    /// The recording file cannot be opened for appending.
    #[error("cannot open {} to record messages: {source}", path.display())]
    Record {
        /// The recording file asked for.
        path: PathBuf,
        /// Why it cannot be opened.
        source: std::io::Error,
    },
}

/// Waiting for messages took longer than allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected} messages within {timeout:?}, received {received}")]
pub struct WaitTimeout {
    /// The count waited for.
    pub expected: u64,
    /// The count when the time ran out.
    pub received: u64,
    /// How long it waited.
    pub timeout: Duration,
}

/// The messages a collector stores, from the moment of [`Collector::subscribe`].
pub struct Subscription {
    feed: broadcast::Receiver<Arc<store::StoredEvent>>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("queued", &self.feed.len())
            .finish()
    }
}

impl Subscription {
    /// The next stored message. A receiver that fell more than 4,096 messages behind gets
    /// `Lagged(missed)` once, then continues with the oldest it still holds; `Closed` means
    /// the collector stopped.
    pub async fn recv(&mut self) -> Result<ReceivedEvent, broadcast::error::RecvError> {
        self.feed.recv().await.map(|event| event.to_received())
    }
}

/// A running collector. Dropping it stops the server; [`Collector::shutdown`] also waits for it.
pub struct Collector {
    addr: SocketAddr,
    url: String,
    state: Arc<server::AppState>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl fmt::Debug for Collector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collector")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Collector {
    /// Compiles the plans, binds the address and serves on the current tokio runtime.
    pub async fn start(config: CollectorConfig) -> Result<Collector, StartError> {
        let validator = Validator::new(&config.plans)?;
        let store =
            store::Store::new(config.max_events, config.record.as_deref()).map_err(|source| {
                StartError::Record {
                    path: config.record.clone().unwrap_or_default(),
                    source,
                }
            })?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;

        let (stop, shutdown) = watch::channel(false);
        let state = Arc::new(server::AppState {
            store,
            validator,
            coverage: coverage::PlanCoverage::new(&config.plans),
            write_key: config.write_key,
            platform: config.platform,
            faults: RwLock::new(config.faults),
            shutdown: shutdown.clone(),
        });
        let app = server::router(Arc::clone(&state));
        let task = tokio::spawn(async move {
            let mut shutdown = shutdown;
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { server::stopped(&mut shutdown).await })
                .await
        });
        Ok(Collector {
            addr,
            url: format!("http://{addr}"),
            state,
            stop,
            task: Some(task),
        })
    }

    /// The base URL, such as `http://127.0.0.1:8787` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The platform whose limits it reproduces.
    pub fn platform(&self) -> Platform {
        self.state.platform
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The stored messages, oldest first (the latest `max_events`).
    pub fn events(&self) -> Vec<ReceivedEvent> {
        self.state.store.all_events()
    }

    /// The stored messages selected by `query`, newest first, as `GET /api/events` answers.
    pub fn query(&self, query: &EventQuery) -> Vec<ReceivedEvent> {
        self.state
            .store
            .events(query)
            .into_iter()
            .map(|event| event.to_received())
            .collect()
    }

    /// Counts since start or the last [`clear`](Collector::clear).
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Forgets the stored messages and the counts.
    pub fn clear(&self) {
        self.state.clear();
    }

    /// Replaces the injected faults from the next request on.
    pub fn set_faults(&self, faults: Faults) {
        *self
            .state
            .faults
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = faults;
    }

    /// Every message stored from now on, as it is stored.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            feed: self.state.store.subscribe(),
        }
    }

    /// Waits until at least `count` messages were received since start (or the last clear).
    pub async fn wait_for_events(&self, count: u64, timeout: Duration) -> Result<(), WaitTimeout> {
        let mut received = self.state.store.watch_received();
        let reached = tokio::time::timeout(timeout, received.wait_for(|&n| n >= count))
            .await
            .is_ok_and(|waited| waited.is_ok());
        if reached {
            Ok(())
        } else {
            Err(WaitTimeout {
                expected: count,
                received: *received.borrow(),
                timeout,
            })
        }
    }

    /// Stops accepting, ends streams and hung requests, and waits for open requests to finish.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.stop.send_replace(true);
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
