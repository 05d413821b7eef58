//! The derives the code-first tests export: every mapping of issue 12 (options, nullables,
//! sequences, maps, nested objects used once and twice, enums, docs, constraints, renames, a
//! serde field without a schema).
//!
//! Fields are declared in the byte order of their wire names, the order a plan's properties
//! are generated in, so the generated types' JSON is byte-identical to these types' JSON.

use std::collections::BTreeMap;

use trackplan::Nullable;

/// Sent when an order is paid.
#[derive(trackplan::Event, Debug, Clone)]
pub struct OrderCompleted {
    pub attributes: BTreeMap<String, i64>,
    pub coupon: Option<String>,
    pub discount: Nullable<f64>,
    pub gift_wrap: Product,
    #[property(skip)]
    pub internal_note: String,
    /// The order's id, as the shop writes it.
    #[property(pattern = "^o-[0-9]+$", max_length = 12)]
    pub order_id: String,
    #[property(min_items = 1, max_items = 50)]
    pub products: Vec<Product>,
    #[property(min = 1)]
    pub quantity: u32,
    #[property(format = "email", pii)]
    pub receipt_email: Option<String>,
    #[property(rename = "ship_to")]
    pub shipping_address: Option<Address>,
    #[property(unique_items)]
    pub tags: Vec<String>,
    pub tier: Tier,
    /// In the order's currency.
    #[property(min = 0, exclusive_max = 1000000)]
    pub total: f64,
}

/// A product in an order.
#[derive(trackplan::Properties, Debug, Clone)]
pub struct Product {
    #[property(min = 0)]
    pub price: f64,
    pub quantity: Option<i64>,
    pub sku: String,
}

/// Where the order goes.
#[derive(trackplan::Properties, Debug, Clone)]
pub struct Address {
    pub city: String,
    #[property(min_length = 3, max_length = 10)]
    pub zip: Option<String>,
}

/// The customer's plan.
#[derive(trackplan::Enum, Debug, Clone, Copy)]
pub enum Tier {
    Free,
    #[property(rename = "pro plus")]
    ProPlus,
}

/// Sent when a search returns.
#[derive(trackplan::Event, Debug, Clone)]
pub struct ProductsSearched {
    pub filters: Vec<Option<Tier>>,
    pub query: String,
    pub raw: serde_json::Value,
}

/// Who the user is.
#[derive(trackplan::Traits, Debug, Clone)]
pub struct UserTraits {
    #[property(min = 0, max = 150)]
    pub age: Option<u8>,
    #[property(format = "email", pii)]
    pub email: Option<String>,
}

/// The account a user belongs to.
#[derive(trackplan::Traits, Debug, Clone)]
#[traits(call = "group")]
pub struct CompanyTraits {
    pub employees: Option<u32>,
    pub name: String,
}

/// The pricing page.
#[derive(trackplan::Properties, Debug, Clone)]
pub struct PricingPage {
    pub path: String,
}

/// A value only serde knows how to write.
#[derive(serde::Serialize, Debug, Clone)]
pub struct Opaque {
    pub bytes: Vec<u8>,
}

/// Carries a payload the plan cannot describe.
#[derive(trackplan::Event, Debug, Clone)]
pub struct BlobUploaded {
    #[property(serde)]
    pub blob: Opaque,
    #[property(serde)]
    pub sizes: Option<Vec<u32>>,
}
