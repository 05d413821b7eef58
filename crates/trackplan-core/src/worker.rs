//! The background worker: one std::thread running a current-thread tokio runtime, so callers
//! need no runtime of their own. It cuts batches from the queue (by count, bytes and age), keeps
//! as many in delivery as the [`ConcurrencyController`] allows (at most `max_in_flight`), has the
//! next full body ready while every slot is busy, retries them by [`retry::decide`], and answers
//! flush and shutdown requests once every message they cover is delivered or reported.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::batch::{BatchSizer, Envelope, MAX_BATCH_MESSAGES};
use crate::clock::Clock;
use crate::concurrency::{ConcurrencyController, LimitChange, Response};
use crate::json::format_timestamp;
use crate::message::Message;
use crate::queue::Queue;
use crate::retry::{self, FailureReason, Outcome, RetryPolicy, RetryState, Step};
use crate::spool::RecordId;
use crate::transport::{BatchRequest, Transport, TransportErrorKind, WriteKey};

/// Messages that were not delivered, and why.
#[derive(Debug, Clone)]
pub struct FailedBatch {
    pub reason: FailureReason,
    /// The messages, exactly as they were (or would have been) sent.
    pub messages: Vec<Message>,
}

/// What a flush or shutdown achieved for the messages enqueued before it.
#[derive(Debug, Clone, Default)]
pub struct DeliveryReport {
    /// Messages covered by the request that the server accepted while it waited (batches
    /// already delivered before the call are not counted again).
    pub delivered: usize,
    /// Messages refused by the server, out of retries, or still pending at the shutdown
    /// deadline; each also went to the failure callback.
    pub failed: Vec<FailedBatch>,
    /// With a spool ([`ClientBuilder::spool_dir`](crate::ClientBuilder::spool_dir)), set by
    /// shutdown: how many messages are not delivered and stay in the spool, to be replayed by
    /// the next client on the same directory. `None` without a spool.
    pub left_in_spool: Option<usize>,
}

impl DeliveryReport {
    /// True when every covered message was delivered.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }

    /// How many messages were not delivered.
    pub fn failed_count(&self) -> usize {
        self.failed.iter().map(|f| f.messages.len()).sum()
    }

    /// The messages not delivered, whatever the reason.
    pub fn undelivered(&self) -> impl Iterator<Item = &Message> {
        self.failed.iter().flat_map(|f| f.messages.iter())
    }
}

/// Counts readable from [`Client::metrics`](crate::Client::metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Messages the server accepted.
    pub delivered: u64,
    /// Retry requests sent (each resends a whole batch).
    pub retried: u64,
    /// Messages given up on and handed to the failure callback.
    pub failed: u64,
    /// Messages refused at enqueue because the queue (or the spool) was full.
    pub refused: u64,
    /// Messages not sent because the user had not granted their consent categories
    /// ([`ConsentPolicy::Drop`](crate::ConsentPolicy::Drop)).
    pub consent_withheld: u64,
    /// Messages replayed from the spool at start (not acknowledged by the previous client).
    pub replayed: u64,
    /// Damaged spool regions (a torn tail after a crash, flipped bits) skipped at start; each
    /// is also logged at warn level.
    pub spool_corrupt: u64,
    /// Messages waiting in the queue now.
    pub queued: u64,
    /// Memory the queued messages hold now, the figure the queue's byte cap
    /// ([`queue_capacity_bytes`](crate::ClientBuilder::queue_capacity_bytes)) bounds.
    pub queued_bytes: u64,
    /// Messages in batches being sent or retried now, or prepared to go next (they have left
    /// the queue).
    pub in_flight: u64,
    /// Batches allowed in delivery at once now: adapted to the server between 1 and
    /// [`max_in_flight`](crate::ClientBuilder::max_in_flight).
    pub in_flight_limit: u64,
    /// The smoothed round trip of accepted requests (gzip included), once one was measured.
    pub round_trip: Option<Duration>,
}

#[derive(Default)]
pub(crate) struct Counters {
    delivered: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    consent_withheld: AtomicU64,
    in_flight: AtomicU64,
    in_flight_limit: AtomicU64,
    /// Microseconds; 0 until a round trip is measured.
    round_trip_us: AtomicU64,
}

/// State shared by the client handles and the worker.
pub(crate) struct Shared {
    pub queue: Queue,
    pub wake: Notify,
    counters: Counters,
}

impl Shared {
    pub(crate) fn new(queue: Queue) -> Shared {
        Shared {
            queue,
            wake: Notify::new(),
            counters: Counters::default(),
        }
    }

    /// Count a message withheld for lack of consent.
    pub(crate) fn count_consent_withheld(&self) {
        self.counters
            .consent_withheld
            .fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn metrics(&self) -> Metrics {
        let spool = self.queue.spool_status();
        let (queued, queued_bytes) = self.queue.depth();
        Metrics {
            delivered: self.counters.delivered.load(Ordering::Relaxed),
            retried: self.counters.retried.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
            refused: self.queue.refused(),
            consent_withheld: self.counters.consent_withheld.load(Ordering::Relaxed),
            replayed: spool.as_ref().map_or(0, |s| s.replayed),
            spool_corrupt: spool.map_or(0, |s| s.corrupt_records),
            queued: queued as u64,
            queued_bytes: queued_bytes as u64,
            in_flight: self.counters.in_flight.load(Ordering::Relaxed),
            in_flight_limit: self.counters.in_flight_limit.load(Ordering::Relaxed),
            round_trip: match self.counters.round_trip_us.load(Ordering::Relaxed) {
                0 => None,
                us => Some(Duration::from_micros(us)),
            },
        }
    }
}

/// Where a flush or shutdown report goes: an async waiter or a blocked thread.
pub(crate) enum Completion {
    Async(oneshot::Sender<DeliveryReport>),
    Blocking(std::sync::mpsc::SyncSender<DeliveryReport>),
}

impl Completion {
    fn send(self, report: DeliveryReport) {
        // The waiter may have given up (a dropped future, a timed-out Drop): nothing to do then.
        match self {
            Completion::Async(tx) => drop(tx.send(report)),
            Completion::Blocking(tx) => drop(tx.send(report)),
        }
    }
}

pub(crate) enum Command {
    /// Report once every message with a sequence number below `up_to` is settled.
    Flush { up_to: u64, done: Completion },
    /// The queue is closed: deliver what is left, give up at `deadline`, then stop.
    Shutdown {
        up_to: u64,
        deadline: Instant,
        done: Option<Completion>,
    },
}

pub(crate) type FailureCallback = Arc<dyn Fn(FailedBatch) + Send + Sync>;

pub(crate) struct WorkerConfig {
    pub write_key: WriteKey,
    pub flush_at: usize,
    pub flush_interval: Duration,
    pub max_in_flight: usize,
    /// Adapt the in-flight limit (else it stays at `max_in_flight`).
    pub adaptive_concurrency: bool,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    pub max_batch_bytes: usize,
    pub on_failure: Option<FailureCallback>,
    pub clock: Clock,
}

/// Start the worker thread on `runtime`.
pub(crate) fn spawn(
    runtime: tokio::runtime::Runtime,
    shared: Arc<Shared>,
    transport: Arc<dyn Transport>,
    config: WorkerConfig,
    commands: mpsc::UnboundedReceiver<Command>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let concurrency = if config.adaptive_concurrency {
        ConcurrencyController::adaptive(config.max_in_flight)
    } else {
        ConcurrencyController::fixed(config.max_in_flight)
    };
    // Published before the thread starts, so metrics never show a limit of 0.
    shared
        .counters
        .in_flight_limit
        .store(concurrency.limit() as u64, Ordering::Relaxed);
    std::thread::Builder::new()
        .name("trackplan-worker".to_owned())
        .spawn(move || {
            let envelope = Envelope::new(&config.write_key);
            let worker = Worker {
                delivery: Rc::new(Delivery {
                    shared: Arc::clone(&shared),
                    transport,
                    envelope,
                    write_key: config.write_key.clone(),
                    retry: config.retry.clone(),
                    request_timeout: config.request_timeout,
                    clock: config.clock.clone(),
                    paused_until: Cell::new(None),
                    concurrency: RefCell::new(concurrency),
                }),
                shared,
                config,
                commands,
                commands_open: true,
                waiters: Vec::new(),
                in_flight: BTreeMap::new(),
                next: None,
                shutdown_deadline: None,
            };
            runtime.block_on(worker.run());
        })
}

/// A batch being delivered: messages with sequence numbers `first_seq..first_seq + len`.
struct Batch {
    first_seq: u64,
    messages: Vec<Message>,
    /// The messages' spool records (empty without a spool).
    records: Vec<RecordId>,
}

/// A batch cut from the queue with its body, built once and stamped with `sentAt` per attempt.
struct Prepared {
    batch: Rc<Batch>,
    body: Vec<u8>,
}

/// A flush or shutdown waiting for the messages below `up_to`.
struct Waiter {
    up_to: u64,
    report: DeliveryReport,
    done: Option<Completion>,
    /// A shutdown's waiter: its report says what is left in the spool.
    shutdown: bool,
}

type DeliveryFuture = Pin<Box<dyn Future<Output = (u64, Result<(), FailureReason>)>>>;

struct Worker {
    shared: Arc<Shared>,
    delivery: Rc<Delivery>,
    config: WorkerConfig,
    commands: mpsc::UnboundedReceiver<Command>,
    commands_open: bool,
    waiters: Vec<Waiter>,
    /// Batches in delivery, by first sequence number.
    in_flight: BTreeMap<u64, Rc<Batch>>,
    /// The next batch, cut full while every slot was busy, so it leaves the moment one frees.
    next: Option<Prepared>,
    shutdown_deadline: Option<Instant>,
}

impl Worker {
    async fn run(mut self) {
        let mut deliveries: FuturesUnordered<DeliveryFuture> = FuturesUnordered::new();
        loop {
            let now = self.config.clock.now();
            self.start_ready_batches(now, &mut deliveries);
            self.answer_settled_waiters();
            if self.shutdown_deadline.is_some()
                && self.in_flight.is_empty()
                && self.next.is_none()
                && self.shared.queue.peek().len == 0
            {
                break;
            }
            let timer = self.next_timer(now);
            tokio::select! {
                _ = self.shared.wake.notified() => {}
                command = self.commands.recv(), if self.commands_open => self.handle(command),
                Some((first_seq, result)) = deliveries.next(), if !deliveries.is_empty() => {
                    self.settle(first_seq, result);
                }
                _ = self.config.clock.sleep_until(timer.unwrap_or(now)), if timer.is_some() => {}
            }
            if self
                .shutdown_deadline
                .is_some_and(|deadline| self.config.clock.now() >= deadline)
            {
                drop(deliveries);
                self.abandon_everything();
                break;
            }
        }
        for waiter in std::mem::take(&mut self.waiters) {
            self.answer(waiter);
        }
    }

    fn answer(&self, mut waiter: Waiter) {
        if waiter.shutdown {
            waiter.report.left_in_spool = self.report_spool_leftovers();
        }
        if let Some(done) = waiter.done {
            done.send(waiter.report);
        }
    }

    /// At shutdown: how many messages the spool keeps for the next start (logged when any).
    fn report_spool_leftovers(&self) -> Option<usize> {
        let status = self.shared.queue.spool_status()?;
        if status.live_records > 0 {
            tracing::warn!(
                messages = status.live_records,
                dir = %status.dir.display(),
                "trackplan messages not delivered are left in the spool; a client started on the same directory sends them"
            );
        }
        Some(status.live_records)
    }

    fn handle(&mut self, command: Option<Command>) {
        match command {
            Some(Command::Flush { up_to, done }) => self.waiters.push(Waiter {
                up_to,
                report: DeliveryReport::default(),
                done: Some(done),
                shutdown: false,
            }),
            Some(Command::Shutdown {
                up_to,
                deadline,
                done,
            }) => {
                self.shutdown_deadline =
                    Some(self.shutdown_deadline.map_or(deadline, |d| d.min(deadline)));
                self.waiters.push(Waiter {
                    up_to,
                    report: DeliveryReport::default(),
                    done,
                    shutdown: true,
                });
            }
            None => {
                // Every client handle is gone without a shutdown (cannot happen through the
                // public API, which shuts down on drop): deliver what is queued, bounded.
                self.commands_open = false;
                if self.shutdown_deadline.is_none() {
                    let up_to = self.shared.queue.close();
                    self.shutdown_deadline =
                        Some(self.config.clock.now() + self.config.request_timeout);
                    self.waiters.push(Waiter {
                        up_to,
                        report: DeliveryReport::default(),
                        done: None,
                        shutdown: true,
                    });
                }
            }
        }
    }

    /// The highest sequence number a flush or shutdown is waiting on.
    fn flush_target(&self) -> u64 {
        self.waiters.iter().map(|w| w.up_to).max().unwrap_or(0)
    }

    fn paused(&self, now: Instant) -> bool {
        self.delivery
            .paused_until
            .get()
            .is_some_and(|until| until > now)
    }

    /// Whether the queue holds a batch that should go now.
    fn batch_ready(&self, now: Instant) -> bool {
        let head = self.shared.queue.peek();
        if head.len == 0 {
            return false;
        }
        head.first_seq < self.flush_target()
            || head.len >= self.config.flush_at
            || self.new_sizer().is_full_with(head.len, head.json_bytes)
            || head
                .oldest
                .is_some_and(|oldest| now >= oldest + self.config.flush_interval)
    }

    /// `flush_at` only triggers a batch (see [`Self::batch_ready`]); the batch itself takes
    /// everything queued up to the hard caps, so a backlog built while every request slot was
    /// busy leaves in few full requests.
    fn new_sizer(&self) -> BatchSizer {
        BatchSizer::new(
            self.delivery.envelope.overhead(),
            MAX_BATCH_MESSAGES,
            self.config.max_batch_bytes,
        )
    }

    /// Start batches while the limit allows, then, with every slot busy, prepare the next full
    /// body and tell the controller how many batches wait; in slow start it raises the limit
    /// to carry them, and they leave at once.
    fn start_ready_batches(
        &mut self,
        now: Instant,
        deliveries: &mut FuturesUnordered<DeliveryFuture>,
    ) {
        if self.paused(now) {
            return;
        }
        loop {
            while self.in_flight.len() < self.delivery.limit() {
                let Some(prepared) = self.next.take().or_else(|| self.cut(now, false)) else {
                    return;
                };
                self.in_flight
                    .insert(prepared.batch.first_seq, Rc::clone(&prepared.batch));
                let delivery = Rc::clone(&self.delivery);
                deliveries.push(Box::pin(async move {
                    let Prepared { batch, body } = prepared;
                    let result = delivery.deliver(&batch, body).await;
                    (batch.first_seq, result)
                }));
            }
            if self.next.is_none() {
                self.next = self.cut(now, true);
            }
            // Only full batches count for the slow start's size, so a burst leaves in full
            // bodies; a batch its flush trigger made ready counts as a backlog all the same.
            let full = self.full_batches_waiting();
            if full == 0 && !self.batch_ready(now) {
                return;
            }
            if !self.delivery.note_backlog(self.in_flight.len(), full) {
                return;
            }
        }
    }

    /// Full batches waiting while every slot is busy: the prepared next one and those queued
    /// behind it.
    fn full_batches_waiting(&self) -> usize {
        let head = self.shared.queue.peek();
        let queued = (head.json_bytes / self.config.max_batch_bytes.max(1))
            .max(head.len / MAX_BATCH_MESSAGES);
        usize::from(self.next.is_some()) + queued
    }

    /// Take the next batch from the queue and build its body, if a batch is ready (with
    /// `only_full`, if the queue holds a full one).
    fn cut(&self, now: Instant, only_full: bool) -> Option<Prepared> {
        let ready = if only_full {
            let head = self.shared.queue.peek();
            self.new_sizer().is_full_with(head.len, head.json_bytes)
        } else {
            self.batch_ready(now)
        };
        if !ready {
            return None;
        }
        let mut sizer = self.new_sizer();
        let taken = self.shared.queue.take_while(|len| sizer.try_add(len));
        let first_seq = taken.first()?.seq;
        let records = taken.iter().filter_map(|q| q.record).collect();
        let messages: Vec<Message> = taken.into_iter().map(|q| q.message).collect();
        let envelope = &self.delivery.envelope;
        let size = messages.iter().map(|m| m.len() + 1).sum::<usize>() + envelope.overhead();
        let mut body = Vec::with_capacity(size);
        envelope.write_body(&messages, UNSTAMPED_SENT_AT, &mut body);
        self.shared
            .counters
            .in_flight
            .fetch_add(messages.len() as u64, Ordering::Relaxed);
        Some(Prepared {
            batch: Rc::new(Batch {
                first_seq,
                messages,
                records,
            }),
            body,
        })
    }

    /// When to look at the queue again without being woken: the oldest message's flush time,
    /// the end of a rate-limit pause, the shutdown deadline.
    fn next_timer(&self, now: Instant) -> Option<Instant> {
        let mut timer = self.shutdown_deadline;
        let mut earliest = |at: Instant| timer = Some(timer.map_or(at, |t: Instant| t.min(at)));
        if let Some(until) = self
            .delivery
            .paused_until
            .get()
            .filter(|&until| until > now)
        {
            earliest(until);
        } else if self.in_flight.len() < self.delivery.limit() {
            if let Some(oldest) = self.shared.queue.peek().oldest {
                earliest(oldest + self.config.flush_interval);
            }
        }
        timer
    }

    fn settle(&mut self, first_seq: u64, result: Result<(), FailureReason>) {
        let Some(batch) = self.in_flight.remove(&first_seq) else {
            return;
        };
        self.shared
            .counters
            .in_flight
            .fetch_sub(batch.messages.len() as u64, Ordering::Relaxed);
        if spool_ack_due(&result) {
            self.shared.queue.ack(&batch.records);
        }
        match result {
            Ok(()) => {
                self.shared
                    .counters
                    .delivered
                    .fetch_add(batch.messages.len() as u64, Ordering::Relaxed);
                for waiter in &mut self.waiters {
                    waiter.report.delivered += covered(&batch, waiter.up_to).len();
                }
            }
            Err(reason) => self.fail(&batch, reason),
        }
        if let Ok(batch) = Rc::try_unwrap(batch) {
            self.shared.queue.recycle(batch.messages);
        }
    }

    fn fail(&mut self, batch: &Batch, reason: FailureReason) {
        let count = batch.messages.len();
        self.shared
            .counters
            .failed
            .fetch_add(count as u64, Ordering::Relaxed);
        tracing::error!(messages = count, %reason, "trackplan could not deliver a batch; it goes to the failure callback");
        for waiter in &mut self.waiters {
            let messages = covered(batch, waiter.up_to);
            if !messages.is_empty() {
                waiter.report.failed.push(FailedBatch {
                    reason: reason.clone(),
                    messages: messages.to_vec(),
                });
            }
        }
        if let Some(callback) = &self.config.on_failure {
            let failed = FailedBatch {
                reason,
                messages: batch.messages.clone(),
            };
            if std::panic::catch_unwind(AssertUnwindSafe(|| callback(failed))).is_err() {
                tracing::error!("trackplan failure callback panicked");
            }
        }
    }

    /// The shutdown deadline passed: everything still queued or in delivery is reported.
    fn abandon_everything(&mut self) {
        let in_flight = std::mem::take(&mut self.in_flight);
        for batch in in_flight.values() {
            self.fail(batch, FailureReason::ShutdownDeadline);
        }
        if let Some(next) = self.next.take() {
            self.fail(&next.batch, FailureReason::ShutdownDeadline);
        }
        let rest = self.shared.queue.drain();
        if let Some(first) = rest.first() {
            let batch = Batch {
                first_seq: first.seq,
                messages: rest.into_iter().map(|q| q.message).collect(),
                records: Vec::new(), // left in the spool
            };
            self.fail(&batch, FailureReason::ShutdownDeadline);
        }
    }

    /// Answer every flush whose messages are all delivered or reported.
    fn answer_settled_waiters(&mut self) {
        let first_unsettled = self
            .in_flight
            .keys()
            .next()
            .copied()
            .unwrap_or(u64::MAX)
            .min(self.next.as_ref().map_or(u64::MAX, |n| n.batch.first_seq))
            .min(self.shared.queue.peek().first_seq);
        let mut i = 0;
        while i < self.waiters.len() {
            if self.waiters[i].up_to <= first_unsettled && self.waiters[i].done.is_some() {
                let waiter = self.waiters.swap_remove(i);
                self.answer(waiter);
            } else {
                i += 1;
            }
        }
    }
}

/// Whether a settled batch leaves the spool: once delivered, or refused by the server for good
/// (replaying it would only fail again). Batches out of retries for a server that stayed
/// unreachable or failing stay, to be replayed at the next start.
fn spool_ack_due(result: &Result<(), FailureReason>) -> bool {
    matches!(result, Ok(()) | Err(FailureReason::Rejected { .. }))
}

/// The part of a batch below `up_to`.
fn covered(batch: &Batch, up_to: u64) -> &[Message] {
    let n = up_to
        .saturating_sub(batch.first_seq)
        .min(batch.messages.len() as u64) as usize;
    &batch.messages[..n]
}

/// A placeholder of `sentAt`'s length: each attempt stamps the real time over it.
const UNSTAMPED_SENT_AT: &str = "0000-00-00T00:00:00.000Z";

/// What every delivery shares.
struct Delivery {
    shared: Arc<Shared>,
    transport: Arc<dyn Transport>,
    envelope: Envelope,
    write_key: WriteKey,
    retry: RetryPolicy,
    request_timeout: Duration,
    clock: Clock,
    /// A 429 with Retry-After pauses the whole client: the limit is per workspace.
    paused_until: Cell<Option<Instant>>,
    concurrency: RefCell<ConcurrencyController>,
}

impl Delivery {
    /// Batches allowed in delivery now.
    fn limit(&self) -> usize {
        self.concurrency.borrow().limit()
    }

    /// Tell the controller `waiting` batches wait with `in_flight` in delivery; whether it
    /// raised the limit.
    fn note_backlog(&self, in_flight: usize, waiting: usize) -> bool {
        let mut concurrency = self.concurrency.borrow_mut();
        let change = concurrency.note_backlog(in_flight, waiting);
        self.publish(&concurrency, change);
        change.is_some()
    }

    /// Feed one attempt to the concurrency controller; publish and log what it decides.
    fn observe(&self, outcome: &Outcome, round_trip: Duration, now: Instant) {
        let mut concurrency = self.concurrency.borrow_mut();
        let change = concurrency.record(Response::of(outcome), round_trip, now);
        if let Some(smoothed) = concurrency.round_trip() {
            self.shared
                .counters
                .round_trip_us
                .store((smoothed.as_micros() as u64).max(1), Ordering::Relaxed);
        }
        self.publish(&concurrency, change);
    }

    /// Show a change of the limit in `Metrics` and as a `tracing` event.
    fn publish(&self, concurrency: &ConcurrencyController, change: Option<LimitChange>) {
        let Some(change) = change else {
            return;
        };
        self.shared
            .counters
            .in_flight_limit
            .store(change.limit as u64, Ordering::Relaxed);
        tracing::debug!(
            limit = change.limit,
            previous = change.previous,
            cause = change.cause.as_str(),
            round_trip_ms = concurrency.round_trip().map_or(0, |r| r.as_millis() as u64),
            "trackplan in-flight limit changed"
        );
    }

    /// Send one batch until it is delivered or given up.
    async fn deliver(&self, batch: &Batch, mut body: Vec<u8>) -> Result<(), FailureReason> {
        let mut state = RetryState::default();
        let messages = batch.messages.len();
        loop {
            if let Some(until) = self.paused_until.get() {
                self.clock.sleep_until(until).await;
            }
            let outcome = self
                .attempt(batch, &mut body, state.attempts_after_first)
                .await;
            let now = self.clock.now();
            let step = retry::decide(&outcome, &state, &self.retry, now, 1.0 + fastrand::f64());
            match &step {
                Step::Done => {
                    tracing::debug!(
                        messages,
                        retry_count = state.attempts_after_first,
                        "trackplan batch delivered"
                    );
                    return Ok(());
                }
                Step::Fail(reason) => return Err(reason.clone()),
                Step::Retry { after, counted } => {
                    self.shared.counters.retried.fetch_add(1, Ordering::Relaxed);
                    let last = retry::describe(&outcome);
                    if *counted {
                        let retry = state.counted + 1;
                        if retry < 3 {
                            tracing::debug!(messages, retry, delay_ms = after.as_millis() as u64, %last, "trackplan retrying a batch");
                        } else {
                            tracing::warn!(messages, retry, delay_ms = after.as_millis() as u64, %last, "trackplan retrying a batch");
                        }
                    } else {
                        let until = now + *after;
                        self.paused_until.set(Some(
                            self.paused_until.get().map_or(until, |p| p.max(until)),
                        ));
                        tracing::warn!(
                            delay_ms = after.as_millis() as u64,
                            "trackplan rate limited (429): pausing sends"
                        );
                    }
                    state.advance(&step, now);
                    self.clock.sleep_until(now + *after).await;
                }
            }
        }
    }

    async fn attempt(&self, batch: &Batch, body: &mut [u8], retry_count: u32) -> Outcome {
        let sent_at = format_timestamp(self.clock.now_utc().into());
        self.envelope.stamp_sent_at(body, &sent_at);
        let request = BatchRequest {
            body,
            write_key: &self.write_key,
            retry_count,
            message_count: batch.messages.len(),
        };
        let started = Instant::now();
        let outcome =
            match tokio::time::timeout(self.request_timeout, self.transport.send(request)).await {
                Err(_) => Outcome::TimedOut,
                Ok(Ok(response)) => Outcome::Status {
                    status: response.status,
                    retry_after: response
                        .retry_after
                        .and_then(|v| retry::parse_retry_after(&v, self.clock.now_utc())),
                },
                Ok(Err(error)) if error.kind == TransportErrorKind::Timeout => Outcome::TimedOut,
                Ok(Err(error)) => Outcome::ConnectionError(error.to_string()),
            };
        // Round trips are network time: real, like the request timeout, whatever the clock.
        self.observe(&outcome, started.elapsed(), Instant::now());
        tracing::debug!(
            messages = batch.messages.len(),
            bytes = body.len(),
            retry_count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            outcome = %retry::describe(&outcome),
            "trackplan batch request"
        );
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_delivered_or_finally_rejected_batches_leave_the_spool() {
        assert!(spool_ack_due(&Ok(())));
        assert!(spool_ack_due(&Err(FailureReason::Rejected { status: 400 })));
        let kept = [
            FailureReason::RetriesExhausted {
                retries: 10,
                last: "connection refused".to_owned(),
            },
            FailureReason::RetryTimeExhausted {
                elapsed: Duration::from_secs(60),
                last: "HTTP 503".to_owned(),
            },
            FailureReason::ShutdownDeadline,
        ];
        for reason in kept {
            assert!(!spool_ack_due(&Err(reason.clone())), "{reason}");
        }
    }
}
