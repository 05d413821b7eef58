//! The round trip of code-first plans, as a law (issue 12 item 5): the plan exported from the
//! shop's derives (`tests/plans/code_first.json`, kept current by `code_first.rs`) generates
//! types that send byte-identical JSON for the same values and report the same violations; a
//! plan-checked derive against it compiles; `trackplan lint` finds nothing in it; the collector
//! judges the derived events valid against it.

// `internal_note` is a `skip` field, which this file never reads.
#[allow(dead_code)]
#[path = "code_first/shop.rs"]
mod shop;

use std::time::Duration;

use proptest::prelude::*;
use trackplan::{Client, Nullable, Properties, Traits, User};
use trackplan_collector::{Collector, CollectorConfig};

const PLAN: &str = "tests/plans/code_first.json";

#[allow(dead_code)]
mod generated {
    trackplan::plan!("tests/plans/code_first.json");
}

/// The derive checked against the exported plan: it compiles, so the plan holds the event as
/// the code defines it.
#[allow(dead_code)]
mod plan_checked {
    #[derive(trackplan::Event)]
    #[event(plan = "tests/plans/code_first.json")]
    pub struct OrderCompleted {
        pub attributes: std::collections::BTreeMap<String, i64>,
        pub coupon: Option<String>,
        pub discount: trackplan::Nullable<f64>,
        pub gift_wrap: super::shop::Product,
        pub order_id: String,
        pub products: Vec<super::shop::Product>,
        pub quantity: u32,
        #[property(pii)]
        pub receipt_email: Option<String>,
        pub ship_to: Option<super::shop::Address>,
        pub tags: Vec<String>,
        pub tier: super::shop::Tier,
        pub total: f64,
    }

    #[derive(trackplan::Traits)]
    #[traits(plan = "tests/plans/code_first.json", call = "group")]
    pub struct CompanyTraits {
        pub employees: Option<u32>,
        pub name: String,
    }
}

fn product(p: &shop::Product) -> generated::Product {
    generated::Product {
        price: p.price,
        quantity: p.quantity,
        sku: p.sku.clone(),
    }
}

fn tier(t: shop::Tier) -> generated::OrderCompletedTier {
    match t {
        shop::Tier::Free => generated::OrderCompletedTier::Free,
        shop::Tier::ProPlus => generated::OrderCompletedTier::ProPlus,
    }
}

/// The generated type holding the same values as the derived one.
fn generated_order(o: &shop::OrderCompleted) -> generated::OrderCompleted {
    generated::OrderCompleted {
        attributes: o.attributes.clone(),
        coupon: o.coupon.clone(),
        discount: o.discount,
        gift_wrap: product(&o.gift_wrap),
        order_id: o.order_id.clone(),
        products: o.products.iter().map(product).collect(),
        quantity: i64::from(o.quantity),
        receipt_email: o.receipt_email.clone(),
        ship_to: o
            .shipping_address
            .as_ref()
            .map(|a| generated::OrderCompletedShipTo {
                city: a.city.clone(),
                zip: a.zip.clone(),
            }),
        tags: o.tags.clone(),
        tier: tier(o.tier),
        total: o.total,
    }
}

fn properties_json(payload: &impl Properties) -> String {
    let mut out = Vec::new();
    payload.write_properties(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn traits_json(payload: &impl Traits) -> String {
    let mut out = Vec::new();
    payload.write_traits(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn valid_order() -> shop::OrderCompleted {
    let product = shop::Product {
        price: 9.5,
        quantity: Some(2),
        sku: "s-1".into(),
    };
    shop::OrderCompleted {
        attributes: [("weight".to_owned(), 3)].into(),
        coupon: None,
        discount: Nullable::Null,
        gift_wrap: product.clone(),
        internal_note: "not sent".into(),
        order_id: "o-1".into(),
        products: vec![product],
        quantity: 1,
        receipt_email: Some("a@b.co".into()),
        shipping_address: Some(shop::Address {
            city: "Oslo".into(),
            zip: Some("0150".into()),
        }),
        tags: vec!["gift".into()],
        tier: shop::Tier::ProPlus,
        total: 19.0,
    }
}

#[test]
fn generated_types_send_the_derived_types_bytes() {
    let order = valid_order();
    assert_eq!(
        properties_json(&order),
        properties_json(&generated_order(&order))
    );
    let user = shop::UserTraits {
        age: Some(30),
        email: Some("a@b.co".into()),
    };
    let generated_user = generated::Identify {
        age: user.age.map(i64::from),
        email: user.email.clone(),
    };
    assert_eq!(traits_json(&user), traits_json(&generated_user));
}

#[test]
fn generated_types_report_the_derived_types_violations() {
    let mut order = valid_order();
    order.order_id = "x-1234567890123".into();
    order.total = 1e7;
    order.quantity = 0;
    order.products.clear();
    order.receipt_email = Some("nobody".into());
    order.shipping_address = None;
    order.tags = vec!["a".into(), "a".into()];
    let derived = order.violations();
    let generated = generated_order(&order).violations();
    assert_eq!(derived, generated);
    assert_eq!(derived.len(), 7, "{derived:#?}");
}

#[test]
fn lint_finds_nothing_in_the_exported_plan() {
    let plan = trackplan_plan::load(PLAN).unwrap();
    let report = trackplan_plan::lint::lint(&plan, &Default::default());
    assert!(report.findings.is_empty(), "{}", report.to_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_judges_the_derived_events_valid() {
    let plan = trackplan_plan::load(PLAN).unwrap();
    let collector = Collector::start(CollectorConfig::new().plan(plan))
        .await
        .expect("a collector on 127.0.0.1");
    let client = Client::builder("write-key")
        .endpoint(collector.url())
        .allow_insecure_http(true)
        .gzip(false)
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let user = User::id("u-1");
    client.track(&user, &valid_order()).unwrap();
    client
        .track(
            &user,
            &shop::ProductsSearched {
                filters: vec![Some(shop::Tier::Free), None],
                query: "shoes".into(),
                raw: serde_json::json!({"any": [1, "thing"]}),
            },
        )
        .unwrap();
    client
        .identify(
            &user,
            &shop::UserTraits {
                age: Some(30),
                email: None,
            },
        )
        .unwrap();
    client
        .group(
            &user,
            "g-1",
            &shop::CompanyTraits {
                employees: Some(12),
                name: "Acme".into(),
            },
        )
        .unwrap();
    client
        .page(
            &user,
            "Pricing",
            &shop::PricingPage {
                path: "/pricing".into(),
            },
        )
        .unwrap();
    let report = client.flush().await;
    let events = collector.events();
    assert_eq!(events.len(), 5, "{report:?}");
    for event in &events {
        assert!(
            event.valid,
            "{} {:?}: {:#?}",
            event.call, event.name, event.violations
        );
    }
    // And a derived event breaking a constraint is invalid there too.
    let mut bad = valid_order();
    bad.total = -1.0;
    client.track(&user, &bad).unwrap();
    client.flush().await;
    let last = collector.events().pop().unwrap();
    assert!(!last.valid, "{last:#?}");
}

fn arb_product() -> impl Strategy<Value = shop::Product> {
    (0.0..1e6f64, proptest::option::of(any::<i64>()), ".{0,8}").prop_map(
        |(price, quantity, sku)| shop::Product {
            price,
            quantity,
            sku,
        },
    )
}

fn arb_order() -> impl Strategy<Value = shop::OrderCompleted> {
    let scalars = (
        proptest::collection::btree_map(".{0,6}", any::<i64>(), 0..3),
        proptest::option::of(".{0,8}"),
        prop_oneof![
            Just(Nullable::Absent),
            Just(Nullable::Null),
            (-1e9..1e9f64).prop_map(Nullable::Value)
        ],
        "o-[0-9]{1,6}",
        any::<u32>(),
        -1e9..1e9f64,
    );
    let nested = (
        arb_product(),
        proptest::collection::vec(arb_product(), 0..3),
        proptest::option::of((".{0,6}", proptest::option::of(".{0,6}"))),
        proptest::collection::vec(".{0,4}", 0..4),
        any::<bool>(),
        proptest::option::of("[a-z]{1,5}@[a-z]{1,5}"),
    );
    (scalars, nested).prop_map(
        |(
            (attributes, coupon, discount, order_id, quantity, total),
            (gift_wrap, products, address, tags, pro, receipt_email),
        )| shop::OrderCompleted {
            attributes,
            coupon,
            discount,
            gift_wrap,
            internal_note: String::new(),
            order_id,
            products,
            quantity,
            receipt_email,
            shipping_address: address.map(|(city, zip)| shop::Address { city, zip }),
            tags,
            tier: if pro {
                shop::Tier::ProPlus
            } else {
                shop::Tier::Free
            },
            total,
        },
    )
}

proptest! {
    /// For any values: the same bytes, and the same violations, those of nested objects
    /// included.
    #[test]
    fn derived_and_generated_agree_on_any_value(order in arb_order()) {
        let generated = generated_order(&order);
        prop_assert_eq!(properties_json(&order), properties_json(&generated));
        prop_assert_eq!(order.violations(), generated.violations());
    }
}
