//! The byte-capped queue between callers and the worker.
//!
//! Callers push encoded messages under a short lock; the worker takes batches from the front.
//! Every message gets a sequence number, so flush and shutdown can wait for exactly the messages
//! enqueued before them. With a crash-safe [`Spool`] behind it, `push` appends each message to
//! the spool before queueing it, and the worker acknowledges it once the server took it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::error::EnqueueError;
use crate::message::Message;
use crate::spool::{RecordId, RecoveredRecord, Spool, SpoolError};

/// What an enqueue does when the queue holds its byte cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FullPolicy {
    /// Refuse the new message at once with [`EnqueueError::QueueFull`] (the default: never
    /// block the caller).
    #[default]
    Refuse,
    /// Block the calling thread up to this long for room, then refuse with
    /// [`EnqueueError::QueueFullTimeout`]. Blocks the thread, so avoid it on async executors.
    Block(Duration),
}

/// Memory a queued message costs besides its JSON buffer (the entry itself).
pub(crate) const ENTRY_OVERHEAD: usize = 64;

/// A message waiting for delivery.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub seq: u64,
    pub message: Message,
    /// Its spool record, acknowledged once the server took the message.
    pub record: Option<RecordId>,
}

impl Queued {
    /// Memory charged against the queue's byte cap.
    fn cost(&self) -> usize {
        self.message.allocated() + ENTRY_OVERHEAD
    }
}

#[derive(Default)]
struct State {
    items: VecDeque<Queued>,
    /// Memory held, charged against the cap.
    bytes: usize,
    /// JSON bytes of the queued messages, for batch sizing.
    json_bytes: usize,
    /// Since when the front message has waited: set when a push finds the queue empty, and
    /// when a take leaves messages behind (they then wait from that moment, which is later than
    /// their enqueue only while batches are leaving anyway). Kept per queue, not per message,
    /// so a call reads the clock only when it starts a batch.
    front_since: Option<Instant>,
    /// Sequence number of the next message pushed.
    next_seq: u64,
    closed: bool,
    /// Buffers of delivered messages, handed back to callers for their next message (see
    /// [`Queue::recycle`]).
    spare: Vec<Vec<u8>>,
}

/// Spare buffers kept for callers: bounded so that the pool adds at most 2 MiB outside the
/// queue's byte cap.
const MAX_SPARE_BUFFERS: usize = 512;
const MAX_SPARE_CAPACITY: usize = 4096;

impl State {
    /// Queue a message at the back under the next sequence number (returned), charging it and
    /// starting the flush timer if it is the front.
    fn push_back(&mut self, message: Message, record: Option<RecordId>, clock: &Clock) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let item = Queued {
            seq,
            message,
            record,
        };
        self.bytes += item.cost();
        self.json_bytes += item.message.len();
        if self.items.is_empty() {
            self.front_since = Some(clock.now());
        }
        self.items.push_back(item);
        seq
    }
}

/// Whether the worker should be woken after a push, and a delivered message's buffer for the
/// caller's next message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pushed {
    pub seq: u64,
    pub wake_worker: bool,
    pub spare: Option<Vec<u8>>,
}

pub(crate) struct Queue {
    state: Mutex<State>,
    space: Condvar,
    capacity_bytes: usize,
    /// Wake the worker when this many messages wait (a full batch by count).
    wake_at_len: usize,
    /// Wake the worker when this many bytes wait (a full batch by size).
    wake_at_bytes: usize,
    refused: AtomicU64,
    full_warned: AtomicBool,
    /// Mirrors `State::closed` (set under the lock, never cleared) so callers can refuse before
    /// encoding without taking the lock on every call.
    closed: AtomicBool,
    spool: Option<SpoolLink>,
    /// Times the front message's wait (the flush interval), as the worker reads it.
    clock: Clock,
}

impl Queue {
    pub(crate) fn new(capacity_bytes: usize, wake_at_len: usize, wake_at_bytes: usize) -> Queue {
        Queue {
            state: Mutex::new(State::default()),
            space: Condvar::new(),
            capacity_bytes,
            wake_at_len,
            wake_at_bytes,
            refused: AtomicU64::new(0),
            full_warned: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            spool: None,
            clock: Clock::System,
        }
    }

    /// Time the flush interval on `clock` (the worker's).
    pub(crate) fn with_clock(mut self, clock: Clock) -> Queue {
        self.clock = clock;
        self
    }

    /// Put `spool` behind the queue: every push is appended to it first.
    pub(crate) fn with_spool(mut self, spool: Spool) -> Queue {
        self.spool = Some(SpoolLink::new(spool));
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves the queue consistent (every mutation is a
        // single push or pop), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Append a message, applying the full policy (to the spool's cap, then to the queue's,
    /// within one `Block` timeout). With a spool, the message is in it when this returns `Ok`.
    pub(crate) fn push(
        &self,
        message: Message,
        policy: FullPolicy,
    ) -> Result<Pushed, EnqueueError> {
        let Some(spool) = &self.spool else {
            return self.push_in_memory(message, None, policy);
        };
        let started = Instant::now();
        let record = match spool.append(&message, policy) {
            Ok(record) => record,
            Err(full @ EnqueueError::SpoolFull { .. }) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                if !self.full_warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        dir = %spool.spool.dir().display(),
                        "trackplan spool is full: new messages are refused until deliveries free room (further refusals are counted, not logged)"
                    );
                }
                return Err(full);
            }
            Err(error) => return Err(error),
        };
        let policy = match policy {
            FullPolicy::Block(timeout) => {
                FullPolicy::Block(timeout.saturating_sub(started.elapsed()))
            }
            FullPolicy::Refuse => FullPolicy::Refuse,
        };
        let pushed = self.push_in_memory(message, Some(record), policy);
        if pushed.is_err() {
            // Refused messages are never sent, so they must not be replayed either.
            spool.ack(&[record]);
        }
        pushed
    }

    fn push_in_memory(
        &self,
        message: Message,
        record: Option<RecordId>,
        policy: FullPolicy,
    ) -> Result<Pushed, EnqueueError> {
        let cost = message.allocated() + ENTRY_OVERHEAD;
        let json_len = message.len();
        let mut state = self.lock();
        if state.closed {
            return Err(EnqueueError::ShutDown);
        }
        if state.bytes + cost > self.capacity_bytes {
            state = match policy {
                FullPolicy::Refuse => {
                    return Err(self.refuse(EnqueueError::QueueFull {
                        capacity: self.capacity_bytes,
                    }))
                }
                FullPolicy::Block(timeout) => {
                    let (state, waited) = self
                        .space
                        .wait_timeout_while(state, timeout, |s| {
                            !s.closed && s.bytes + cost > self.capacity_bytes
                        })
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    if state.closed {
                        return Err(EnqueueError::ShutDown);
                    }
                    if waited.timed_out() && state.bytes + cost > self.capacity_bytes {
                        return Err(self.refuse(EnqueueError::QueueFullTimeout(timeout)));
                    }
                    state
                }
            };
        }
        let seq = state.push_back(message, record, &self.clock);
        let len = state.items.len();
        let wake_worker = len == 1 || len == self.wake_at_len || {
            let before = state.json_bytes - json_len;
            before < self.wake_at_bytes && state.json_bytes >= self.wake_at_bytes
        };
        let spare = state.spare.pop();
        Ok(Pushed {
            seq,
            wake_worker,
            spare,
        })
    }

    fn refuse(&self, error: EnqueueError) -> EnqueueError {
        self.refused.fetch_add(1, Ordering::Relaxed);
        if !self.full_warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                capacity_bytes = self.capacity_bytes,
                "trackplan queue is full: new messages are refused until it drains (further refusals are counted, not logged)"
            );
        }
        error
    }

    /// Messages refused because the queue (or the spool) was full.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Queue the spool's unacknowledged records (from the last run) ahead of new messages,
    /// past the memory cap if need be: the spool's cap already bounds them. They are not
    /// appended again. Returns how many were queued.
    pub(crate) fn replay(&self, records: Vec<RecoveredRecord>) -> usize {
        let Some(spool) = &self.spool else {
            return 0;
        };
        let mut unusable = Vec::new();
        let mut state = self.lock();
        let before = state.items.len();
        for record in records {
            let Some(json) = replayable(record.message) else {
                tracing::warn!(record = %record.id, "trackplan spool record is not a JSON message; dropped");
                unusable.push(record.id);
                continue;
            };
            state.push_back(Message::from_json(json), Some(record.id), &self.clock);
        }
        let replayed = state.items.len() - before;
        drop(state);
        spool.ack(&unusable);
        spool.replayed.fetch_add(replayed as u64, Ordering::Relaxed);
        replayed
    }

    /// Mark these spool records delivered (or given up for good): never replayed.
    pub(crate) fn ack(&self, records: &[RecordId]) {
        if let Some(spool) = &self.spool {
            spool.ack(records);
        }
    }

    /// The spool's state, when there is one.
    pub(crate) fn spool_status(&self) -> Option<SpoolStatus> {
        self.spool.as_ref().map(SpoolLink::status)
    }

    /// Count damage the spool skipped at open.
    pub(crate) fn note_spool_corruption(&self, records: u64) {
        if let Some(spool) = &self.spool {
            spool.corrupt_records.fetch_add(records, Ordering::Relaxed);
        }
    }

    /// The sequence number the next message will get: everything before it is "enqueued so far".
    pub(crate) fn next_seq(&self) -> u64 {
        self.lock().next_seq
    }

    /// Refuse all further pushes. Returns the sequence number of the first message never queued.
    pub(crate) fn close(&self) -> u64 {
        let mut state = self.lock();
        state.closed = true;
        self.closed.store(true, Ordering::Release);
        self.space.notify_all();
        let next_seq = state.next_seq;
        drop(state);
        if let Some(spool) = &self.spool {
            spool.close();
        }
        next_seq
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Keep the buffers of delivered messages for callers to encode into: the caller's thread
    /// then reuses memory instead of allocating while the worker frees (which contends for the
    /// allocator's lock across the two threads).
    pub(crate) fn recycle(&self, messages: Vec<Message>) {
        let mut buffers: Vec<Vec<u8>> = messages
            .into_iter()
            .map(Message::into_buffer)
            .filter(|buffer| buffer.capacity() <= MAX_SPARE_CAPACITY)
            .collect();
        let mut state = self.lock();
        let room = MAX_SPARE_BUFFERS.saturating_sub(state.spare.len());
        let keep = buffers.len().min(room);
        state.spare.extend(buffers.drain(..keep));
        drop(state);
        // Anything beyond the pool's bound is freed here, outside the lock.
        drop(buffers);
    }

    /// Messages queued and the memory they are charged, for metrics.
    pub(crate) fn depth(&self) -> (usize, usize) {
        let state = self.lock();
        (state.items.len(), state.bytes)
    }

    /// A view of the front of the queue, for the worker's batching decisions.
    pub(crate) fn peek(&self) -> QueueHead {
        let state = self.lock();
        QueueHead {
            len: state.items.len(),
            first_seq: state.items.front().map_or(state.next_seq, |q| q.seq),
            oldest: state.front_since,
            json_bytes: state.json_bytes,
        }
    }

    /// Take messages from the front while `fits` accepts the next one's size.
    pub(crate) fn take_while(&self, mut fits: impl FnMut(usize) -> bool) -> Vec<Queued> {
        let mut state = self.lock();
        let mut taken = Vec::new();
        while let Some(front) = state.items.front() {
            if !fits(front.message.len()) {
                break;
            }
            let Some(item) = state.items.pop_front() else {
                break;
            };
            state.bytes -= item.cost();
            state.json_bytes -= item.message.len();
            taken.push(item);
        }
        if !taken.is_empty() {
            state.front_since = (!state.items.is_empty()).then(|| self.clock.now());
            self.full_warned.store(false, Ordering::Relaxed);
            self.space.notify_all();
        }
        taken
    }

    /// Take everything still queued.
    pub(crate) fn drain(&self) -> Vec<Queued> {
        self.take_while(|_| true)
    }
}

/// Bytes of a recovered record as a message, if they are UTF-8 JSON (only a foreign writer
/// could have put anything else in the spool).
fn replayable(bytes: Vec<u8>) -> Option<String> {
    let json = String::from_utf8(bytes).ok()?;
    serde_json::from_str::<serde::de::IgnoredAny>(&json).ok()?;
    Some(json)
}

/// What the spool holds and what it found damaged, for reports and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpoolStatus {
    pub dir: std::path::PathBuf,
    /// Records not acknowledged: replayed at the next start.
    pub live_records: usize,
    pub corrupt_records: u64,
    pub replayed: u64,
}

/// The spool behind the queue. Callers blocked on a full spool under [`FullPolicy::Block`]
/// wait for the acknowledgements that free its room.
struct SpoolLink {
    spool: Spool,
    /// Bumped after every ack (and at close) so that waiters notice room or shutdown.
    acks: Mutex<AckEpoch>,
    acked: Condvar,
    corrupt_records: AtomicU64,
    replayed: AtomicU64,
}

#[derive(Default)]
struct AckEpoch {
    epoch: u64,
    closed: bool,
}

impl SpoolLink {
    fn new(spool: Spool) -> SpoolLink {
        SpoolLink {
            spool,
            acks: Mutex::new(AckEpoch::default()),
            acked: Condvar::new(),
            corrupt_records: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
        }
    }

    fn epoch(&self) -> MutexGuard<'_, AckEpoch> {
        self.acks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Append `message`; when the spool is full, refuse or wait for acks per `policy`.
    fn append(&self, message: &Message, policy: FullPolicy) -> Result<RecordId, EnqueueError> {
        let deadline = match policy {
            FullPolicy::Refuse => None,
            FullPolicy::Block(timeout) => Some(Instant::now() + timeout),
        };
        loop {
            let seen = self.epoch().epoch;
            match self.spool.append(message.as_str().as_bytes()) {
                Ok(record) => return Ok(record),
                Err(SpoolError::Full { used, max, .. }) => {
                    let full = EnqueueError::SpoolFull { used, max };
                    let remaining = deadline
                        .map(|d| d.saturating_duration_since(Instant::now()))
                        .filter(|r| !r.is_zero());
                    let Some(remaining) = remaining else {
                        return Err(full);
                    };
                    let epoch = self.epoch();
                    if epoch.closed {
                        return Err(EnqueueError::ShutDown);
                    }
                    let (epoch, _) = self
                        .acked
                        .wait_timeout_while(epoch, remaining, |e| e.epoch == seen && !e.closed)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    if epoch.closed {
                        return Err(EnqueueError::ShutDown);
                    }
                }
                Err(error) => return Err(EnqueueError::Spool(error)),
            }
        }
    }

    /// Acknowledge `records`. A failed ack only means they are replayed (again) at the next
    /// start, which Segment deduplicates by messageId, so it is logged, not returned.
    fn ack(&self, records: &[RecordId]) {
        if records.is_empty() {
            return;
        }
        if let Err(error) = self.spool.ack(records) {
            tracing::warn!(%error, records = records.len(), "trackplan could not acknowledge delivered messages in the spool; they will be sent again at the next start");
        }
        self.epoch().epoch += 1;
        self.acked.notify_all();
    }

    fn close(&self) {
        self.epoch().closed = true;
        self.acked.notify_all();
    }

    fn status(&self) -> SpoolStatus {
        SpoolStatus {
            dir: self.spool.dir().to_path_buf(),
            live_records: self.spool.stats().live_records,
            corrupt_records: self.corrupt_records.load(Ordering::Relaxed),
            replayed: self.replayed.load(Ordering::Relaxed),
        }
    }
}

/// The queue's front as the worker sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueueHead {
    pub len: usize,
    /// The oldest queued message's sequence number, or the next one when empty.
    pub first_seq: u64,
    /// Since when the front message has waited (none when empty); the flush timer runs from it.
    pub oldest: Option<Instant>,
    /// JSON bytes of the queued messages.
    pub json_bytes: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message whose buffer is exactly `len` bytes.
    fn message(len: usize) -> Message {
        let mut json = String::with_capacity(len);
        json.push('"');
        json.push_str(&"x".repeat(len - 2));
        json.push('"');
        Message::from_json(json)
    }

    #[test]
    fn refuse_policy_counts_and_never_exceeds_the_cap() {
        let queue = Queue::new(2 * (100 + ENTRY_OVERHEAD), 10, 1000);
        assert_eq!(
            queue.push(message(100), FullPolicy::Refuse).unwrap(),
            Pushed {
                seq: 0,
                wake_worker: true,
                spare: None,
            }
        );
        assert_eq!(
            queue.push(message(100), FullPolicy::Refuse).unwrap(),
            Pushed {
                seq: 1,
                wake_worker: false,
                spare: None,
            }
        );
        assert!(matches!(
            queue.push(message(100), FullPolicy::Refuse),
            Err(EnqueueError::QueueFull { .. })
        ));
        assert_eq!(queue.refused(), 1);
        assert_eq!(queue.take_while(|_| true).len(), 2);
        assert!(queue.push(message(100), FullPolicy::Refuse).is_ok());
    }

    #[test]
    fn block_policy_waits_for_room_then_gives_up() {
        let queue = std::sync::Arc::new(Queue::new(100 + ENTRY_OVERHEAD, 10, 1000));
        queue.push(message(100), FullPolicy::Refuse).unwrap();
        let err = queue
            .push(message(100), FullPolicy::Block(Duration::from_millis(10)))
            .unwrap_err();
        assert!(matches!(err, EnqueueError::QueueFullTimeout(_)));

        let drainer = std::sync::Arc::clone(&queue);
        let handle = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            drainer.drain().len()
        });
        assert!(queue
            .push(message(100), FullPolicy::Block(Duration::from_secs(30)))
            .is_ok());
        assert_eq!(handle.join().unwrap(), 1);
        assert_eq!(queue.refused(), 1);
    }

    #[test]
    fn closing_refuses_pushes_and_wakes_blocked_callers() {
        let queue = Queue::new(1000, 10, 1000);
        assert_eq!(queue.close(), 0);
        assert!(matches!(
            queue.push(message(10), FullPolicy::Refuse),
            Err(EnqueueError::ShutDown)
        ));
        assert!(queue.is_closed());
    }

    fn spooled_queue(capacity: usize, dir: &std::path::Path) -> Queue {
        let (spool, _) =
            Spool::open(dir, crate::spool::SpoolOptions::default()).expect("open the spool");
        Queue::new(capacity, 10, 1000).with_spool(spool)
    }

    fn live(queue: &Queue) -> usize {
        queue.spool_status().map_or(0, |s| s.live_records)
    }

    #[test]
    fn a_message_the_queue_refuses_is_acknowledged_so_it_is_never_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let queue = spooled_queue(100 + ENTRY_OVERHEAD, dir.path());
        let first = queue.push(message(100), FullPolicy::Refuse).unwrap();
        assert!(matches!(
            queue.push(message(100), FullPolicy::Refuse),
            Err(EnqueueError::QueueFull { .. })
        ));
        assert_eq!(live(&queue), 1);
        queue.close();
        assert!(matches!(
            queue.push(message(100), FullPolicy::Refuse),
            Err(EnqueueError::ShutDown)
        ));
        assert_eq!(live(&queue), 1);

        let taken = queue.drain();
        assert_eq!(taken[0].seq, first.seq);
        let record = taken[0].record.expect("spooled");
        queue.ack(&[record]);
        assert_eq!(live(&queue), 0);
    }

    #[test]
    fn replay_queues_recovered_json_past_the_cap_and_drops_foreign_records() {
        let dir = tempfile::tempdir().unwrap();
        let queue = spooled_queue(100 + ENTRY_OVERHEAD, dir.path());
        let (json, foreign) = (message(100), b"\xff not json".to_vec());
        // Ids as the spool gave them: acknowledging the foreign one must leave the rest.
        let spool = queue.spool.as_ref().unwrap();
        let records: Vec<RecoveredRecord> = [
            json.as_str().as_bytes().to_vec(),
            foreign.clone(),
            json.as_str().as_bytes().to_vec(),
        ]
        .into_iter()
        .map(|bytes| RecoveredRecord {
            id: spool.spool.append(&bytes).unwrap(),
            message: bytes,
        })
        .collect();
        assert_eq!(queue.replay(records), 2);
        assert_eq!(live(&queue), 2);
        assert_eq!(queue.spool_status().unwrap().replayed, 2);
        let taken = queue.drain();
        assert_eq!(
            taken.len(),
            2,
            "both valid records, although over the memory cap"
        );
        assert!(taken
            .iter()
            .all(|q| q.message.as_str() == json.as_str() && q.record.is_some()));
    }

    #[test]
    fn delivered_buffers_come_back_empty_to_callers_and_the_pool_is_bounded() {
        let queue = Queue::new(1 << 30, 10, 1000);
        assert_eq!(
            queue.push(message(10), FullPolicy::Refuse).unwrap().spare,
            None
        );
        let delivered: Vec<Message> = (0..MAX_SPARE_BUFFERS + 10).map(|_| message(100)).collect();
        let oversized = Message::from_json(format!("\"{}\"", "x".repeat(MAX_SPARE_CAPACITY)));
        queue.recycle(delivered.into_iter().chain([oversized]).collect());
        let mut handed = 0;
        while let Some(spare) = queue.push(message(10), FullPolicy::Refuse).unwrap().spare {
            assert!(spare.is_empty(), "a recycled buffer holds no old bytes");
            assert_eq!(
                spare.capacity(),
                100,
                "only the delivered 100-byte buffers are kept"
            );
            handed += 1;
        }
        assert_eq!(
            handed, MAX_SPARE_BUFFERS,
            "the pool keeps at most its bound"
        );
    }

    #[test]
    fn the_flush_timer_runs_from_the_first_push_and_restarts_for_messages_left_behind() {
        let clock = crate::clock::ManualClock::new();
        let queue = Queue::new(1 << 20, 10, 1000).with_clock(Clock::Manual(clock.clone()));
        assert!(queue.peek().oldest.is_none());
        let pushed_at = clock.now();
        queue.push(message(10), FullPolicy::Refuse).unwrap();
        let first = queue
            .peek()
            .oldest
            .expect("a waiting message starts the timer");
        assert_eq!(first, pushed_at);
        clock.advance(Duration::from_secs(1));
        queue.push(message(10), FullPolicy::Refuse).unwrap();
        assert_eq!(
            queue.peek().oldest,
            Some(first),
            "later pushes keep the front's time"
        );
        clock.advance(Duration::from_secs(1));
        assert_eq!(queue.take_while(|_| true).len(), 2);
        assert!(queue.peek().oldest.is_none(), "an empty queue has no timer");
        queue.push(message(10), FullPolicy::Refuse).unwrap();
        queue.push(message(10), FullPolicy::Refuse).unwrap();
        clock.advance(Duration::from_secs(1));
        // The one left behind waits from the take, not from its push.
        let taken_at = clock.now();
        let mut one = 0;
        queue.take_while(|_| std::mem::replace(&mut one, 1) == 0);
        let left = queue
            .peek()
            .oldest
            .expect("the message left behind still waits");
        assert_eq!(left, taken_at);
    }

    #[test]
    fn wakes_the_worker_on_first_message_and_full_batches() {
        let queue = Queue::new(1 << 20, 3, 250);
        let wakes: Vec<bool> = (0..4)
            .map(|_| {
                queue
                    .push(message(100), FullPolicy::Refuse)
                    .unwrap()
                    .wake_worker
            })
            .collect();
        // first message; the third reaches both the count and the byte threshold (once).
        assert_eq!(wakes, [true, false, true, false]);
        let head = queue.peek();
        assert_eq!((head.len, head.first_seq), (4, 0));
        let taken = queue.take_while({
            let mut n = 0;
            move |_| {
                n += 1;
                n <= 2
            }
        });
        assert_eq!(taken.iter().map(|q| q.seq).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(queue.peek().first_seq, 2);
    }
}
