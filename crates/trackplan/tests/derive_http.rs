//! A derived event over real HTTP: the batch body that reaches the local collector (in
//! process, on 127.0.0.1) holds the derived properties byte for byte (the typed path is not
//! re-serialised on the way).

use std::time::Duration;

use trackplan::{Client, Properties as _, User};
use trackplan_collector::{Collector, CollectorConfig};

#[derive(trackplan::Event)]
#[event(name = "Order Completed")]
struct OrderCompleted {
    order_id: String,
    total: f64,
    coupon: Option<String>,
    tier: Tier,
    products: Vec<Product>,
}

#[derive(trackplan::Properties)]
struct Product {
    product_id: String,
    price: f64,
    quantity: u32,
}

#[derive(trackplan::Enum)]
enum Tier {
    Pro,
}

/// A client sending to `collector` over plain HTTP on 127.0.0.1.
fn client_to(collector: &Collector) -> Client {
    Client::builder("write-key")
        .endpoint(collector.url())
        .allow_insecure_http(true)
        .gzip(false)
        .flush_interval(Duration::from_millis(10))
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batch_body_carries_the_derived_bytes() {
    // The collector's recording keeps each message's text as it arrived in the request body.
    let recording = std::env::temp_dir().join(format!(
        "trackplan-derive-http-{}.ndjson",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&recording);
    let collector = Collector::start(CollectorConfig::new().record(&recording))
        .await
        .expect("a collector on 127.0.0.1");
    let client = client_to(&collector);
    let order = OrderCompleted {
        order_id: "o-1".into(),
        total: 27.5,
        coupon: None,
        tier: Tier::Pro,
        products: vec![Product {
            product_id: "p-1".into(),
            price: 27.5,
            quantity: 1,
        }],
    };
    client.track(&User::id("u1"), &order).expect("enqueued");
    let report =
        tokio::task::spawn_blocking(move || client.shutdown_blocking(Duration::from_secs(10)))
            .await
            .expect("shutdown");
    assert!(report.is_complete(), "{report:?}");

    let mut derived = Vec::new();
    order.write_properties(&mut derived).expect("encodes");
    let derived = String::from_utf8(derived).expect("UTF-8");
    assert_eq!(
        derived,
        r#"{"order_id":"o-1","total":27.5,"tier":"pro","products":[{"product_id":"p-1","price":27.5,"quantity":1}]}"#
    );
    let recorded = std::fs::read_to_string(&recording).expect("the recording");
    let _ = std::fs::remove_file(&recording);
    let lines: Vec<&str> = recorded.lines().collect();
    assert_eq!(lines.len(), 1, "{recorded}");
    assert!(
        lines[0].contains(&format!(r#""properties":{derived}"#)),
        "{recorded}"
    );

    let events = collector.events();
    assert_eq!(events.len(), 1);
    let message = &events[0].message;
    assert!(events[0].valid, "{:?}", events[0].violations);
    assert_eq!(message["type"], "track");
    assert_eq!(message["event"], "Order Completed");
    assert_eq!(message["userId"], "u1");
}
