//! Shared pieces of the transport benchmarks: a loopback Segment-like server that counts what it
//! accepts and can inject faults, and the realistic order data every library sends.

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// What the server has seen since the last [`LoopbackServer::reset`].
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    accepted_messages: AtomicU64,
    faults: AtomicBool,
    /// Added to every response: a network round trip to a real endpoint.
    latency_ms: AtomicU64,
}

/// A `/v1/batch` (and `/v1/track`) endpoint on 127.0.0.1 that decompresses and parses every
/// body, counts the messages of the requests it accepts, can delay every answer (to stand for a
/// network round trip), and, in fault mode, answers 1 request in 5 with 500 and 1 in 7 (of the
/// rest) with 429 and `Retry-After: 1`.
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
        let counters: Arc<Counters> = Arc::default();
        let state = Arc::clone(&counters);
        let handler = move |headers: HeaderMap, body: Bytes| {
            let state = Arc::clone(&state);
            async move {
                let latency = state.latency_ms.load(Ordering::SeqCst);
                if latency > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
                }
                answer(&state, &headers, &body)
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

    /// Zero the counters, switch fault injection on or off, and set the latency added to
    /// every answer.
    pub fn reset(&self, faults: bool, latency: std::time::Duration) {
        self.counters.requests.store(0, Ordering::SeqCst);
        self.counters.accepted_messages.store(0, Ordering::SeqCst);
        self.counters.faults.store(faults, Ordering::SeqCst);
        self.counters
            .latency_ms
            .store(latency.as_millis() as u64, Ordering::SeqCst);
    }

    /// Messages in accepted requests since the last reset.
    pub fn accepted(&self) -> u64 {
        self.counters.accepted_messages.load(Ordering::SeqCst)
    }

    /// Requests received since the last reset.
    pub fn requests(&self) -> u64 {
        self.counters.requests.load(Ordering::SeqCst)
    }
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

fn answer(counters: &Counters, headers: &HeaderMap, body: &[u8]) -> Response {
    let n = counters.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let json = if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
        let mut out = Vec::with_capacity(body.len() * 8);
        if flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .is_err()
        {
            return (StatusCode::BAD_REQUEST, "bad gzip").into_response();
        }
        out
    } else {
        body.to_vec()
    };
    let Some(messages) = count_messages(&json) else {
        return (StatusCode::BAD_REQUEST, "bad json").into_response();
    };
    if counters.faults.load(Ordering::SeqCst) {
        match fault_for(n) {
            Some(429) => {
                return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "").into_response()
            }
            Some(status) => {
                return StatusCode::from_u16(status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                    .into_response()
            }
            None => {}
        }
    }
    counters
        .accepted_messages
        .fetch_add(messages, Ordering::SeqCst);
    (StatusCode::OK, r#"{"success":true}"#).into_response()
}

/// Messages in a body: the length of `batch`, or 1 for a single message.
pub fn count_messages(json: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Body {
        batch: Option<Vec<serde::de::IgnoredAny>>,
    }
    let body: Body = serde_json::from_slice(json).ok()?;
    Some(body.batch.map_or(1, |b| b.len() as u64))
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
    fn messages_are_counted_in_batches_and_singles() {
        assert_eq!(
            count_messages(br#"{"batch":[{},{"a":[1]}],"sentAt":"x"}"#),
            Some(2)
        );
        assert_eq!(count_messages(br#"{"type":"track"}"#), Some(1));
        assert_eq!(count_messages(b"nope"), None);
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
