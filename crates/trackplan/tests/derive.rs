//! The wire JSON of derived types, byte for byte, for every supported field type.
//!
//! These go through `write_properties` / `write_traits` directly; `derive_capture.rs` sends the
//! same types through the client.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use trackplan::{Event as _, Properties as _, PropertyValue};

fn properties<T: trackplan::Properties>(value: &T) -> String {
    let mut out = Vec::new();
    value.write_properties(&mut out).expect("encodes");
    String::from_utf8(out).expect("UTF-8")
}

fn traits<T: trackplan::Traits>(value: &T) -> String {
    let mut out = Vec::new();
    value.write_traits(&mut out).expect("encodes");
    String::from_utf8(out).expect("UTF-8")
}

/// A value on its own, through `PropertyValue` (what nesting uses).
fn alone<T: PropertyValue + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    value
        .serialize_property(&mut serde_json::Serializer::new(&mut out))
        .expect("encodes");
    String::from_utf8(out).expect("UTF-8")
}

#[derive(trackplan::Event)]
#[event(name = "Order Completed")]
struct OrderCompleted {
    order_id: String,
    total: f64,
    coupon: Option<String>,
    #[property(rename = "checkout_id")]
    checkout: String,
    products: Vec<Product>,
}

#[derive(trackplan::Properties)]
struct Product {
    product_id: String,
    price: f64,
    quantity: u32,
}

#[test]
fn the_issue_example_sends_what_it_says() {
    let order = OrderCompleted {
        order_id: "o-1".into(),
        total: 27.5,
        coupon: None,
        checkout: "c-9".into(),
        products: vec![
            Product {
                product_id: "p-1".into(),
                price: 13.75,
                quantity: 1,
            },
            Product {
                product_id: "p-2".into(),
                price: 6.875,
                quantity: 2,
            },
        ],
    };
    assert_eq!(order.event_name(), "Order Completed");
    assert_eq!(
        properties(&order),
        r#"{"order_id":"o-1","total":27.5,"checkout_id":"c-9","products":[{"product_id":"p-1","price":13.75,"quantity":1},{"product_id":"p-2","price":6.875,"quantity":2}]}"#
    );
    let with_coupon = OrderCompleted {
        coupon: Some("SPRING".into()),
        products: vec![],
        ..order
    };
    assert_eq!(
        properties(&with_coupon),
        r#"{"order_id":"o-1","total":27.5,"coupon":"SPRING","checkout_id":"c-9","products":[]}"#
    );
}

#[derive(trackplan::Event)]
struct ScalarsSent {
    yes: bool,
    i_8: i8,
    i_16: i16,
    i_32: i32,
    i_64: i64,
    i_size: isize,
    u_8: u8,
    u_16: u16,
    u_32: u32,
    u_64: u64,
    u_size: usize,
    f_32: f32,
    f_64: f64,
}

#[test]
fn scalars() {
    let event = ScalarsSent {
        yes: true,
        i_8: -8,
        i_16: -16,
        i_32: -32,
        i_64: i64::MIN,
        i_size: -1,
        u_8: 8,
        u_16: 16,
        u_32: 32,
        u_64: u64::MAX,
        u_size: 7,
        f_32: 0.5,
        f_64: -1.25e-3,
    };
    assert_eq!(event.event_name(), "Scalars Sent");
    assert_eq!(
        properties(&event),
        r#"{"yes":true,"i_8":-8,"i_16":-16,"i_32":-32,"i_64":-9223372036854775808,"i_size":-1,"u_8":8,"u_16":16,"u_32":32,"u_64":18446744073709551615,"u_size":7,"f_32":0.5,"f_64":-0.00125}"#
    );
}

#[test]
fn non_finite_floats_are_refused_not_sent_as_null() {
    #[derive(trackplan::Properties)]
    struct Measure {
        ratio: f64,
    }
    let mut out = Vec::new();
    let err = Measure {
        ratio: f64::INFINITY,
    }
    .write_properties(&mut out)
    .unwrap_err();
    assert!(err.to_string().contains("non-finite"), "{err}");
}

#[derive(trackplan::Event)]
struct StringsSent<'a> {
    owned: String,
    borrowed: &'a str,
    cow: Cow<'a, str>,
    escaped: String,
    unicode: &'a str,
}

#[test]
fn strings_are_escaped_as_json() {
    let event = StringsSent {
        owned: "o".into(),
        borrowed: "b",
        cow: Cow::Borrowed("c"),
        escaped: "quote \" backslash \\ newline \n tab \t".into(),
        unicode: "café ☕",
    };
    assert_eq!(
        properties(&event),
        r#"{"owned":"o","borrowed":"b","cow":"c","escaped":"quote \" backslash \\ newline \n tab \t","unicode":"café ☕"}"#
    );
}

#[derive(trackplan::Properties)]
struct Collections<'a> {
    list: Vec<u32>,
    slice: &'a [&'a str],
    array: [bool; 2],
    boxed: Box<i32>,
    nested_options: Vec<Option<u8>>,
    btree: BTreeMap<String, f64>,
    hash: HashMap<&'a str, Vec<String>>,
    empty: Vec<String>,
}

#[test]
fn sequences_and_maps() {
    let value = Collections {
        list: vec![1, 2],
        slice: &["a", "b"],
        array: [true, false],
        boxed: Box::new(-3),
        nested_options: vec![Some(1), None],
        btree: [("b".to_owned(), 2.5), ("a".to_owned(), 1.0)].into(),
        hash: [("k", vec!["v".to_owned()])].into(),
        empty: vec![],
    };
    assert_eq!(
        properties(&value),
        r#"{"list":[1,2],"slice":["a","b"],"array":[true,false],"boxed":-3,"nested_options":[1,null],"btree":{"a":1.0,"b":2.5},"hash":{"k":["v"]},"empty":[]}"#
    );
}

#[derive(trackplan::Properties)]
struct Options {
    none: Option<String>,
    some: Option<u32>,
    some_none: Option<Option<u32>>,
}

#[test]
fn none_leaves_the_key_out() {
    let value = Options {
        none: None,
        some: Some(3),
        some_none: Some(None),
    };
    // `Some(None)` is an explicit `null` (to clear a value), `None` no key at all.
    assert_eq!(properties(&value), r#"{"some":3,"some_none":null}"#);
    assert_eq!(
        properties(&Options {
            none: None,
            some: None,
            some_none: None
        }),
        "{}"
    );
}

#[derive(trackplan::Properties)]
struct JsonValues {
    any: serde_json::Value,
    map: serde_json::Map<String, serde_json::Value>,
}

#[test]
fn serde_json_values_pass_through() {
    let mut map = serde_json::Map::new();
    map.insert("x".into(), serde_json::json!([1, "two"]));
    let value = JsonValues {
        any: serde_json::json!({"a": null}),
        map,
    };
    assert_eq!(
        properties(&value),
        r#"{"any":{"a":null},"map":{"x":[1,"two"]}}"#
    );
}

#[derive(trackplan::Enum, Clone, Copy, Debug, PartialEq)]
enum Tier {
    Free,
    ProPlus,
    #[property(rename = "Enterprise (annual)")]
    Enterprise,
}

#[derive(trackplan::Enum)]
#[property(case = "SCREAMING_SNAKE_CASE")]
enum Channel {
    PaidSearch,
    Email,
}

#[derive(trackplan::Event)]
struct PlanUpgraded {
    tier: Tier,
    previous: Option<Tier>,
    history: Vec<Tier>,
    channel: Channel,
}

#[test]
fn enums_are_strings() {
    assert_eq!(Tier::Free.as_str(), "free");
    assert_eq!(Tier::ProPlus.as_str(), "pro_plus");
    assert_eq!(Tier::Enterprise.as_str(), "Enterprise (annual)");
    assert_eq!(Channel::PaidSearch.as_str(), "PAID_SEARCH");
    assert_eq!(Channel::Email.as_str(), "EMAIL");
    assert_eq!(alone(&Tier::ProPlus), r#""pro_plus""#);
    let event = PlanUpgraded {
        tier: Tier::Enterprise,
        previous: Some(Tier::Free),
        history: vec![Tier::Free, Tier::ProPlus],
        channel: Channel::PaidSearch,
    };
    assert_eq!(
        properties(&event),
        r#"{"tier":"Enterprise (annual)","previous":"free","history":["free","pro_plus"],"channel":"PAID_SEARCH"}"#
    );
}

#[test]
fn enums_are_string_properties() {
    fn require_string<T: trackplan::StringProperty>(_: &T) {}
    require_string(&Tier::Free);
}

#[test]
fn enums_list_every_value_they_are_sent_as() {
    use trackplan::StringEnum;
    assert_eq!(Tier::VALUES, ["free", "pro_plus", "Enterprise (annual)"]);
    assert_eq!(Channel::VALUES, ["PAID_SEARCH", "EMAIL"]);
}

#[derive(trackplan::Properties)]
struct Outer {
    label: String,
    inner: Inner,
    maybe: Option<Inner>,
    many: Vec<Inner>,
}

#[derive(trackplan::Properties)]
struct Inner {
    depth: u8,
    note: Option<String>,
}

#[test]
fn nested_properties_are_objects_and_skip_absent_keys() {
    let value = Outer {
        label: "l".into(),
        inner: Inner {
            depth: 1,
            note: None,
        },
        maybe: None,
        many: vec![Inner {
            depth: 2,
            note: Some("n".into()),
        }],
    };
    assert_eq!(
        properties(&value),
        r#"{"label":"l","inner":{"depth":1},"many":[{"depth":2,"note":"n"}]}"#
    );
    assert_eq!(
        alone(&Inner {
            depth: 3,
            note: None
        }),
        r#"{"depth":3}"#
    );
}

#[derive(serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
struct Address {
    city: String,
}

#[derive(serde::Serialize)]
#[serde(tag = "kind")]
enum Payment {
    Card { last4: String },
}

#[derive(trackplan::Properties)]
struct WithSerde {
    #[property(serde)]
    shipping: Address,
    #[property(serde)]
    billing: Option<Address>,
    #[property(serde)]
    payment: Payment,
    #[property(serde, rename = "gift_wrap")]
    wrap: Option<bool>,
}

#[test]
fn serde_fields_use_their_serialize_impl_and_skip_none() {
    let value = WithSerde {
        shipping: Address {
            city: "Lyon".into(),
        },
        billing: None,
        payment: Payment::Card {
            last4: "4242".into(),
        },
        wrap: Some(false),
    };
    let expected = r#"{"shipping":{"CITY":"Lyon"},"payment":{"kind":"Card","last4":"4242"},"gift_wrap":false}"#;
    assert_eq!(properties(&value), expected);
    // Nested, through `PropertyValue`, the same object.
    assert_eq!(alone(&value), expected);
}

#[derive(trackplan::Event)]
struct SearchPerformed {
    query: String,
    #[property(skip)]
    #[allow(dead_code)]
    started: std::time::Instant,
}

#[test]
fn skipped_fields_are_not_sent() {
    let event = SearchPerformed {
        query: "shoes".into(),
        started: std::time::Instant::now(),
    };
    assert_eq!(properties(&event), r#"{"query":"shoes"}"#);
}

#[derive(trackplan::Event)]
struct ApplicationOpened;

#[derive(trackplan::Event)]
struct ApplicationBackgrounded {}

#[test]
fn events_without_properties_send_an_empty_object() {
    assert_eq!(ApplicationOpened.event_name(), "Application Opened");
    assert_eq!(properties(&ApplicationOpened), "{}");
    assert_eq!(properties(&ApplicationBackgrounded {}), "{}");
}

#[derive(trackplan::Event)]
struct ProductAddedToWishlist;

#[derive(trackplan::Event)]
struct ProductRemovedFromWishlist;

#[derive(trackplan::Event)]
struct WishlistProductAddedToCart;

#[derive(trackplan::Event)]
struct ProductsSearched;

#[test]
fn default_event_names_are_the_ecommerce_spec_wire_names() {
    assert_eq!(
        ProductAddedToWishlist.event_name(),
        "Product Added to Wishlist"
    );
    assert_eq!(
        ProductRemovedFromWishlist.event_name(),
        "Product Removed from Wishlist"
    );
    assert_eq!(
        WishlistProductAddedToCart.event_name(),
        "Wishlist Product Added to Cart"
    );
    assert_eq!(ProductsSearched.event_name(), "Products Searched");
}

#[derive(trackplan::Event)]
#[event(name = "signup_v2", allow_name)]
struct LegacySignup {
    r#type: String,
}

#[test]
fn legacy_names_and_raw_identifiers() {
    let event = LegacySignup {
        r#type: "email".into(),
    };
    assert_eq!(event.event_name(), "signup_v2");
    assert_eq!(properties(&event), r#"{"type":"email"}"#);
}

#[derive(trackplan::Event)]
#[event(name = "Video Playback Started", case = "camelCase")]
struct VideoPlaybackStarted {
    session_id: String,
    #[property(rename = "videoPlayer")]
    player: String,
    position_secs: u32,
}

#[test]
fn camel_case_converts_field_names() {
    let event = VideoPlaybackStarted {
        session_id: "s".into(),
        player: "yt".into(),
        position_secs: 3,
    };
    assert_eq!(
        properties(&event),
        r#"{"sessionId":"s","videoPlayer":"yt","positionSecs":3}"#
    );
}

#[derive(trackplan::Traits)]
struct UserTraits {
    email: String,
    #[property(rename = "firstName")]
    first_name: Option<String>,
    #[property(rename = "createdAt")]
    created_at: String,
    plan_tier: Tier,
}

#[derive(trackplan::Traits)]
#[traits(case = "camelCase")]
struct OrgTraits {
    employee_count: u32,
    name: String,
}

#[test]
fn traits_accept_reserved_camel_case_names() {
    let user = UserTraits {
        email: "a@example.com".into(),
        first_name: Some("Ada".into()),
        created_at: "2026-01-01T00:00:00.000Z".into(),
        plan_tier: Tier::ProPlus,
    };
    assert_eq!(
        traits(&user),
        r#"{"email":"a@example.com","firstName":"Ada","createdAt":"2026-01-01T00:00:00.000Z","plan_tier":"pro_plus"}"#
    );
    assert_eq!(
        traits(&OrgTraits {
            employee_count: 12,
            name: "Acme".into()
        }),
        r#"{"employeeCount":12,"name":"Acme"}"#
    );
}

#[derive(trackplan::Traits)]
struct ClearedTraits {
    phone: trackplan::event::Nullable<String>,
    email: trackplan::event::Nullable<String>,
    name: trackplan::event::Nullable<String>,
}

#[test]
fn nullable_fields_are_left_out_cleared_or_sent() {
    use trackplan::event::Nullable;
    let cleared = ClearedTraits {
        phone: Nullable::Absent,
        email: Nullable::Null,
        name: Nullable::Value("Ada".into()),
    };
    assert_eq!(traits(&cleared), r#"{"email":null,"name":"Ada"}"#);
}

#[derive(trackplan::Event)]
struct CheckoutStarted {
    revenue: f64,
    value: Option<u32>,
    currency: &'static str,
}

#[test]
fn reserved_properties_with_the_right_types() {
    let event = CheckoutStarted {
        revenue: 10.0,
        value: Some(3),
        currency: "EUR",
    };
    assert_eq!(
        properties(&event),
        r#"{"revenue":10.0,"value":3,"currency":"EUR"}"#
    );
}

#[derive(trackplan::Properties)]
struct Filter {
    r#type: String,
    // `value` is reserved on events only: a nested object keeps its own meaning.
    value: String,
}

#[test]
fn reserved_names_are_free_in_nested_objects() {
    assert_eq!(
        properties(&Filter {
            r#type: "color".into(),
            value: "red".into()
        }),
        r#"{"type":"color","value":"red"}"#
    );
}

#[derive(trackplan::Properties)]
struct Page<T, const N: usize>
where
    T: Clone,
{
    items: Vec<T>,
    fixed: [u8; N],
    title: String,
}

#[test]
fn generic_types_and_const_generics() {
    let page = Page {
        items: vec![Tier::Free],
        fixed: [1, 2],
        title: "t".into(),
    };
    assert_eq!(
        properties(&page),
        r#"{"items":["free"],"fixed":[1,2],"title":"t"}"#
    );
}

mod renamed {
    pub use trackplan as tp;
}

#[derive(trackplan::Event)]
#[event(crate = "renamed::tp")]
struct ThroughAReexport {
    ok: bool,
}

#[test]
fn crate_path_override() {
    assert_eq!(properties(&ThroughAReexport { ok: true }), r#"{"ok":true}"#);
}

#[test]
fn references_to_derived_types_are_payloads_too() {
    let event = ApplicationOpened;
    let by_ref: &dyn Fn(&ApplicationOpened) -> &str = &|e| e.event_name();
    assert_eq!(by_ref(&event), "Application Opened");
    assert_eq!(properties(&&event), "{}");
}

#[cfg(feature = "time")]
mod time_feature {
    use super::*;

    #[derive(trackplan::Event)]
    struct SubscriptionRenewed {
        at: time::OffsetDateTime,
        utc: time::UtcDateTime,
        until: Option<time::OffsetDateTime>,
    }

    #[test]
    fn time_date_times_are_rfc3339_utc_with_milliseconds() {
        let at = time::macros::datetime!(2026-03-01 12:30:45.123456 +02:00);
        let event = SubscriptionRenewed {
            at,
            utc: at.to_utc(),
            until: None,
        };
        assert_eq!(
            properties(&event),
            r#"{"at":"2026-03-01T10:30:45.123Z","utc":"2026-03-01T10:30:45.123Z"}"#
        );
    }
}

#[cfg(feature = "chrono")]
mod chrono_feature {
    use super::*;
    use chrono::TimeZone as _;

    #[derive(trackplan::Event)]
    struct SubscriptionCancelled {
        at: chrono::DateTime<chrono::Utc>,
        local: chrono::DateTime<chrono::FixedOffset>,
    }

    #[test]
    fn chrono_date_times_are_rfc3339_utc_with_milliseconds() {
        let at = chrono::Utc
            .with_ymd_and_hms(2026, 3, 1, 10, 30, 45)
            .unwrap()
            + chrono::Duration::microseconds(123_456);
        let local = at.with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap());
        assert_eq!(
            properties(&SubscriptionCancelled { at, local }),
            r#"{"at":"2026-03-01T10:30:45.123Z","local":"2026-03-01T10:30:45.123Z"}"#
        );
    }
}

/// Checked at compile time against the workspace's e-commerce plan (`#[event(plan)]` hands the
/// fields to `plan_check::check` and splices its tokens into the expansion): a property missing
/// from the plan's "Order Completed" rule, or of the wrong type, would fail this build.
#[derive(trackplan::Event)]
#[event(name = "Order Completed", plan = "../../schemas/ecommerce.json")]
struct PlanCheckedOrder {
    order_id: String,
    revenue: Option<f64>,
    products: Vec<Product>,
}

/// Checked against a RudderTyper plan, whose rules have no version.
#[derive(trackplan::Traits)]
#[traits(
    call = "group",
    plan = "../trackplan-codegen/tests/fixtures/ruddertyper-example-v2.json"
)]
struct PlanCheckedGroupTraits {
    #[property(rename = "Sample property 1")]
    sample: Option<String>,
}

#[test]
fn plan_checked_items_report_their_plan_rule_as_generated_types_do() {
    use trackplan::Traits as _;
    let order = PlanCheckedOrder {
        order_id: "o-1".into(),
        revenue: None,
        products: Vec::new(),
    };
    assert_eq!(
        order.plan_metadata(),
        Some(trackplan::PlanMetadata {
            plan: "E-commerce Spec v2",
            event_version: Some(1),
            generator_version: env!("CARGO_PKG_VERSION"),
        })
    );
    let group = PlanCheckedGroupTraits { sample: None };
    assert_eq!(
        group.plan_metadata(),
        Some(trackplan::PlanMetadata {
            plan: "Sample tracking plan 1",
            event_version: None,
            generator_version: env!("CARGO_PKG_VERSION"),
        })
    );
    // Without a plan there is nothing to report.
    assert_eq!(
        OrderCompleted {
            order_id: String::new(),
            total: 0.0,
            coupon: None,
            checkout: String::new(),
            products: Vec::new(),
        }
        .plan_metadata(),
        None
    );
}

#[test]
fn plan_checked_events_expand_like_the_others() {
    let order = PlanCheckedOrder {
        order_id: "o-1".into(),
        revenue: Some(9.5),
        products: vec![Product {
            product_id: "p".into(),
            price: 9.5,
            quantity: 1,
        }],
    };
    assert_eq!(order.event_name(), "Order Completed");
    assert_eq!(
        properties(&order),
        r#"{"order_id":"o-1","revenue":9.5,"products":[{"product_id":"p","price":9.5,"quantity":1}]}"#
    );
}
