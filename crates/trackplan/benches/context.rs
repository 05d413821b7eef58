//! What a typed context costs `track()`: the same event tracked with no context, with a typical
//! per-call context (web request: ip, user agent, locale, page) over a client default (app, os),
//! and with a consent source on top, in one run so the variants share the machine's load.
//!
//! `cargo bench -p trackplan --bench context`. The transport accepts every batch at once, and the
//! time measured is the calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), so the figures
//! are the caller's encoding and enqueue, not the worker's delivery on the other core or time the
//! caller spent preempted on a loaded machine.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use trackplan::context::{App, Os, Page};
use trackplan::{
    BatchRequest, CallOptions, Client, ClientBuilder, Consent, Context, EnqueueError, FullPolicy,
    MessageId, SendFuture, Transport, TransportResponse, User,
};

/// Accepts every batch without reading it.
struct Discard;

impl Transport for Discard {
    fn send<'a>(&'a self, _request: BatchRequest<'a>) -> SendFuture<'a> {
        Box::pin(std::future::ready(Ok(TransportResponse::status(200))))
    }
}

#[derive(trackplan::Event)]
struct ProductViewed {
    product_id: String,
    name: String,
    category: String,
    price: f64,
    currency: String,
}

fn builder() -> ClientBuilder {
    Client::builder("write-key")
        .transport(Discard)
        // The worker drains on the other core; never refuse a call because it fell behind.
        .when_full(FullPolicy::Block(Duration::from_secs(10)))
}

/// The client-level part of a typical context: what the app is and runs on.
fn default_context() -> Context {
    Context::new()
        .app(App {
            name: Some("shop".into()),
            version: Some("4.2.0".into()),
            build: Some("4207".into()),
            ..App::default()
        })
        .os(Os {
            name: Some("Linux".into()),
            version: Some("6.8".into()),
        })
}

/// The per-call part of a typical context: the web request the event came from.
fn request_context() -> Context {
    Context::new()
        .ip("203.0.113.7".parse().expect("an IP address"))
        .user_agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15")
        .locale("en-GB")
        .page(Page {
            path: Some("/products/p-1042".into()),
            url: Some("https://shop.example.com/products/p-1042".into()),
            title: Some("Trail Shoe 2".into()),
            referrer: Some("https://www.example.org/".into()),
            ..Page::default()
        })
}

/// One way of tracking the event.
type Track<'a> = dyn Fn(&User, &ProductViewed) -> Result<MessageId, EnqueueError> + 'a;

fn bench(c: &mut Criterion) {
    let event = ProductViewed {
        product_id: "p-1042".into(),
        name: "Trail Shoe 2".into(),
        category: "Shoes".into(),
        price: 89.95,
        currency: "EUR".into(),
    };
    let user = User::id("u-1042");
    let plain = builder().build().expect("client");
    let with_default = builder()
        .context(default_context())
        .build()
        .expect("client");
    let with_consent = builder()
        .context(default_context())
        .consent(|_: &User| Consent::new().grant("Analytics").deny("Advertising"))
        .build()
        .expect("client");
    let request = CallOptions::new().context(request_context());

    let built_per_call = |user: &User, event: &ProductViewed| {
        let request = CallOptions::new().context(request_context());
        with_default.track_with(user, event, &request)
    };
    let variants: [(&str, &Track); 5] = [
        ("no_context", &|user, event| plain.track(user, event)),
        ("default_context", &|user, event| {
            with_default.track(user, event)
        }),
        ("typical_context", &|user, event| {
            with_default.track_with(user, event, &request)
        }),
        ("typical_context_built_per_call", &built_per_call),
        ("typical_context_and_consent", &|user, event| {
            with_consent.track_with(user, event, &request)
        }),
    ];
    let mut group = c.benchmark_group("track");
    for (name, track) in variants {
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter_custom(|iterations| {
                let start = thread_cpu_time();
                for _ in 0..iterations {
                    track(black_box(&user), black_box(&event)).expect("queued");
                }
                thread_cpu_time() - start
            })
        });
    }
    group.finish();
    for client in [plain, with_default, with_consent] {
        client.shutdown_blocking(Duration::from_secs(10));
    }
}

/// CPU time of the calling thread so far.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; the clock id is a constant Linux provides.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "the thread CPU clock is readable");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

criterion_group!(benches, bench);
criterion_main!(benches);
