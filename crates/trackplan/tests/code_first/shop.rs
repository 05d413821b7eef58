//! The derives the code-first tests export: every mapping of issue 12 (options, nullables,
//! sequences, maps, nested objects used once and twice, enums, docs, constraints, renames, a
//! serde field without a schema).

use std::collections::BTreeMap;

use trackplan::Nullable;

/// Sent when an order is paid.
#[derive(trackplan::Event, Debug, Clone)]
pub struct OrderCompleted {
    /// The order's id, as the shop writes it.
    #[property(pattern = "^o-[0-9]+$", max_length = 12)]
    pub order_id: String,
    /// In the order's currency.
    #[property(min = 0, exclusive_max = 1000000)]
    pub total: f64,
    #[property(min_items = 1, max_items = 50)]
    pub products: Vec<Product>,
    pub gift_wrap: Product,
    pub tier: Tier,
    #[property(min = 1)]
    pub quantity: u32,
    pub coupon: Option<String>,
    pub discount: Nullable<f64>,
    #[property(unique_items)]
    pub tags: Vec<String>,
    pub attributes: BTreeMap<String, i64>,
    #[property(rename = "ship_to")]
    pub shipping_address: Option<Address>,
    #[property(format = "email")]
    pub receipt_email: Option<String>,
    #[property(skip)]
    pub internal_note: String,
}

/// A product in an order.
#[derive(trackplan::Properties, Debug, Clone)]
pub struct Product {
    pub sku: String,
    #[property(min = 0)]
    pub price: f64,
    pub quantity: Option<i64>,
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
    pub query: String,
    pub filters: Vec<Option<Tier>>,
    pub raw: serde_json::Value,
}

/// Who the user is.
#[derive(trackplan::Traits, Debug, Clone)]
pub struct UserTraits {
    #[property(format = "email")]
    pub email: Option<String>,
    #[property(min = 0, max = 150)]
    pub age: Option<u8>,
}

/// The account a user belongs to.
#[derive(trackplan::Traits, Debug, Clone)]
#[traits(call = "group")]
pub struct CompanyTraits {
    pub name: String,
    pub employees: Option<u32>,
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
