//! Shared by the fault tests and the soak example: a collector that can be restarted on the same
//! port, a TCP proxy that resets connections on demand, delivery accounting by messageId, and a
//! driver that lets a manual clock's pauses pass at once.

// Each test binary (and the soak example) uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use trackplan_collector::{Collector, CollectorConfig, Faults, StartError};
use trackplan_core::testing::ManualClock;

/// The write key every fault test and the soak use; the collector checks it.
pub const WRITE_KEY: &str = "faults-write-key";

/// Start a collector on `addr` (port 0 for a free one) that checks [`WRITE_KEY`], keeps
/// `max_events` messages and applies `faults`.
pub async fn start_collector(addr: SocketAddr, max_events: usize, faults: Faults) -> Collector {
    let config = CollectorConfig::new()
        .write_key(WRITE_KEY)
        .max_events(max_events)
        .faults(faults);
    start_configured(addr, config).await
}

/// Start a collector with `config` on `addr`.
///
/// Binding is retried for up to two seconds: a collector just stopped on the same port may
/// still be closing its listener.
pub async fn start_configured(addr: SocketAddr, config: CollectorConfig) -> Collector {
    let mut last_error = None;
    for _ in 0..200 {
        match Collector::start(config.clone().addr(addr)).await {
            Ok(collector) => return collector,
            Err(error @ StartError::Bind { .. }) => {
                last_error = Some(error);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(other) => panic!("the collector cannot start: {other}"),
        }
    }
    panic!("the collector cannot bind {addr}: {last_error:?}")
}

/// A loopback address nothing listens on (the port was free a moment ago): connecting to it is
/// refused at once, without leaving the machine.
pub fn closed_loopback_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}

/// How many times each messageId arrived at each of `collectors`, taken together.
pub fn arrivals(collectors: &[&Collector]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for collector in collectors {
        for event in collector.events() {
            let id = event.message["messageId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    counts
}

/// Delivery accounting of `sent` ids against `arrived` counts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Sent ids that arrived at least once.
    pub delivered: usize,
    /// Extra arrivals of sent ids (an id that arrived 3 times counts 2).
    pub duplicated: usize,
    /// Sent ids that never arrived.
    pub lost: usize,
    /// Arrived ids that were never sent (must be 0).
    pub unexpected: usize,
}

/// Compare what was sent with what arrived.
pub fn tally<'a>(
    sent: impl IntoIterator<Item = &'a str>,
    arrived: &HashMap<String, usize>,
) -> Tally {
    let mut tally = Tally::default();
    let mut seen = 0;
    for id in sent {
        match arrived.get(id) {
            Some(&n) => {
                seen += 1;
                tally.delivered += 1;
                tally.duplicated += n - 1;
            }
            None => tally.lost += 1,
        }
    }
    tally.unexpected = arrived.len() - seen.min(arrived.len());
    tally
}

/// Poll `condition` every 5 ms for up to `limit`; true once it holds.
pub async fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Lets a client's pauses on a [`ManualClock`] pass as soon as it waits on them: a thread that
/// advances the clock to each deadline the client sleeps until, until dropped. Clock time then
/// runs as fast as the client uses it, so Segment's real backoff (0.5 s to 60 s) and
/// Retry-After waits (1 s to 300 s) take no real time. Not for shutdown tests: the shutdown
/// deadline is on the clock too, and would pass at once.
pub struct ClockDriver {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ClockDriver {
    pub fn start(clock: &ManualClock) -> ClockDriver {
        let stop = Arc::new(AtomicBool::new(false));
        let (clock, stopped) = (clock.clone(), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                if clock.advance_to_next_wake().is_zero() {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
        ClockDriver {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for ClockDriver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A TCP proxy in front of `upstream` that can reset connections, as a flaky network or a
/// crashed load balancer would.
///
/// - [`reset_next`](Self::reset_next): the next `n` connections are reset (RST) once the client
///   has sent its first bytes, so the request never reaches the upstream.
/// - [`sever_all`](Self::sever_all): every open forwarded connection is reset now.
///
/// A connection the upstream refuses is reset too.
pub struct ResetProxy {
    addr: SocketAddr,
    state: Arc<ProxyState>,
    task: JoinHandle<()>,
}

struct ProxyState {
    upstream: SocketAddr,
    reset_next: AtomicU64,
    resets: AtomicU64,
    sever: watch::Sender<u64>,
}

impl ResetProxy {
    /// Listen on a free loopback port and forward to `upstream`.
    pub async fn start(upstream: SocketAddr) -> ResetProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let state = Arc::new(ProxyState {
            upstream,
            reset_next: AtomicU64::new(0),
            resets: AtomicU64::new(0),
            sever: watch::channel(0).0,
        });
        let accepting = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(handle(Arc::clone(&accepting), client));
            }
        });
        ResetProxy { addr, state, task }
    }

    /// The proxy's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Reset the next `n` connections (added to any still pending).
    pub fn reset_next(&self, n: u64) {
        self.state.reset_next.fetch_add(n, Ordering::SeqCst);
    }

    /// Reset every forwarded connection open now.
    pub fn sever_all(&self) {
        self.state.sever.send_modify(|generation| *generation += 1);
    }

    /// Connections reset so far (by `reset_next`, `sever_all` or a refusing upstream).
    pub fn resets(&self) -> u64 {
        self.state.resets.load(Ordering::SeqCst)
    }
}

impl Drop for ResetProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.sever_all();
    }
}

async fn handle(state: Arc<ProxyState>, mut client: TcpStream) {
    let take_reset = state
        .reset_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if take_reset {
        // Wait for the request to start, so the client has something in flight to lose.
        let mut first = [0u8; 1];
        let _ = tokio::time::timeout(Duration::from_secs(1), client.read(&mut first)).await;
        reset(&state, client);
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(state.upstream).await else {
        reset(&state, client);
        return;
    };
    let mut severed = state.sever.subscribe();
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
        _ = severed.changed() => reset(&state, client),
    }
}

/// Close with SO_LINGER 0, which sends RST instead of FIN.
fn reset(state: &ProxyState, stream: TcpStream) {
    // If linger cannot be set the close is a FIN: still a broken request for the client.
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
    state.resets.fetch_add(1, Ordering::SeqCst);
}
