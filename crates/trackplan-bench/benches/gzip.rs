//! gzip cost of one real trackplan batch body at several compression levels: compressed size and
//! time per body, to choose the level the HTTP transport uses.
//!
//! `cargo bench -p trackplan-bench --bench gzip`
//! (flate2's backend is whatever the workspace enables: see BENCHMARKS.md.)

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::Compression;
use trackplan::{
    BatchRequest, Client, RawEvent, SendFuture, Transport, TransportResponse, User,
    ValidationPolicy,
};
use trackplan_bench::{order, tally};

/// Keeps the body of every batch it is given.
#[derive(Clone, Default)]
struct Keep(Arc<Mutex<Vec<Vec<u8>>>>);

impl Transport for Keep {
    fn send<'a>(&'a self, request: BatchRequest<'a>) -> SendFuture<'a> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(request.body.to_vec());
        Box::pin(std::future::ready(Ok(TransportResponse::status(200))))
    }
}

/// The first body trackplan sends for `messages` "Order Completed" events (a full 500 KB body
/// when they do not fit in one).
fn body(messages: usize) -> Vec<u8> {
    let keep = Keep::default();
    let client = Client::builder("bench-write-key")
        .transport(keep.clone())
        .validation(ValidationPolicy::Off)
        .flush_at(messages)
        .flush_interval(Duration::from_secs(3600))
        .build()
        .expect("client");
    for i in 0..messages {
        let data = order(i);
        let event = RawEvent::new("Order Completed", data.to_json());
        client
            .track(&User::id(data.user_id.as_str()), &event)
            .expect("enqueue");
    }
    assert!(client
        .shutdown_blocking(Duration::from_secs(30))
        .is_complete());
    let bodies = keep.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    bodies.into_iter().next().unwrap_or_default()
}

fn gzip(body: &[u8], level: Compression) -> usize {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), level);
    encoder.write_all(body).expect("gzip into memory");
    encoder.finish().expect("gzip into memory").len()
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let rounds = if benching { 200 } else { 2 };
    println!("gzip of one trackplan batch body (flate2 backend per the workspace features)");
    println!(
        "  {:>8} {:>10} {:>5} {:>11} {:>7} {:>10}",
        "messages", "raw bytes", "level", "gzip bytes", "ratio", "us/body"
    );
    for messages in [250, 2_500] {
        let body = body(messages);
        let messages = tally(&body).messages;
        for level in [1, 3, 6] {
            let level = Compression::new(level);
            let size = gzip(&body, level);
            let start = Instant::now();
            for _ in 0..rounds {
                std::hint::black_box(gzip(std::hint::black_box(&body), level));
            }
            let per_body = start.elapsed() / rounds;
            println!(
                "  {:>8} {:>10} {:>5} {:>11} {:>6.1}x {:>10.0}",
                messages,
                body.len(),
                level.level(),
                size,
                body.len() as f64 / size as f64,
                per_body.as_secs_f64() * 1e6
            );
        }
    }
}
