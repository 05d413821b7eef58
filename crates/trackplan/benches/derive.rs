//! `write_properties` of a derived "Order Completed" (11 properties, two products) against the
//! same payload built with `serde_json::json!` and serialised with `serde_json::to_vec`, which is
//! what an application does with an untyped client.
//!
//! `cargo bench -p trackplan --bench derive`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use trackplan::Properties as _;

#[derive(trackplan::Event)]
struct OrderCompleted {
    order_id: String,
    checkout_id: String,
    affiliation: String,
    total: f64,
    subtotal: f64,
    revenue: f64,
    shipping: f64,
    tax: f64,
    discount: f64,
    coupon: Option<String>,
    currency: String,
    products: Vec<Product>,
}

#[derive(trackplan::Properties)]
struct Product {
    product_id: String,
    sku: String,
    name: String,
    category: String,
    price: f64,
    quantity: u32,
}

fn order() -> OrderCompleted {
    OrderCompleted {
        order_id: "50314b8e9bcf000000000000".into(),
        checkout_id: "fksdjfsdjfisjf9sdfjsd9f".into(),
        affiliation: "Google Store".into(),
        total: 27.5,
        subtotal: 22.5,
        revenue: 25.0,
        shipping: 3.0,
        tax: 2.0,
        discount: 2.5,
        coupon: Some("hasbros".into()),
        currency: "USD".into(),
        products: vec![
            Product {
                product_id: "507f1f77bcf86cd799439011".into(),
                sku: "45790-32".into(),
                name: "Monopoly: 3rd Edition".into(),
                category: "Games".into(),
                price: 19.0,
                quantity: 1,
            },
            Product {
                product_id: "505bd76785ebb509fc183733".into(),
                sku: "46493-32".into(),
                name: "Uno Card Game".into(),
                category: "Games".into(),
                price: 3.0,
                quantity: 2,
            },
        ],
    }
}

/// The same payload as an application builds it for an untyped client: from its own data.
fn json_value(order: &OrderCompleted) -> serde_json::Value {
    let products: Vec<serde_json::Value> = order
        .products
        .iter()
        .map(|p| {
            json!({
                "product_id": p.product_id,
                "sku": p.sku,
                "name": p.name,
                "category": p.category,
                "price": p.price,
                "quantity": p.quantity,
            })
        })
        .collect();
    json!({
        "order_id": order.order_id,
        "checkout_id": order.checkout_id,
        "affiliation": order.affiliation,
        "total": order.total,
        "subtotal": order.subtotal,
        "revenue": order.revenue,
        "shipping": order.shipping,
        "tax": order.tax,
        "discount": order.discount,
        "coupon": order.coupon,
        "currency": order.currency,
        "products": products,
    })
}

fn bench(c: &mut Criterion) {
    let order = order();
    let mut derived = Vec::new();
    order
        .write_properties(&mut derived)
        .expect("derived payload");
    let untyped = serde_json::to_vec(&json_value(&order)).expect("json! payload");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&derived).expect("valid JSON"),
        serde_json::from_slice::<serde_json::Value>(&untyped).expect("valid JSON"),
        "both paths must produce the same payload"
    );

    let mut group = c.benchmark_group("order_completed");
    group.bench_function("derive_write_properties_reused_buffer", |b| {
        let mut out = Vec::with_capacity(1024);
        b.iter(|| {
            out.clear();
            black_box(&order)
                .write_properties(&mut out)
                .expect("payload");
            black_box(&out);
        })
    });
    group.bench_function("derive_write_properties_new_vec", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            black_box(&order)
                .write_properties(&mut out)
                .expect("payload");
            out
        })
    });
    group.bench_function("json_macro_to_vec", |b| {
        b.iter(|| serde_json::to_vec(&json_value(black_box(&order))).expect("payload"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
