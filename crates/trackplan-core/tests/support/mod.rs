//! A Segment-like HTTP server on 127.0.0.1 for the transport tests: records every request
//! (headers, decompressed body) and answers from a script of faults, deterministically.

#![allow(dead_code)] // each test binary uses part of it

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use trackplan_core::testing::ManualClock;

/// How the server answers one request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// This status, empty body.
    Status(u16),
    /// This status with a `Retry-After` header.
    RetryAfter(u16, &'static str),
    /// Wait, then 200.
    Delay(Duration),
    /// Never answer (the client's request timeout must fire).
    Hang,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub headers: HeaderMap,
    /// Body size on the wire (compressed when gzipped).
    pub wire_len: usize,
    /// Body size after decompression.
    pub json_len: usize,
    pub body: Value,
    /// The answer given (200 for a delayed success).
    pub answer: Answer,
}

impl Recorded {
    pub fn accepted(&self) -> bool {
        matches!(self.answer, Answer::Status(200..=299) | Answer::Delay(_))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn messages(&self) -> &[Value] {
        self.body["batch"].as_array().map_or(&[], Vec::as_slice)
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Answer>,
    /// Answer every n-th request (1-based) with a status, after the script runs out.
    every: Vec<(usize, u16)>,
    count: usize,
    requests: Vec<Recorded>,
}

/// The running server. Dropping it stops it.
pub struct Server {
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Server {
        let state: Arc<Mutex<State>> = Arc::default();
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handler_state = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                url_tx
                    .send(format!("http://{}", listener.local_addr().unwrap()))
                    .unwrap();
                let app = axum::Router::new().route(
                    "/v1/batch",
                    axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                        let state = Arc::clone(&handler_state);
                        async move { answer(state, headers, body).await }
                    }),
                );
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
            // Hung handlers are abandoned with the runtime.
            runtime.shutdown_background();
        });
        let url = url_rx.recv().unwrap();
        Server {
            url,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Answer the next requests in this order, then 200 (or the `every` rules).
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) -> &Self {
        self.state.lock().unwrap().script.extend(answers);
        self
    }

    /// After the script: answer every `n`-th request with `status` (first matching rule wins).
    pub fn every(&self, n: usize, status: u16) -> &Self {
        self.state.lock().unwrap().every.push((n, status));
        self
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Messages in accepted requests.
    pub fn delivered(&self) -> Vec<Value> {
        self.requests()
            .iter()
            .filter(|r| r.accepted())
            .flat_map(|r| r.messages().to_vec())
            .collect()
    }

    /// How many times each messageId was accepted.
    pub fn delivered_ids(&self) -> HashMap<String, usize> {
        let mut ids = HashMap::new();
        for message in self.delivered() {
            *ids.entry(message["messageId"].as_str().unwrap_or_default().to_owned())
                .or_insert(0) += 1;
        }
        ids
    }

    /// Wait (polling, bounded) until `n` messages were accepted.
    pub fn wait_for_delivered(&self, n: usize, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.delivered().len() >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn answer(state: Arc<Mutex<State>>, headers: HeaderMap, body: Bytes) -> Response {
    let gzipped = headers.get("content-encoding").is_some_and(|v| v == "gzip");
    let json = if gzipped {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .is_err()
        {
            return (StatusCode::BAD_REQUEST, "bad gzip").into_response();
        }
        out
    } else {
        body.to_vec()
    };
    let parsed: Value = serde_json::from_slice(&json).unwrap_or(Value::Null);
    let answer = {
        let mut state = state.lock().unwrap();
        state.count += 1;
        let count = state.count;
        let answer = state.script.pop_front().unwrap_or_else(|| {
            let status = state
                .every
                .iter()
                .find(|(n, _)| count.is_multiple_of(*n))
                .map_or(200, |&(_, s)| s);
            Answer::Status(status)
        });
        state.requests.push(Recorded {
            headers,
            wire_len: body.len(),
            json_len: json.len(),
            body: parsed,
            answer: answer.clone(),
        });
        answer
    };
    match answer {
        Answer::Status(status) => status_response(status, None),
        Answer::RetryAfter(status, after) => status_response(status, Some(after)),
        Answer::Delay(delay) => {
            tokio::time::sleep(delay).await;
            status_response(200, None)
        }
        Answer::Hang => std::future::pending().await,
    }
}

fn status_response(status: u16, retry_after: Option<&'static str>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, r#"{"success":true}"#).into_response();
    if let Some(after) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", after.parse().unwrap());
    }
    response
}

/// The longest pause [`driving`] lets pass: Segment's cap on a Retry-After wait (a backoff is at
/// most 60 s). Clients it drives need a longer flush interval, so that the interval is never
/// mistaken for a pause.
pub const LONGEST_PAUSE: Duration = Duration::from_secs(300);

/// Run `wait` (a flush) on its own thread and, while it waits, let the client's backoff and
/// Retry-After pauses pass at once: advance `clock` to each deadline the client sleeps until.
pub fn driving<T: Send>(clock: &ManualClock, wait: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let waiting = scope.spawn(wait);
        while !waiting.is_finished() {
            let pause = clock
                .next_wake()
                .map(|at| at.saturating_duration_since(clock.now()));
            if pause.is_none_or(|pause| pause > LONGEST_PAUSE)
                || clock.advance_to_next_wake().is_zero()
            {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        waiting.join().expect("the waiting thread panicked")
    })
}
