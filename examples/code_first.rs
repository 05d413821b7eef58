//! Code-first tracking plans: `cargo run --example code_first`.
//!
//! The Rust types are the source of truth. This example
//! 1. defines a few events and traits with the derives (docs and constraints included),
//! 2. exports the tracking plan they describe, in the Segment Public API shape `trackplan pull`
//!    saves, and prints it (what a team checks in as `schemas/app-plan.json`, kept current by
//!    `trackplan::testing::assert_plan_file`),
//! 3. starts the local collector on 127.0.0.1 with that plan, sends the events through the real
//!    client, and prints the collector's verdict on each: the code and its plan agree.

use std::time::Duration;

use trackplan::{Client, TrackingPlan, User};
use trackplan_collector::{Collector, CollectorConfig};

/// Sent when a customer pays for an order.
#[derive(trackplan::Event)]
struct OrderCompleted {
    /// The shop's order id.
    #[property(pattern = "^o-[0-9]+$")]
    order_id: String,
    /// Everything in the order.
    #[property(min_items = 1)]
    products: Vec<Product>,
    /// In the order's currency.
    #[property(min = 0)]
    total: f64,
}

/// A product in an order.
#[derive(trackplan::Properties)]
struct Product {
    sku: String,
    #[property(min = 1)]
    quantity: u32,
}

/// Sent when a customer looks for something.
#[derive(trackplan::Event)]
struct ProductsSearched {
    query: String,
    sort: Option<Sort>,
}

/// How results are ordered.
#[derive(trackplan::Enum)]
enum Sort {
    Relevance,
    PriceAscending,
}

/// Who the customer is.
#[derive(trackplan::Traits)]
struct CustomerTraits {
    #[property(format = "email")]
    email: String,
    #[property(rename = "firstName")]
    first_name: Option<String>,
}

const WRITE_KEY: &str = "code-first-write-key";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Every `#[derive(Event)]` and `#[derive(Traits)]` in the binary, found at link time.
    let plan = TrackingPlan::registered("Code-first shop");
    let exported = plan.to_json_string()?;
    println!("{exported}");

    let collector = Collector::start(
        CollectorConfig::new()
            .plan(trackplan_plan::parse(&exported, &Default::default())?)
            .write_key(WRITE_KEY),
    )
    .await?;
    let client = Client::builder(WRITE_KEY)
        .endpoint(collector.url())
        .flush_interval(Duration::from_millis(200))
        .build()?;

    let user = User::id("user-42");
    client.identify(
        &user,
        &CustomerTraits {
            email: "ada@example.com".into(),
            first_name: Some("Ada".into()),
        },
    )?;
    for sort in [None, Some(Sort::Relevance), Some(Sort::PriceAscending)] {
        client.track(
            &user,
            &ProductsSearched {
                query: "tea".into(),
                sort,
            },
        )?;
    }
    let order = OrderCompleted {
        order_id: "o-1001".into(),
        products: vec![Product {
            sku: "darjeeling".into(),
            quantity: 2,
        }],
        total: 25.0,
    };
    client.track(&user, &order)?;
    // A value the plan's constraints refuse: the derive's `violations()` and the collector agree.
    let refund = OrderCompleted {
        total: -25.0,
        ..order
    };
    for violation in trackplan::Properties::violations(&refund) {
        println!("violations(): {violation}");
    }
    client.track(&user, &refund)?;

    client.shutdown(Duration::from_secs(10)).await;
    collector.wait_for_events(6, Duration::from_secs(5)).await?;
    let mut events = collector.events();
    events.sort_by_key(|event| event.seq);
    for event in &events {
        let verdict = if event.valid {
            "valid".to_owned()
        } else {
            let reasons: Vec<String> = event
                .violations
                .iter()
                .map(|v| format!("{} {}", v.path, v.message))
                .collect();
            format!("INVALID: {}", reasons.join("; "))
        };
        println!(
            "collector: {:<9} {:<18} {verdict}",
            event.call,
            event.name.as_deref().unwrap_or("-")
        );
    }
    collector.shutdown().await?;
    Ok(())
}
