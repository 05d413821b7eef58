//! Shared pieces of the transport benchmarks: a loopback Segment-like server that counts what it
//! accepts and can inject faults, and the realistic order data every library sends.
//!
//! The server stands in for Segment's remote servers but runs on the same cores as the
//! libraries it measures, so it does as little as it can while still proving delivery: it
//! decompresses each body, counts the objects of its `batch` array with a structural scan (no
//! JSON tree) and checks that no `messageId` is accepted twice (a set of 64-bit hashes, with
//! foldhash rather than SipHash: only trackplan sends ids, so this check's cost falls on
//! trackplan's runs alone and is kept small).

use std::collections::HashSet;
use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use std::io::Read;
use std::sync::atomic::AtomicU8;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use memchr::memmem;

/// Which requests the server answers with an error instead of taking them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Faults {
    /// Every well-formed request is accepted.
    None,
    /// [`fault_for`]: 1 request in 5 answered 500, 1 in 7 of the rest 429 with `Retry-After: 1`.
    Mixed,
    /// Every second request answered 429 without `Retry-After`: an API shedding load.
    Storm429,
}

impl Faults {
    fn from_u8(value: u8) -> Faults {
        match value {
            1 => Faults::Mixed,
            2 => Faults::Storm429,
            _ => Faults::None,
        }
    }
}

/// What the server has seen since the last [`LoopbackServer::reset`].
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    /// Requests answered 200.
    accepted_requests: AtomicU64,
    accepted_messages: AtomicU64,
    /// Requests being handled now, and the most at once.
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    /// When each accepted request arrived (before the added latency), with its message count,
    /// in the order they were accepted.
    arrivals: Mutex<Vec<(Instant, u64)>>,
    /// Accepted messages whose `messageId` had already been accepted.
    duplicates: AtomicU64,
    /// Hashes of the accepted `messageId`s (sized for a 100,000-event run up front; `clear`
    /// keeps the room).
    ids: Mutex<HashSet<u64, RandomState>>,
    id_hasher: RandomState,
    /// A [`Faults`] as its `u8`.
    faults: AtomicU8,
    /// Added to every response: a network round trip to a real endpoint.
    latency_ms: AtomicU64,
}

/// A `/v1/batch` (and `/v1/track`) endpoint on 127.0.0.1 that decompresses every body, counts
/// the messages of the requests it accepts and the `messageId`s accepted more than once, counts
/// the requests in flight at once, can delay every answer (to stand for a network round trip),
/// and can answer some requests with errors ([`Faults`]).
pub struct LoopbackServer {
    pub url: String,
    counters: Arc<Counters>,
    _runtime: tokio::runtime::Runtime,
}

impl LoopbackServer {
    pub fn start() -> std::io::Result<LoopbackServer> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let url = format!("http://{}", listener.local_addr()?);
        let counters = Arc::new(Counters {
            ids: Mutex::new(HashSet::with_capacity_and_hasher(
                1 << 17,
                RandomState::default(),
            )),
            ..Counters::default()
        });
        let state = Arc::clone(&counters);
        let handler = move |headers: HeaderMap, body: Bytes| {
            let state = Arc::clone(&state);
            async move {
                let arrived = Instant::now();
                let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                state.peak_in_flight.fetch_max(now, Ordering::SeqCst);
                let latency = state.latency_ms.load(Ordering::SeqCst);
                if latency > 0 {
                    tokio::time::sleep(Duration::from_millis(latency)).await;
                }
                let response = answer(&state, arrived, &headers, &body);
                state.in_flight.fetch_sub(1, Ordering::SeqCst);
                response
            }
        };
        let app = axum::Router::new()
            .route("/v1/batch", axum::routing::post(handler.clone()))
            .route("/v1/track", axum::routing::post(handler));
        runtime.spawn(async move { axum::serve(listener, app).await });
        Ok(LoopbackServer {
            url,
            counters,
            _runtime: runtime,
        })
    }

    /// Zero the counters, choose which requests fail, and set the latency added to every
    /// answer.
    pub fn reset(&self, faults: Faults, latency: Duration) {
        self.counters.requests.store(0, Ordering::SeqCst);
        self.counters.accepted_requests.store(0, Ordering::SeqCst);
        self.counters.accepted_messages.store(0, Ordering::SeqCst);
        self.counters.duplicates.store(0, Ordering::SeqCst);
        self.counters.peak_in_flight.store(0, Ordering::SeqCst);
        lock(&self.counters.ids).clear();
        lock(&self.counters.arrivals).clear();
        self.counters.faults.store(faults as u8, Ordering::SeqCst);
        self.counters
            .latency_ms
            .store(latency.as_millis() as u64, Ordering::SeqCst);
    }

    /// Messages in accepted requests since the last reset.
    pub fn accepted(&self) -> u64 {
        self.counters.accepted_messages.load(Ordering::SeqCst)
    }

    /// Accepted messages whose `messageId` was already accepted since the last reset (0 when
    /// every message was delivered exactly once; messages without an id are not checked).
    pub fn duplicates(&self) -> u64 {
        self.counters.duplicates.load(Ordering::SeqCst)
    }

    /// Distinct `messageId`s accepted since the last reset.
    pub fn distinct_ids(&self) -> u64 {
        lock(&self.counters.ids).len() as u64
    }

    /// Requests received since the last reset.
    pub fn requests(&self) -> u64 {
        self.counters.requests.load(Ordering::SeqCst)
    }

    /// Requests answered 200 (delivered batches) since the last reset.
    pub fn accepted_requests(&self) -> u64 {
        self.counters.accepted_requests.load(Ordering::SeqCst)
    }

    /// The most requests the server was handling at once since the last reset.
    pub fn peak_in_flight(&self) -> u64 {
        self.counters.peak_in_flight.load(Ordering::SeqCst)
    }

    /// When each accepted request arrived and how many messages it held, since the last reset.
    pub fn arrivals(&self) -> Vec<(Instant, u64)> {
        lock(&self.counters.arrivals).clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The fault plan: request `n` (1-based) gets 500 when n % 5 == 0, else 429 when n % 7 == 0.
pub fn fault_for(n: u64) -> Option<u16> {
    if n.is_multiple_of(5) {
        Some(500)
    } else if n.is_multiple_of(7) {
        Some(429)
    } else {
        None
    }
}

thread_local! {
    /// Each server thread decompresses into one reused buffer.
    static INFLATED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn answer(counters: &Counters, arrived: Instant, headers: &HeaderMap, body: &[u8]) -> Response {
    let n = counters.requests.fetch_add(1, Ordering::SeqCst) + 1;
    match (
        Faults::from_u8(counters.faults.load(Ordering::SeqCst)),
        fault_for(n),
    ) {
        (Faults::Mixed, Some(429)) => {
            return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "").into_response()
        }
        (Faults::Mixed, Some(status)) => {
            return StatusCode::from_u16(status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                .into_response()
        }
        (Faults::Storm429, _) if n.is_multiple_of(2) => {
            return StatusCode::TOO_MANY_REQUESTS.into_response()
        }
        _ => {}
    }
    if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
        INFLATED.with_borrow_mut(|json| {
            json.clear();
            match flate2::read::GzDecoder::new(body).read_to_end(json) {
                Ok(_) => accept(counters, arrived, tally(json)),
                Err(_) => (StatusCode::BAD_REQUEST, "bad gzip").into_response(),
            }
        })
    } else {
        accept(counters, arrived, tally(body))
    }
}

/// Count a body's messages as delivered (and its repeated ids), or refuse a body without any.
fn accept(counters: &Counters, arrived: Instant, tally: Tally<'_>) -> Response {
    if tally.messages == 0 {
        return (StatusCode::BAD_REQUEST, "no messages").into_response();
    }
    let fresh = {
        let mut ids = lock(&counters.ids);
        tally
            .ids
            .iter()
            .filter(|id| ids.insert(counters.id_hasher.hash_one(id)))
            .count()
    };
    counters
        .duplicates
        .fetch_add((tally.ids.len() - fresh) as u64, Ordering::SeqCst);
    counters
        .accepted_messages
        .fetch_add(tally.messages, Ordering::SeqCst);
    counters.accepted_requests.fetch_add(1, Ordering::SeqCst);
    lock(&counters.arrivals).push((arrived, tally.messages));
    (StatusCode::OK, r#"{"success":true}"#).into_response()
}

/// What a body holds, found by scanning instead of parsing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally<'a> {
    /// Messages: the objects in the top-level `batch` array, or 1 for a single-message body.
    pub messages: u64,
    /// The messages' `messageId` values, where they have one.
    pub ids: Vec<&'a [u8]>,
}

/// Count the messages of a JSON body and collect their `messageId`s, without building a tree.
pub fn tally(json: &[u8]) -> Tally<'_> {
    const ID_KEY: &[u8] = br#""messageId":""#;
    let messages = match memmem::find(json, br#""batch":["#) {
        Some(at) => top_level_objects(&json[at + br#""batch":["#.len()..]),
        None => u64::from(json.first() == Some(&b'{')),
    };
    let ids = memmem::find_iter(json, ID_KEY)
        .filter_map(|at| {
            let start = at + ID_KEY.len();
            let len = memchr::memchr(b'"', &json[start..])?;
            Some(&json[start..start + len])
        })
        .collect();
    Tally { messages, ids }
}

/// Objects directly inside an array whose opening `[` was just before `json`: a structural scan
/// that skips string contents (escapes included) with memchr.
fn top_level_objects(json: &[u8]) -> u64 {
    let (mut depth, mut objects, mut i) = (1u32, 0u64, 0);
    while i < json.len() {
        match json[i] {
            b'"' => loop {
                let Some(at) = memchr::memchr2(b'"', b'\\', &json[i + 1..]) else {
                    return objects;
                };
                i += 1 + at;
                if json[i] == b'"' {
                    break;
                }
                i += 1; // the escaped byte
            },
            b'{' | b'[' => {
                objects += u64::from(depth == 1 && json[i] == b'{');
                depth += 1;
            }
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        i += 1;
    }
    objects
}

/// The same order as a typed event, `#[derive(trackplan::Event)]`: what trackplan users send.
#[derive(trackplan::Event)]
#[event(name = "Order Completed")]
pub struct OrderCompleted<'a> {
    pub order_id: &'a str,
    pub affiliation: &'a str,
    pub total: f64,
    pub revenue: f64,
    pub shipping: f64,
    pub tax: f64,
    pub discount: f64,
    pub coupon: &'a str,
    pub currency: &'a str,
    pub products: [Product<'a>; 2],
}

/// One product of [`OrderCompleted`], `#[derive(trackplan::Properties)]`.
#[derive(trackplan::Properties)]
pub struct Product<'a> {
    pub product_id: &'a str,
    pub sku: &'a str,
    pub name: &'a str,
    pub category: &'a str,
    pub brand: &'a str,
    pub price: f64,
    pub quantity: u32,
}

impl<'a> From<&'a ProductData> for Product<'a> {
    fn from(p: &'a ProductData) -> Self {
        Product {
            product_id: &p.product_id,
            sku: &p.sku,
            name: &p.name,
            category: &p.category,
            brand: &p.brand,
            price: p.price,
            quantity: p.quantity,
        }
    }
}

impl<'a> From<&'a OrderData> for OrderCompleted<'a> {
    fn from(o: &'a OrderData) -> Self {
        OrderCompleted {
            order_id: &o.order_id,
            affiliation: &o.affiliation,
            total: o.total,
            revenue: o.revenue,
            shipping: o.shipping,
            tax: o.tax,
            discount: o.discount,
            coupon: &o.coupon,
            currency: &o.currency,
            products: [Product::from(&o.products[0]), Product::from(&o.products[1])],
        }
    }
}

/// One product of an order.
#[derive(Debug, Clone)]
pub struct ProductData {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub brand: String,
    pub price: f64,
    pub quantity: u32,
}

/// A realistic "Order Completed": ten properties and two products.
#[derive(Debug, Clone)]
pub struct OrderData {
    pub user_id: String,
    pub order_id: String,
    pub affiliation: String,
    pub total: f64,
    pub revenue: f64,
    pub shipping: f64,
    pub tax: f64,
    pub discount: f64,
    pub coupon: String,
    pub currency: String,
    pub products: [ProductData; 2],
}

/// The `i`-th order (deterministic).
pub fn order(i: usize) -> OrderData {
    let price_a = 10.0 + (i % 90) as f64 + 0.99;
    let price_b = 5.0 + (i % 40) as f64 + 0.49;
    let product = |n: usize, price: f64, quantity: u32| ProductData {
        product_id: format!("507f1f77bcf86cd7994{:05}", (i * 2 + n) % 100_000),
        sku: format!("SKU-{:06}", (i * 7 + n) % 1_000_000),
        name: if n == 0 {
            "Monopoly: 3rd Edition".to_owned()
        } else {
            "Uno Card Game".to_owned()
        },
        category: "Games".to_owned(),
        brand: if n == 0 {
            "Hasbro".to_owned()
        } else {
            "Mattel".to_owned()
        },
        price,
        quantity,
    };
    let subtotal = price_a + price_b * 2.0;
    OrderData {
        user_id: format!("user-{}", i % 5_000),
        order_id: format!("order-{i:08}"),
        affiliation: "Google Store".to_owned(),
        total: subtotal + 3.0 + 2.25 - 2.5,
        revenue: subtotal - 2.5,
        shipping: 3.0,
        tax: 2.25,
        discount: 2.5,
        coupon: "hasbros".to_owned(),
        currency: "USD".to_owned(),
        products: [product(0, price_a, 1), product(1, price_b, 2)],
    }
}

impl OrderData {
    /// The properties as a `serde_json::Value`, as untyped clients take them.
    pub fn to_json(&self) -> serde_json::Value {
        let products: Vec<serde_json::Value> = self
            .products
            .iter()
            .map(|p| {
                serde_json::json!({
                    "product_id": p.product_id, "sku": p.sku, "name": p.name, "category": p.category,
                    "brand": p.brand, "price": p.price, "quantity": p.quantity,
                })
            })
            .collect();
        serde_json::json!({
            "order_id": self.order_id, "affiliation": self.affiliation, "total": self.total,
            "revenue": self.revenue, "shipping": self.shipping, "tax": self.tax,
            "discount": self.discount, "coupon": self.coupon, "currency": self.currency,
            "products": products,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_plan_is_one_in_five_500_then_one_in_seven_429() {
        let faults: Vec<_> = (1..=35)
            .filter_map(|n| fault_for(n).map(|s| (n, s)))
            .collect();
        assert_eq!(
            faults,
            [
                (5, 500),
                (7, 429),
                (10, 500),
                (14, 429),
                (15, 500),
                (20, 500),
                (21, 429),
                (25, 500),
                (28, 429),
                (30, 500),
                (35, 500)
            ]
        );
    }

    #[test]
    fn messages_and_ids_are_found_by_scanning() {
        let body = br#"{"batch":[{"type":"track","messageId":"a-1","properties":{"x":[1]}},{"type":"identify"}],"sentAt":"x"}"#;
        assert_eq!(
            tally(body),
            Tally {
                messages: 2,
                ids: vec![&b"a-1"[..]]
            }
        );
        assert_eq!(tally(br#"{"type":"track"}"#).messages, 1);
        assert_eq!(tally(b"nope"), Tally::default());
        // Strings with brackets and escaped quotes, nested arrays, repeated keys.
        let tricky = br#"{"batch":[{"type":"t","type":"t","p":"]}{\"[","a":[{"b":[]}]},{"c":"\\"}],"x":[{}]}"#;
        assert_eq!(tally(tricky).messages, 2);
    }

    #[test]
    fn the_server_counts_accepted_messages_and_repeated_ids() {
        let server = LoopbackServer::start().unwrap();
        let post = |body: &'static str| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let url = format!("{}/v1/batch", server.url);
            runtime.block_on(async move {
                let mut stream = tokio::net::TcpStream::connect(url.trim_start_matches("http://").trim_end_matches("/v1/batch")).await.unwrap();
                let request = format!(
                    "POST /v1/batch HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes()).await.unwrap();
                let mut answer = Vec::new();
                tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut answer).await.unwrap();
                String::from_utf8(answer).unwrap()
            })
        };
        let one =
            r#"{"batch":[{"type":"track","messageId":"m1"},{"type":"track","messageId":"m2"}]}"#;
        assert!(post(one).starts_with("HTTP/1.1 200"));
        assert!(post(one).starts_with("HTTP/1.1 200"));
        assert!(post(r#"{"batch":[]}"#).starts_with("HTTP/1.1 400"));
        assert_eq!(server.accepted(), 4);
        assert_eq!(server.duplicates(), 2);
        assert_eq!(server.distinct_ids(), 2);
        assert_eq!(server.requests(), 3);
        assert_eq!(server.accepted_requests(), 2);
        assert_eq!(server.peak_in_flight(), 1, "one request at a time");
        let counts: Vec<u64> = server.arrivals().iter().map(|&(_, n)| n).collect();
        assert_eq!(counts, [2, 2]);
        server.reset(Faults::Storm429, Duration::ZERO);
        let answers: Vec<bool> = (0..4)
            .map(|_| post(one).starts_with("HTTP/1.1 429"))
            .collect();
        assert_eq!(answers, [false, true, false, true], "every second request");
        assert_eq!(server.accepted_requests(), 2);
        server.reset(Faults::None, Duration::ZERO);
        assert_eq!(
            (
                server.accepted(),
                server.duplicates(),
                server.distinct_ids()
            ),
            (0, 0, 0)
        );
    }

    #[test]
    fn orders_have_ten_properties_and_two_products() {
        let json = order(3).to_json();
        assert_eq!(json.as_object().map(|o| o.len()), Some(10));
        assert_eq!(json["products"].as_array().map(Vec::len), Some(2));
        let size = json.to_string().len();
        assert!((400..1_000).contains(&size), "{size} bytes");
    }
}
