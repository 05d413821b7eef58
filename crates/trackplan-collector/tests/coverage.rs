//! Per-rule plan coverage in `/api/stats` (and `Collector::stats`): counts per rule with the
//! validator's verdict, unseen properties, every rule listed, reset by a clear.

mod common;

use std::path::PathBuf;

use common::{batch, get, post, track};
use serde_json::{json, Value};
use trackplan_collector::{Collector, CollectorConfig, RuleCoverageStats};

fn ecommerce() -> trackplan_plan::Plan {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/ecommerce.json");
    trackplan_plan::load(&path).unwrap_or_else(|errors| panic!("{errors}"))
}

fn rule<'a>(coverage: &'a [Value], name: &str) -> &'a Value {
    coverage
        .iter()
        .find(|rule| rule["name"] == name)
        .unwrap_or_else(|| panic!("no rule {name}"))
}

#[tokio::test]
async fn stats_list_every_rule_with_its_counts_until_a_clear() {
    let collector = Collector::start(CollectorConfig::new().plan(ecommerce()))
        .await
        .unwrap();
    let base = collector.url();
    let messages = vec![
        track("Products Searched", json!({"query": "shoes"})),
        track("Products Searched", json!({})),
        track("Cart Viewed", json!({"cart_id": "c1"})),
        track("Not In The Plan", json!({})),
    ];
    assert_eq!(post(base, "/v1/batch", batch(messages)).await.status, 200);

    let stats = get(base, "/api/stats").await.body;
    let coverage = stats["coverage"].as_array().expect("coverage");
    assert_eq!(coverage.len(), 28, "every rule of the plan");
    assert_eq!(
        rule(coverage, "Products Searched"),
        &json!({"type": "track", "name": "Products Searched", "seen": 2, "valid": 1,
                "invalid": 1, "unseenProperties": []})
    );
    let cart = rule(coverage, "Cart Viewed");
    // `products` is required: the validator's verdict is what counts.
    assert_eq!(
        (&cart["seen"], &cart["valid"], &cart["invalid"]),
        (&json!(1), &json!(0), &json!(1))
    );
    assert_eq!(cart["unseenProperties"], json!(["products"]));
    assert_eq!(rule(coverage, "Order Completed")["seen"], 0);
    let seen: u64 = coverage.iter().filter_map(|r| r["seen"].as_u64()).sum();
    assert_eq!(seen, 3, "the unplanned track counts for no rule");

    collector.clear();
    let stats = collector.stats();
    assert_eq!(stats.coverage.len(), 28);
    assert!(stats.coverage.iter().all(|r| r.seen == 0));
    assert_eq!(
        stats.coverage[0],
        RuleCoverageStats {
            call: "track".to_owned(),
            name: "Products Searched".to_owned(),
            seen: 0,
            valid: 0,
            invalid: 0,
            unseen_properties: vec!["query".to_owned()],
        }
    );
}

#[tokio::test]
async fn without_a_plan_there_is_no_coverage() {
    let collector = Collector::start(CollectorConfig::new()).await.unwrap();
    let base = collector.url();
    post(base, "/v1/batch", batch(vec![track("A", json!({}))])).await;
    assert_eq!(get(base, "/api/stats").await.body["coverage"], json!([]));
}
