//! trackplan in one run: `cargo run --example quickstart`.
//!
//! 1. Starts the local Segment-compatible collector on 127.0.0.1 with the e-commerce tracking plan
//!    (`schemas/ecommerce.json`, embedded in this binary), as `trackplan serve` would.
//! 2. Sends typed events generated from that plan by `trackplan::plan!`, plus identify traits from
//!    a `#[derive(Traits)]` struct, through the real HTTP transport (Basic auth, gzip, batching).
//! 3. Sends one deliberately wrong untyped event, the kind of typo the typed path makes impossible.
//! 4. Shuts the client down (delivering everything) and prints what arrived and what the validator
//!    said about each message.

use std::time::Duration;

use trackplan::{Client, RawEvent, User};
use trackplan_collector::{Collector, CollectorConfig, ReceivedEvent};

/// Every event of Segment's e-commerce spec v2, as Rust types, checked when this file compiles.
mod ecommerce {
    trackplan::plan!("schemas/ecommerce.json");
}

/// Identify traits defined in application code: names checked at compile time.
#[derive(trackplan::Traits)]
struct CustomerTraits {
    email: String,
    #[property(rename = "firstName")]
    first_name: Option<String>,
    plan: &'static str,
}

const PLAN: &str = include_str!("../schemas/ecommerce.json");
const WRITE_KEY: &str = "quickstart-write-key";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let plan = trackplan_plan::parse(PLAN, &Default::default())?;
    let collector =
        Collector::start(CollectorConfig::new().plan(plan).write_key(WRITE_KEY)).await?;
    println!("collector listening on {}", collector.url());

    let client = Client::builder(WRITE_KEY)
        .endpoint(collector.url())
        .flush_interval(Duration::from_millis(200))
        .build()?;

    let user = User::id("user-42").with_anonymous_id("visitor-7");
    client.identify(
        &user,
        &CustomerTraits {
            email: "ada@example.com".into(),
            first_name: Some("Ada".into()),
            plan: "pro",
        },
    )?;

    let tea = ecommerce::Product {
        product_id: Some("p-1".into()),
        name: Some("Darjeeling tea".into()),
        price: Some(12.5),
        quantity: Some(2),
        ..Default::default()
    };
    let cup = ecommerce::Product {
        product_id: Some("p-2".into()),
        name: Some("Tea cup".into()),
        price: Some(8.0),
        quantity: Some(1),
        ..Default::default()
    };

    client.track(
        &user,
        &ecommerce::ProductViewed {
            name: Some("Darjeeling tea".into()),
            price: Some(12.5),
            currency: Some("EUR".into()),
            ..ecommerce::ProductViewed::new("p-1")
        },
    )?;
    client.track(
        &user,
        &ecommerce::CheckoutStarted {
            order_id: Some("o-1001".into()),
            currency: Some("EUR".into()),
            value: Some(33.0),
            ..ecommerce::CheckoutStarted::new(vec![tea.clone(), cup.clone()])
        },
    )?;
    client.track(
        &user,
        &ecommerce::OrderCompleted {
            total: Some(33.0),
            revenue: Some(33.0),
            currency: Some("EUR".into()),
            ..ecommerce::OrderCompleted::new("o-1001", vec![tea, cup])
        },
    )?;

    // Untyped JSON: the event name has a typo and the order id is camelCased. Segment would
    // answer 200 and the dashboards would quietly miss it; the collector flags it.
    client.track(
        &user,
        &RawEvent::new(
            "Order Complted",
            serde_json::json!({ "orderId": "o-1001", "total": "33.00" }),
        ),
    )?;

    let report = client.shutdown(Duration::from_secs(10)).await;
    println!(
        "client delivered {} messages, {} not delivered",
        report.delivered,
        report.failed_count()
    );

    collector.wait_for_events(5, Duration::from_secs(5)).await?;
    let mut events = collector.events();
    events.sort_by_key(|event| event.seq);
    print_table(&events);
    let stats = collector.stats();
    println!(
        "\n{} received: {} valid, {} invalid",
        stats.received, stats.valid, stats.invalid
    );
    collector.shutdown().await?;
    Ok(())
}

fn print_table(events: &[ReceivedEvent]) {
    println!(
        "\n{:<4} {:<9} {:<18} {:<10} verdict",
        "#", "type", "event", "user"
    );
    for event in events {
        let verdict = if event.valid {
            "valid".to_string()
        } else {
            let reasons: Vec<String> = event
                .violations
                .iter()
                .map(|v| format!("{} {}", v.path, v.message))
                .collect();
            format!("INVALID: {}", reasons.join("; "))
        };
        println!(
            "{:<4} {:<9} {:<18} {:<10} {}",
            event.seq,
            event.call,
            event.name.as_deref().unwrap_or("-"),
            event.user.as_deref().unwrap_or("-"),
            verdict
        );
    }
}
