//! Decoding a ~700-byte "Order Completed" track message (the e-commerce plan's generated type)
//! against `serde_json::from_slice` into a plain `#[derive(Deserialize)]` struct of the same
//! shape, in the same run:
//!
//! - `properties`: the properties object alone, `from_slice` into each type;
//! - `message`: the whole message, `trackplan::decode_slice` (type and event checked, JSON path
//!   tracked) against `from_slice` into a plain message struct holding the plain properties.
//!
//! `cargo bench -p trackplan --bench decode`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde::Deserialize;

#[allow(dead_code)]
mod ecommerce {
    include!("../tests/plans/generated/ecommerce.rs");
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainOrderCompleted {
    affiliation: Option<String>,
    checkout_id: Option<String>,
    coupon: Option<String>,
    currency: Option<String>,
    discount: Option<f64>,
    order_id: String,
    products: Vec<PlainProduct>,
    revenue: Option<f64>,
    shipping: Option<f64>,
    subtotal: Option<f64>,
    tax: Option<f64>,
    total: Option<f64>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainProduct {
    brand: Option<String>,
    category: Option<String>,
    coupon: Option<String>,
    image_url: Option<String>,
    name: Option<String>,
    position: Option<i64>,
    price: Option<f64>,
    product_id: Option<String>,
    quantity: Option<i64>,
    sku: Option<String>,
    url: Option<String>,
    variant: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainMessage {
    r#type: String,
    event: String,
    properties: PlainOrderCompleted,
}

const PROPERTIES: &str = r#"{"affiliation":"Google Store","checkout_id":"fksdjfsdjfisjf9sdfjsd9f","coupon":"hasbros","currency":"USD","discount":2.5,"order_id":"50314b8e9bcf000000000000","products":[{"brand":"Hasbro","category":"Games","image_url":"https://www.example.com/product/path.jpg","name":"Monopoly: 3rd Edition","price":19.0,"product_id":"507f1f77bcf86cd799439011","quantity":1,"sku":"45790-32","url":"https://www.example.com/product/path"},{"category":"Games","name":"Uno Card Game","price":3.0,"product_id":"505bd76785ebb509fc183733","quantity":2,"sku":"46493-32"}],"revenue":25.0,"shipping":3.0,"subtotal":22.5,"tax":2.0,"total":27.5}"#;

fn message() -> String {
    format!(r#"{{"type":"track","event":"Order Completed","properties":{PROPERTIES}}}"#)
}

fn bench(c: &mut Criterion) {
    let message = message();
    assert!(
        (650..800).contains(&message.len()),
        "the message is {} bytes",
        message.len()
    );
    // Both decode the same values.
    let generated: ecommerce::OrderCompleted = serde_json::from_str(PROPERTIES).unwrap();
    assert_eq!(generated.products.len(), 2);
    let decoded: ecommerce::OrderCompleted = trackplan::decode_slice(message.as_bytes()).unwrap();
    assert_eq!(decoded, generated);

    let mut group = c.benchmark_group("decode Order Completed");
    group.bench_function("properties: generated type", |b| {
        b.iter(|| {
            serde_json::from_slice::<ecommerce::OrderCompleted>(black_box(PROPERTIES.as_bytes()))
                .unwrap()
        })
    });
    group.bench_function("properties: plain derive(Deserialize)", |b| {
        b.iter(|| {
            serde_json::from_slice::<PlainOrderCompleted>(black_box(PROPERTIES.as_bytes())).unwrap()
        })
    });
    group.bench_function("message: trackplan::decode_slice", |b| {
        b.iter(|| {
            trackplan::decode_slice::<ecommerce::OrderCompleted>(black_box(message.as_bytes()))
                .unwrap()
        })
    });
    group.bench_function("message: plain derive(Deserialize)", |b| {
        b.iter(|| serde_json::from_slice::<PlainMessage>(black_box(message.as_bytes())).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
