//! The client: builder, the six calls, flush and shutdown.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::batch::{MAX_BATCH_BYTES, MAX_BATCH_MESSAGES};
use crate::clock::{Clock, ManualClock};
use crate::consent::{Consent, ConsentPolicy, ConsentSource, WithheldCallback, WithheldMessage};
use crate::context::Context;
use crate::encode::{keep_spare_buffer, Encoder, MAX_SLACK_BYTES};
use crate::error::{BuildError, ConfigProblem, EnqueueError};
use crate::event::{Event, PlanMetadata, Properties, Traits};
use crate::json::{write_json_str, EncodeError};
use crate::message::{CallOptions, CallType, Message, MessageId, MAX_MESSAGE_BYTES};
use crate::pii::{ClientPolicyScope, PiiPolicy};
use crate::queue::{FullPolicy, Queue, ENTRY_OVERHEAD};
use crate::retry::RetryPolicy;
use crate::spool::{FsyncPolicy, Recovered, Spool, SpoolError, SpoolOptions};
use crate::transport::{HttpTransport, Transport, WriteKey};
use crate::user::User;
use crate::validation::ValidationPolicy;
use crate::worker::{
    self, Command, Completion, DeliveryReport, FailedBatch, Metrics, Shared, WorkerConfig,
};

/// Room for one largest message with its spare capacity and queue entry.
const MIN_QUEUE_BYTES: usize = MAX_MESSAGE_BYTES + MAX_SLACK_BYTES + ENTRY_OVERHEAD;

/// The default cap on requests in flight: nothing above it gains at a 20 ms round trip and it was
/// the best fixed limit for a 100,000-event burst at 100 ms (BENCHMARKS.md); each batch in
/// delivery holds up to 1 MB (messages and body), so a higher default would cost memory.
const DEFAULT_MAX_IN_FLIGHT: usize = 32;

/// Segment's data regions (<https://segment.com/docs/guides/regional-segment/>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Region {
    /// Oregon: `https://api.segment.io`.
    #[default]
    Us,
    /// Dublin: `https://events.eu1.segmentapis.com`.
    Eu,
}

impl Region {
    /// The ingestion origin.
    pub fn endpoint(self) -> &'static str {
        match self {
            Region::Us => "https://api.segment.io",
            Region::Eu => "https://events.eu1.segmentapis.com",
        }
    }
}

/// Configures a [`Client`]. Created by [`Client::builder`].
///
/// ```
/// use std::time::Duration;
/// use trackplan_core::{Client, Region};
/// let client = Client::builder("WRITE_KEY")
///     .region(Region::Eu)
///     .flush_interval(Duration::from_secs(2))
///     .build()
///     .expect("valid settings");
/// ```
pub struct ClientBuilder {
    write_key: WriteKey,
    endpoint: Option<String>,
    region: Region,
    gzip: bool,
    flush_at: usize,
    flush_interval: Duration,
    max_in_flight: usize,
    adaptive_concurrency: bool,
    request_timeout: Duration,
    retry: RetryPolicy,
    queue_capacity_bytes: usize,
    full_policy: FullPolicy,
    on_failure: Option<worker::FailureCallback>,
    transport: Option<Arc<dyn Transport>>,
    context: Context,
    consent: Option<ConsentSource>,
    consent_policy: ConsentPolicy,
    on_consent_withheld: Option<WithheldCallback>,
    validation: ValidationPolicy,
    pii_policy: PiiPolicy,
    allow_insecure_http: bool,
    drop_timeout: Duration,
    spool_dir: Option<PathBuf>,
    spool_options: Option<SpoolOptions>,
    spool_fsync: Option<FsyncPolicy>,
    clock: Clock,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("write_key", &self.write_key)
            .field("endpoint", &self.resolved_endpoint())
            .field("gzip", &self.gzip)
            .field("flush_at", &self.flush_at)
            .field("flush_interval", &self.flush_interval)
            .field("max_in_flight", &self.max_in_flight)
            .field("adaptive_concurrency", &self.adaptive_concurrency)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("queue_capacity_bytes", &self.queue_capacity_bytes)
            .field("full_policy", &self.full_policy)
            .field("custom_transport", &self.transport.is_some())
            .field("validation", &self.validation)
            .field("pii_policy", &self.pii_policy)
            .field("context", &self.context)
            .field("consent_source", &self.consent.is_some())
            .field("consent_policy", &self.consent_policy)
            .field("spool_dir", &self.spool_dir)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    fn new(write_key: impl Into<String>) -> Self {
        ClientBuilder {
            write_key: WriteKey::new(write_key),
            endpoint: None,
            region: Region::Us,
            gzip: true,
            flush_at: 250,
            flush_interval: Duration::from_secs(5),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            adaptive_concurrency: true,
            request_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            queue_capacity_bytes: 64 << 20,
            full_policy: FullPolicy::Refuse,
            on_failure: None,
            transport: None,
            context: Context::new(),
            consent: None,
            consent_policy: ConsentPolicy::default(),
            on_consent_withheld: None,
            validation: ValidationPolicy::default(),
            pii_policy: PiiPolicy::Send,
            allow_insecure_http: false,
            drop_timeout: Duration::from_secs(5),
            spool_dir: None,
            spool_options: None,
            spool_fsync: None,
            clock: Clock::System,
        }
    }

    /// Send to this origin (such as `http://127.0.0.1:8787` or a proxy) instead of the
    /// region's; `/v1/batch` is appended. Overrides [`region`](Self::region).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The Segment region whose endpoint to use (default US).
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// gzip request bodies (default on).
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// Send a batch once this many messages wait (default 250, at most 2,500).
    ///
    /// This is a trigger, not a cap: a batch that starts takes everything queued by then, up to
    /// 2,500 messages and 500,000 bytes. Under light load batches hold about `flush_at` messages
    /// and leave quickly; when every request slot is busy (see
    /// [`max_in_flight`](Self::max_in_flight)) messages pile up and the next free slot sends them
    /// in one fuller request, so requests become fewer and fuller exactly when the network is
    /// the bottleneck.
    pub fn flush_at(mut self, messages: usize) -> Self {
        self.flush_at = messages;
        self
    }

    /// Send waiting messages once the oldest has waited this long (default 5 s).
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// For tests: read and wait on `clock` instead of the system clock, so that flush
    /// intervals, backoff, Retry-After pauses and shutdown deadlines pass when the test
    /// [advances](ManualClock::advance) it, not in real time. The request timeout stays real.
    ///
    /// ```
    /// use std::time::Duration;
    /// use trackplan_core::{testing::ManualClock, Client};
    /// let clock = ManualClock::new();
    /// let client = Client::builder("WRITE_KEY").clock(clock.clone()).build()?;
    /// // ... enqueue, then let the flush interval pass without waiting for it:
    /// clock.advance(Duration::from_secs(5));
    /// # Ok::<(), trackplan_core::BuildError>(())
    /// ```
    pub fn clock(mut self, clock: ManualClock) -> Self {
        self.clock = Clock::Manual(clock);
        self
    }

    /// The cap on batches in delivery at once, retries included (default 32, 1 to 64).
    ///
    /// The client adapts the limit below this cap to the server: it starts at 1 request; batches
    /// that wait for a slot go out together until the first overload or a sharp rise of the
    /// round trip, after which it grows by one per round trip while batches wait and the round
    /// trip holds; it halves on a 429, a 5xx, a timeout or a connection error, so a quiet service
    /// sends one request at a time and a backfill to a distant endpoint keeps as many full
    /// requests in flight as the server takes. [`Metrics::in_flight_limit`] shows the limit
    /// now; each change is logged at debug level. See
    /// [`adaptive_concurrency`](Self::adaptive_concurrency) to pin it.
    pub fn max_in_flight(mut self, requests: usize) -> Self {
        self.max_in_flight = requests;
        self
    }

    /// Adapt the in-flight limit to the server (default true); with false, `max_in_flight`
    /// batches are always allowed in delivery, whatever the server answers.
    pub fn adaptive_concurrency(mut self, adaptive: bool) -> Self {
        self.adaptive_concurrency = adaptive;
        self
    }

    /// Whole-request timeout per attempt (default 10 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Counted retries per batch (default 10, at most 100).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The whole retry policy (backoff base and cap, Retry-After bounds, total time).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Cap on the memory queued messages hold (default 64 MiB; at least 32,576).
    ///
    /// Batches being sent or retried have left the queue, so the client's message memory peaks at
    /// this cap plus `max_in_flight` + 1 batches (those in delivery and the next one, prepared
    /// while every slot is busy), each at most 500,000 bytes held twice, as messages and as the
    /// request body (and up to 2 MiB of delivered messages' buffers kept for reuse by the next
    /// calls).
    pub fn queue_capacity_bytes(mut self, bytes: usize) -> Self {
        self.queue_capacity_bytes = bytes;
        self
    }

    /// What a call does when the queue is full (default [`FullPolicy::Refuse`]).
    pub fn when_full(mut self, policy: FullPolicy) -> Self {
        self.full_policy = policy;
        self
    }

    /// Called on the worker thread with each batch given up on, with the messages and why.
    /// Without it, failures are logged at error level and counted in [`Metrics::failed`].
    /// Keep it short and never call `flush`/`shutdown` from it: delivery waits while it runs.
    pub fn on_failure(mut self, callback: impl Fn(FailedBatch) + Send + Sync + 'static) -> Self {
        self.on_failure = Some(Arc::new(callback));
        self
    }

    /// Deliver through this transport instead of HTTP (then `endpoint`, `region`, `gzip` and
    /// `allow_insecure_http` are not used).
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Context sent with every message, such as the app's name and version.
    ///
    /// Precedence, key by key: a key of the per-call context
    /// ([`CallOptions::context`], then [`CallOptions::context_json`]) replaces this context's
    /// value for that key whole (a call's `app` replaces the default `app`, not its fields);
    /// keys only this context sets are kept; `library` is always trackplan's. The consent a
    /// message carries is the call's, else the [`consent`](Self::consent) source's answer, else
    /// this context's. Messages enqueued untyped ([`Client::enqueue`]) get this context under
    /// their own, without asking the consent source.
    ///
    /// ```
    /// use trackplan_core::{context::App, Client, Context};
    /// let client = Client::builder("WRITE_KEY")
    ///     .context(Context::new().app(App { name: Some("shop".into()), ..App::default() }))
    ///     .build()?;
    /// # Ok::<(), trackplan_core::BuildError>(())
    /// ```
    pub fn context(mut self, context: Context) -> Self {
        self.context = context;
        self
    }

    /// Ask `source` for each message's consent: its answer is stamped on the message as
    /// `context.consent.categoryPreferences`, and an item that requires categories the answer
    /// does not grant (`#[event(consent = "Analytics")]`) is handled by the
    /// [`consent_policy`](Self::consent_policy). A consent set on the call's context overrides
    /// the source. Called on the caller's thread for every typed call: keep it quick (a cache
    /// lookup, not a database query).
    ///
    /// Without a source (and no consent on the default or per-call context) messages carry no
    /// consent, and items that require consent are withheld under the default policy.
    ///
    /// ```
    /// use trackplan_core::{Client, Consent, User};
    /// let client = Client::builder("WRITE_KEY")
    ///     .consent(|user: &User| match user.user_id() {
    ///         Some(_) => Consent::new().grant("Analytics").deny("Advertising"),
    ///         None => Consent::new(),
    ///     })
    ///     .build()?;
    /// # Ok::<(), trackplan_core::BuildError>(())
    /// ```
    pub fn consent(mut self, source: impl Fn(&User) -> Consent + Send + Sync + 'static) -> Self {
        self.consent = Some(Arc::new(source));
        self
    }

    /// What happens to an item whose consent categories the user has not granted (default
    /// [`ConsentPolicy::Drop`]: not sent).
    pub fn consent_policy(mut self, policy: ConsentPolicy) -> Self {
        self.consent_policy = policy;
        self
    }

    /// Called on the caller's thread with each message withheld for lack of consent (under
    /// [`ConsentPolicy::Drop`]), for logs or tests; [`Capture`](crate::testing::Capture)'s
    /// client records them this way.
    pub fn on_consent_withheld(
        mut self,
        callback: impl Fn(&WithheldMessage) + Send + Sync + 'static,
    ) -> Self {
        self.on_consent_withheld = Some(Arc::new(callback));
        self
    }

    /// What to do with tracking-plan violations (default: warn via `tracing` in debug builds,
    /// off in release builds).
    pub fn validation(mut self, policy: ValidationPolicy) -> Self {
        self.validation = policy;
        self
    }

    /// What to do with properties marked as personal data (`#[property(pii)]`, the plan's
    /// `"x-pii"`) that do not fix their own policy (default [`PiiPolicy::Send`]: sent as they
    /// are).
    pub fn pii_policy(mut self, policy: PiiPolicy) -> Self {
        self.pii_policy = policy;
        self
    }

    /// Allow plain `http://` to hosts other than loopback (default false: the write key and the
    /// events would cross the network unencrypted).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// How long dropping the last handle waits for delivery outside an async runtime (default
    /// 5 s; inside a runtime drop never blocks and delivery continues in the background).
    pub fn drop_timeout(mut self, timeout: Duration) -> Self {
        self.drop_timeout = timeout;
        self
    }

    /// Keep a crash-safe spool in `dir` (created if missing): every message is appended to it
    /// before the call returns, acknowledged once the server took it (or refused it for good),
    /// and whatever is not acknowledged — messages pending at a crash, or out of retries while
    /// the server was unreachable — is replayed, with its original `messageId`, by the next
    /// client built on the same directory. Delivery is at least once; Segment drops duplicates
    /// by `messageId`.
    ///
    /// The spool is capped at [`queue_capacity_bytes`](Self::queue_capacity_bytes) unless
    /// [`spool_options`](Self::spool_options) says otherwise, and a full spool is handled by
    /// the same [`FullPolicy`] as the queue ([`EnqueueError::SpoolFull`]). Records are fsynced
    /// every 100 ms by default ([`spool_fsync`](Self::spool_fsync)). One client per directory:
    /// `build()` fails while another client or process holds it; it is released when the
    /// client is shut down (`shutdown_blocking`, or `shutdown` and the worker's exit) and dropped.
    ///
    /// ```no_run
    /// use trackplan_core::Client;
    /// let client = Client::builder("WRITE_KEY")
    ///     .spool_dir("/var/lib/shop/trackplan-spool")
    ///     .build()?;
    /// # Ok::<(), trackplan_core::BuildError>(())
    /// ```
    pub fn spool_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.spool_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// When spooled messages are fsynced (default every 100 ms: a crash of the process loses
    /// nothing, a power cut at most the last interval). [`FsyncPolicy::Always`] makes every
    /// call wait for its fsync (shared by concurrent callers), so nothing whose call returned
    /// is lost even to a power cut. Used only with [`spool_dir`](Self::spool_dir); overrides
    /// the policy in [`spool_options`](Self::spool_options).
    ///
    /// ```
    /// use trackplan_core::{spool::FsyncPolicy, Client};
    /// let dir = tempfile::tempdir()?;
    /// let client = Client::builder("WRITE_KEY")
    ///     .spool_dir(dir.path())
    ///     .spool_fsync(FsyncPolicy::Always)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spool_fsync(mut self, policy: FsyncPolicy) -> Self {
        self.spool_fsync = Some(policy);
        self
    }

    /// Every spool setting: fsync policy, size cap (replacing the default of
    /// [`queue_capacity_bytes`](Self::queue_capacity_bytes)) and segment size. Used only with
    /// [`spool_dir`](Self::spool_dir).
    ///
    /// ```
    /// use trackplan_core::{spool::SpoolOptions, Client};
    /// let dir = tempfile::tempdir()?;
    /// let client = Client::builder("WRITE_KEY")
    ///     .spool_dir(dir.path())
    ///     .spool_options(SpoolOptions::default().max_bytes(256 << 20))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spool_options(mut self, options: SpoolOptions) -> Self {
        self.spool_options = Some(options);
        self
    }

    /// Open the spool, if one is configured: it and what the last client left in it.
    fn open_spool(&self) -> Result<Option<(Spool, Recovered)>, ConfigProblem> {
        let Some(dir) = &self.spool_dir else {
            return Ok(None);
        };
        let mut options = self
            .spool_options
            .clone()
            .unwrap_or_else(|| SpoolOptions::default().max_bytes(self.queue_capacity_bytes as u64));
        if let Some(policy) = self.spool_fsync {
            options = options.fsync(policy);
        }
        match Spool::open(dir, options) {
            Ok(opened) => Ok(Some(opened)),
            Err(locked @ SpoolError::Locked { .. }) => {
                Err(ConfigProblem::Spool(locked.to_string()))
            }
            Err(error) => Err(ConfigProblem::Spool(format!(
                "cannot open the spool directory {}: {error}",
                dir.display()
            ))),
        }
    }

    fn resolved_endpoint(&self) -> &str {
        self.endpoint.as_deref().unwrap_or(self.region.endpoint())
    }

    /// Check every setting and start the worker.
    pub fn build(self) -> Result<Client, BuildError> {
        let mut problems = Vec::new();
        if self.write_key.expose().is_empty() {
            problems.push(ConfigProblem::EmptyWriteKey);
        }
        let mut range = |ok: bool, setting: &'static str, value: String, allowed: &'static str| {
            if !ok {
                problems.push(ConfigProblem::OutOfRange {
                    setting,
                    value,
                    allowed,
                });
            }
        };
        range(
            (1..=MAX_BATCH_MESSAGES).contains(&self.flush_at),
            "flush_at",
            self.flush_at.to_string(),
            "1 to 2,500 messages",
        );
        range(
            !self.flush_interval.is_zero(),
            "flush_interval",
            format!("{:?}", self.flush_interval),
            "more than zero",
        );
        range(
            (1..=64).contains(&self.max_in_flight),
            "max_in_flight",
            self.max_in_flight.to_string(),
            "1 to 64",
        );
        range(
            !self.request_timeout.is_zero(),
            "request_timeout",
            format!("{:?}", self.request_timeout),
            "more than zero",
        );
        range(
            self.retry.max_retries <= 100,
            "max_retries",
            self.retry.max_retries.to_string(),
            "0 to 100",
        );
        range(
            self.queue_capacity_bytes >= MIN_QUEUE_BYTES,
            "queue_capacity_bytes",
            self.queue_capacity_bytes.to_string(),
            "at least 32,576 (room for one largest message)",
        );
        let encoder = Encoder::new(&self.context, self.clock.clone())
            .map_err(|e| {
                problems.push(ConfigProblem::OutOfRange {
                    setting: "context",
                    value: e.to_string(),
                    allowed: "a context that encodes as JSON",
                })
            })
            .ok();

        let transport: Option<Arc<dyn Transport>> = match &self.transport {
            Some(transport) => Some(Arc::clone(transport)),
            None => match HttpTransport::with_options(
                self.resolved_endpoint(),
                self.gzip,
                self.allow_insecure_http,
                self.request_timeout,
            ) {
                Ok(http) => Some(Arc::new(http)),
                Err(problem) => {
                    problems.push(problem);
                    None
                }
            },
        };
        let spool = self.open_spool().unwrap_or_else(|problem| {
            problems.push(problem);
            None
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ConfigProblem::Http(format!("cannot start the worker's runtime: {e}")));
        let (transport, runtime, encoder) = match (transport, runtime, encoder) {
            (Some(transport), Ok(runtime), Some(encoder)) if problems.is_empty() => {
                (transport, runtime, encoder)
            }
            (_, runtime, _) => {
                problems.extend(runtime.err());
                return Err(BuildError::new(problems));
            }
        };
        let mut queue = Queue::new(self.queue_capacity_bytes, self.flush_at, MAX_BATCH_BYTES)
            .with_clock(self.clock.clone());
        if let Some((spool, recovered)) = spool {
            queue = queue.with_spool(spool);
            replay(&queue, recovered);
        }
        let shared = Arc::new(Shared::new(queue));
        let (commands, receiver) = mpsc::unbounded_channel();
        let config = WorkerConfig {
            write_key: self.write_key,
            flush_at: self.flush_at,
            flush_interval: self.flush_interval,
            max_in_flight: self.max_in_flight,
            adaptive_concurrency: self.adaptive_concurrency,
            request_timeout: self.request_timeout,
            retry: self.retry,
            max_batch_bytes: MAX_BATCH_BYTES,
            on_failure: self.on_failure,
            clock: self.clock.clone(),
        };
        let handle = worker::spawn(runtime, Arc::clone(&shared), transport, config, receiver)
            .map_err(|e| {
                BuildError::new(vec![ConfigProblem::Http(format!(
                    "cannot start the worker thread: {e}"
                ))])
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                shared,
                commands,
                encoder,
                default_consent: self.context.consent_ref().cloned(),
                consent: self.consent,
                consent_policy: self.consent_policy,
                on_consent_withheld: self.on_consent_withheld,
                validation: self.validation,
                pii_policy: self.pii_policy,
                full_policy: self.full_policy,
                drop_timeout: self.drop_timeout,
                clock: self.clock,
                worker: Mutex::new(Some(handle)),
            }),
        })
    }
}

/// Sends Segment messages in the background. Cheap to clone; all clones share one queue and
/// worker. Every call is a non-blocking enqueue (unless [`FullPolicy::Block`] is chosen) that
/// works from async code and plain threads alike.
///
/// ```no_run
/// use trackplan_core::{Client, RawEvent, User};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder("WRITE_KEY").build()?;
/// client.track(&User::id("u1"), &RawEvent::new("Order Completed", serde_json::json!({ "total": 9.5 })))?;
/// let report = client.shutdown(std::time::Duration::from_secs(10)).await;
/// assert!(report.is_complete());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
    encoder: Encoder,
    /// The default context's consent, the last resort of [`Client::consent_for`].
    default_consent: Option<Consent>,
    consent: Option<ConsentSource>,
    consent_policy: ConsentPolicy,
    on_consent_withheld: Option<WithheldCallback>,
    validation: ValidationPolicy,
    pii_policy: PiiPolicy,
    full_policy: FullPolicy,
    drop_timeout: Duration,
    clock: Clock,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Start configuring a client for the source with this write key.
    pub fn builder(write_key: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(write_key)
    }

    /// A client from `SEGMENT_WRITE_KEY` (required) and `SEGMENT_ENDPOINT` (optional).
    pub fn from_env() -> Result<Client, BuildError> {
        let Ok(key) = std::env::var("SEGMENT_WRITE_KEY") else {
            return Err(BuildError::new(vec![ConfigProblem::MissingEnv {
                variable: "SEGMENT_WRITE_KEY",
            }]));
        };
        let mut builder = Client::builder(key);
        if let Ok(endpoint) = std::env::var("SEGMENT_ENDPOINT") {
            builder = builder.endpoint(endpoint);
        }
        builder.build()
    }

    /// Track `event` for `user`.
    pub fn track<E: Event + ?Sized>(
        &self,
        user: &User,
        event: &E,
    ) -> Result<MessageId, EnqueueError> {
        self.track_inner(user, event, None)
    }

    /// [`track`](Self::track) with per-call context, integrations, timestamp or messageId.
    pub fn track_with<E: Event + ?Sized>(
        &self,
        user: &User,
        event: &E,
        options: &CallOptions,
    ) -> Result<MessageId, EnqueueError> {
        self.track_inner(user, event, Some(options))
    }

    fn track_inner<E: Event + ?Sized>(
        &self,
        user: &User,
        event: &E,
        options: Option<&CallOptions>,
    ) -> Result<MessageId, EnqueueError> {
        let name = event.event_name();
        if name.is_empty() {
            return Err(EnqueueError::MissingField {
                call: CallType::Track,
                field: "event",
            });
        }
        self.inner
            .validation
            .check(|| format!("track {name:?}"), || event.violations())?;
        let item = Item {
            name,
            plan: event.plan_metadata(),
            required_consent: event.required_consent(),
        };
        self.send(CallType::Track, user, options, item, |out| {
            out.extend_from_slice(b"\"event\":");
            write_json_str(out, name);
            out.extend_from_slice(b",\"properties\":");
            event.write_properties(out)?;
            out.push(b',');
            Ok(())
        })
    }

    /// Identify `user`, with traits.
    pub fn identify<T: Traits + ?Sized>(
        &self,
        user: &User,
        traits: &T,
    ) -> Result<MessageId, EnqueueError> {
        self.identify_inner(user, traits, None)
    }

    /// [`identify`](Self::identify) with per-call options.
    pub fn identify_with<T: Traits + ?Sized>(
        &self,
        user: &User,
        traits: &T,
        options: &CallOptions,
    ) -> Result<MessageId, EnqueueError> {
        self.identify_inner(user, traits, Some(options))
    }

    fn identify_inner<T: Traits + ?Sized>(
        &self,
        user: &User,
        traits: &T,
        options: Option<&CallOptions>,
    ) -> Result<MessageId, EnqueueError> {
        self.inner
            .validation
            .check(|| "identify".to_owned(), || traits.violations())?;
        self.send(
            CallType::Identify,
            user,
            options,
            Item::traits(traits),
            |out| write_traits(out, traits),
        )
    }

    /// Put `user` in the group `group_id`, with the group's traits.
    pub fn group<T: Traits + ?Sized>(
        &self,
        user: &User,
        group_id: &str,
        traits: &T,
    ) -> Result<MessageId, EnqueueError> {
        self.group_inner(user, group_id, traits, None)
    }

    /// [`group`](Self::group) with per-call options.
    pub fn group_with<T: Traits + ?Sized>(
        &self,
        user: &User,
        group_id: &str,
        traits: &T,
        options: &CallOptions,
    ) -> Result<MessageId, EnqueueError> {
        self.group_inner(user, group_id, traits, Some(options))
    }

    fn group_inner<T: Traits + ?Sized>(
        &self,
        user: &User,
        group_id: &str,
        traits: &T,
        options: Option<&CallOptions>,
    ) -> Result<MessageId, EnqueueError> {
        if group_id.is_empty() {
            return Err(EnqueueError::MissingField {
                call: CallType::Group,
                field: "groupId",
            });
        }
        self.inner
            .validation
            .check(|| format!("group {group_id:?}"), || traits.violations())?;
        self.send(
            CallType::Group,
            user,
            options,
            Item::traits(traits),
            |out| {
                out.extend_from_slice(b"\"groupId\":");
                write_json_str(out, group_id);
                out.push(b',');
                write_traits(out, traits)
            },
        )
    }

    /// Record a page view. An empty `name` is left out.
    pub fn page<P: Properties + ?Sized>(
        &self,
        user: &User,
        name: &str,
        properties: &P,
    ) -> Result<MessageId, EnqueueError> {
        self.view(CallType::Page, user, name, properties, None)
    }

    /// [`page`](Self::page) with per-call options.
    pub fn page_with<P: Properties + ?Sized>(
        &self,
        user: &User,
        name: &str,
        properties: &P,
        options: &CallOptions,
    ) -> Result<MessageId, EnqueueError> {
        self.view(CallType::Page, user, name, properties, Some(options))
    }

    /// Record a screen view in an app. An empty `name` is left out.
    pub fn screen<P: Properties + ?Sized>(
        &self,
        user: &User,
        name: &str,
        properties: &P,
    ) -> Result<MessageId, EnqueueError> {
        self.view(CallType::Screen, user, name, properties, None)
    }

    /// [`screen`](Self::screen) with per-call options.
    pub fn screen_with<P: Properties + ?Sized>(
        &self,
        user: &User,
        name: &str,
        properties: &P,
        options: &CallOptions,
    ) -> Result<MessageId, EnqueueError> {
        self.view(CallType::Screen, user, name, properties, Some(options))
    }

    fn view<P: Properties + ?Sized>(
        &self,
        call: CallType,
        user: &User,
        name: &str,
        properties: &P,
        options: Option<&CallOptions>,
    ) -> Result<MessageId, EnqueueError> {
        self.inner
            .validation
            .check(|| format!("{call} {name:?}"), || properties.violations())?;
        let item = Item {
            name,
            plan: properties.plan_metadata(),
            required_consent: properties.required_consent(),
        };
        self.send(call, user, options, item, |out| {
            if !name.is_empty() {
                out.extend_from_slice(b"\"name\":");
                write_json_str(out, name);
                out.push(b',');
            }
            out.extend_from_slice(b"\"properties\":");
            properties.write_properties(out)?;
            out.push(b',');
            Ok(())
        })
    }

    /// Tie `user` (which must have a user id) to the identity it had before, `previous_id`.
    pub fn alias(&self, user: &User, previous_id: &str) -> Result<MessageId, EnqueueError> {
        self.alias_inner(user, previous_id, None)
    }

    /// [`alias`](Self::alias) with per-call options.
    pub fn alias_with(
        &self,
        user: &User,
        previous_id: &str,
        options: &CallOptions,
    ) -> Result<MessageId, EnqueueError> {
        self.alias_inner(user, previous_id, Some(options))
    }

    fn alias_inner(
        &self,
        user: &User,
        previous_id: &str,
        options: Option<&CallOptions>,
    ) -> Result<MessageId, EnqueueError> {
        if previous_id.is_empty() {
            return Err(EnqueueError::MissingField {
                call: CallType::Alias,
                field: "previousId",
            });
        }
        if user.user_id().is_none_or(str::is_empty) {
            return Err(EnqueueError::MissingField {
                call: CallType::Alias,
                field: "userId",
            });
        }
        let item = Item {
            name: "",
            plan: None,
            required_consent: &[],
        };
        self.send(CallType::Alias, user, options, item, |out| {
            out.extend_from_slice(b"\"previousId\":");
            write_json_str(out, previous_id);
            out.push(b',');
            Ok(())
        })
    }

    /// Enqueue an already-built wire message (what `trackplan send` uses): checks `type` and the
    /// call's required fields, keeps a present `messageId`, `timestamp` and `context.library`,
    /// fills missing ones and adds the default context.
    ///
    /// ```
    /// # let client = trackplan_core::testing::Capture::new().client();
    /// let id = client.enqueue(serde_json::json!({ "type": "track", "event": "Signed Up", "userId": "u1" }))?;
    /// # Ok::<(), trackplan_core::EnqueueError>(())
    /// ```
    pub fn enqueue(&self, message: Value) -> Result<MessageId, EnqueueError> {
        self.ensure_open()?;
        let (message, id) = self.inner.encoder.complete(message)?;
        self.push(message)?;
        Ok(id)
    }

    fn send(
        &self,
        call: CallType,
        user: &User,
        options: Option<&CallOptions>,
        item: Item<'_>,
        fields: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<MessageId, EnqueueError> {
        self.ensure_open()?;
        let source_answer;
        let consent = match options
            .and_then(|o| o.context.as_ref())
            .and_then(Context::consent_ref)
        {
            Some(call_consent) => Some(call_consent),
            None => match &self.inner.consent {
                Some(source) => {
                    source_answer = source(user);
                    Some(&source_answer)
                }
                None => self.inner.default_consent.as_ref(),
            },
        };
        self.check_consent(call, user, &item, consent)?;
        let (message, id) = {
            let _pii = ClientPolicyScope::enter(self.inner.pii_policy);
            self.inner
                .encoder
                .encode(call, user, options, consent, item.plan, fields)?
        };
        self.push(message)?;
        Ok(id)
    }

    /// Under [`ConsentPolicy::Drop`], refuse an item whose required categories `consent` does
    /// not grant (no consent at all grants nothing): count it and tell the callback.
    fn check_consent(
        &self,
        call: CallType,
        user: &User,
        item: &Item<'_>,
        consent: Option<&Consent>,
    ) -> Result<(), EnqueueError> {
        if item.required_consent.is_empty() || self.inner.consent_policy != ConsentPolicy::Drop {
            return Ok(());
        }
        let missing = match consent {
            Some(consent) => consent.missing(item.required_consent),
            None => item.required_consent.to_vec(),
        };
        if missing.is_empty() {
            return Ok(());
        }
        self.inner.shared.count_consent_withheld();
        let withheld = WithheldMessage {
            call,
            name: item.name.to_owned(),
            user: user.clone(),
            missing,
        };
        if let Some(callback) = &self.inner.on_consent_withheld {
            callback(&withheld);
        }
        Err(EnqueueError::ConsentWithheld {
            call,
            name: withheld.name,
            missing: withheld.missing,
        })
    }

    /// Refuse before encoding when shut down (the push checks again under the lock).
    fn ensure_open(&self) -> Result<(), EnqueueError> {
        if self.inner.shared.queue.is_closed() {
            return Err(EnqueueError::ShutDown);
        }
        Ok(())
    }

    fn push(&self, message: Message) -> Result<(), EnqueueError> {
        let pushed = self
            .inner
            .shared
            .queue
            .push(message, self.inner.full_policy)?;
        if pushed.wake_worker {
            self.inner.shared.wake.notify_one();
        }
        if let Some(buffer) = pushed.spare {
            keep_spare_buffer(buffer);
        }
        Ok(())
    }

    /// Deliver everything enqueued before this call; the report says what could not be
    /// delivered (those messages also went to the failure callback). Retries included, so this
    /// can take as long as the retry policy allows.
    pub async fn flush(&self) -> DeliveryReport {
        let (tx, rx) = oneshot::channel();
        if self.request_flush(Completion::Async(tx)) {
            rx.await.unwrap_or_default()
        } else {
            DeliveryReport::default()
        }
    }

    /// [`flush`](Self::flush) for plain threads: blocks until done. Do not call it on an
    /// async executor thread.
    pub fn flush_blocking(&self) -> DeliveryReport {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        if self.request_flush(Completion::Blocking(tx)) {
            rx.recv().unwrap_or_default()
        } else {
            DeliveryReport::default()
        }
    }

    fn request_flush(&self, done: Completion) -> bool {
        let up_to = self.inner.shared.queue.next_seq();
        let sent = self
            .inner
            .commands
            .send(Command::Flush { up_to, done })
            .is_ok();
        self.inner.shared.wake.notify_one();
        sent
    }

    /// Refuse new messages, deliver everything already enqueued, and stop the worker. What is
    /// not delivered within `timeout` is reported (and passed to the failure callback). With a
    /// spool, undelivered messages also stay in it ([`DeliveryReport::left_in_spool`] says how
    /// many) and the next client on the directory sends them; the directory is released once
    /// the last handle is dropped.
    pub async fn shutdown(&self, timeout: Duration) -> DeliveryReport {
        let (tx, rx) = oneshot::channel();
        if self
            .inner
            .request_shutdown(timeout, Some(Completion::Async(tx)))
        {
            rx.await.unwrap_or_default()
        } else {
            DeliveryReport::default()
        }
    }

    /// [`shutdown`](Self::shutdown) for plain threads.
    pub fn shutdown_blocking(&self, timeout: Duration) -> DeliveryReport {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let report = if self
            .inner
            .request_shutdown(timeout, Some(Completion::Blocking(tx)))
        {
            rx.recv().unwrap_or_default()
        } else {
            DeliveryReport::default()
        };
        self.inner.join_worker();
        report
    }

    /// Delivered, retried, failed and refused counts so far.
    pub fn metrics(&self) -> Metrics {
        self.inner.shared.metrics()
    }
}

impl Inner {
    /// Close the queue and ask the worker to finish. False when the worker is already gone.
    fn request_shutdown(&self, timeout: Duration, done: Option<Completion>) -> bool {
        let up_to = self.shared.queue.close();
        let deadline = self.clock.now() + timeout;
        let sent = self
            .commands
            .send(Command::Shutdown {
                up_to,
                deadline,
                done,
            })
            .is_ok();
        self.shared.wake.notify_one();
        sent
    }

    fn join_worker(&self) {
        let handle = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = handle {
            if handle.join().is_err() {
                tracing::error!("trackplan worker thread panicked");
            }
        }
    }
}

impl Drop for Inner {
    /// Best-effort delivery of what is queued: outside an async runtime, wait up to
    /// `drop_timeout`; inside one, never block (the worker finishes in the background).
    fn drop(&mut self) {
        if self.shared.queue.is_closed() && self.worker.lock().map_or(true, |w| w.is_none()) {
            return;
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            self.request_shutdown(self.drop_timeout, None);
            return;
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        if self.request_shutdown(self.drop_timeout, Some(Completion::Blocking(tx))) {
            // The worker gives up at the deadline; the margin covers its final bookkeeping.
            if rx
                .recv_timeout(self.drop_timeout + Duration::from_secs(1))
                .is_ok()
            {
                self.join_worker();
            }
        }
    }
}

/// Queue what the last client left in the spool, before any new message.
fn replay(queue: &Queue, recovered: Recovered) {
    if recovered.corrupt_records > 0 {
        tracing::warn!(
            regions = recovered.corrupt_records,
            bytes = recovered.corrupt_bytes,
            "trackplan spool had damaged records (a crash mid-write, or disk damage); they were skipped"
        );
        queue.note_spool_corruption(recovered.corrupt_records);
    }
    let replayed = queue.replay(recovered.records);
    if replayed > 0 {
        tracing::info!(
            messages = replayed,
            "trackplan replaying messages the last client left in the spool"
        );
    }
}

/// What the client needs to know about a call's payload besides its JSON.
struct Item<'a> {
    /// The event or page/screen name, for a withheld message's report.
    name: &'a str,
    plan: Option<PlanMetadata>,
    required_consent: &'static [&'static str],
}

impl Item<'_> {
    fn traits<T: Traits + ?Sized>(traits: &T) -> Item<'static> {
        Item {
            name: "",
            plan: traits.plan_metadata(),
            required_consent: traits.required_consent(),
        }
    }
}

fn write_traits<T: Traits + ?Sized>(out: &mut Vec<u8>, traits: &T) -> Result<(), EncodeError> {
    out.extend_from_slice(b"\"traits\":");
    traits.write_traits(out)?;
    out.push(b',');
    Ok(())
}
