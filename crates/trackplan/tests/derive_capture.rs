//! Derived types sent through the client: the messages `trackplan::testing::Capture` records
//! carry exactly the derived JSON under `properties` / `traits`.

use serde_json::json;
use trackplan::testing::Capture;
use trackplan::User;

#[derive(trackplan::Event)]
#[event(name = "Order Completed")]
struct OrderCompleted {
    order_id: String,
    total: f64,
    revenue: f64,
    currency: &'static str,
    coupon: Option<String>,
    #[property(rename = "checkout_id")]
    checkout: String,
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
    Free,
    ProPlus,
}

#[derive(trackplan::Traits)]
struct UserTraits {
    email: String,
    #[property(rename = "firstName")]
    first_name: Option<String>,
    tier: Tier,
}

#[derive(trackplan::Traits)]
#[traits(case = "camelCase")]
struct OrgTraits {
    employee_count: u32,
    name: String,
}

#[derive(trackplan::Properties)]
struct PageProperties {
    path: String,
    referrer: Option<String>,
}

fn order() -> OrderCompleted {
    OrderCompleted {
        order_id: "o-1".into(),
        total: 27.5,
        revenue: 25.0,
        currency: "USD",
        coupon: None,
        checkout: "c-9".into(),
        tier: Tier::ProPlus,
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
    }
}

#[test]
fn track_sends_the_derived_name_and_properties() {
    let capture = Capture::new();
    let client = capture.client();
    client.track(&User::id("u1"), &order()).expect("enqueued");
    client.flush_blocking();

    let message = capture.assert_tracked("Order Completed");
    assert_eq!(message["userId"], "u1");
    assert_eq!(
        message["properties"],
        json!({
            "order_id": "o-1",
            "total": 27.5,
            "revenue": 25.0,
            "currency": "USD",
            "checkout_id": "c-9",
            "tier": "pro_plus",
            "products": [
                { "product_id": "p-1", "price": 13.75, "quantity": 1 },
                { "product_id": "p-2", "price": 6.875, "quantity": 2 }
            ]
        })
    );
}

#[test]
fn identify_and_group_send_the_derived_traits() {
    let capture = Capture::new();
    let client = capture.client();
    let traits = UserTraits {
        email: "a@example.com".into(),
        first_name: Some("Ada".into()),
        tier: Tier::Free,
    };
    client.identify(&User::id("u1"), &traits).expect("enqueued");
    let org = OrgTraits {
        employee_count: 42,
        name: "Acme".into(),
    };
    client
        .group(&User::id("u1"), "org-42", &org)
        .expect("enqueued");
    client.flush_blocking();

    let identify = capture.identifies().pop().expect("an identify");
    assert_eq!(
        identify["traits"],
        json!({ "email": "a@example.com", "firstName": "Ada", "tier": "free" })
    );
    let group = capture.groups().pop().expect("a group");
    assert_eq!(group["groupId"], "org-42");
    assert_eq!(
        group["traits"],
        json!({ "employeeCount": 42, "name": "Acme" })
    );
}

#[test]
fn page_and_screen_send_the_derived_properties() {
    let capture = Capture::new();
    let client = capture.client();
    let properties = PageProperties {
        path: "/pricing".into(),
        referrer: None,
    };
    client
        .page(&User::anonymous("a1"), "Pricing", &properties)
        .expect("enqueued");
    client
        .screen(&User::anonymous("a1"), "Home", &properties)
        .expect("enqueued");
    client.flush_blocking();

    let page = capture.pages().pop().expect("a page");
    assert_eq!(page["name"], "Pricing");
    assert_eq!(page["anonymousId"], "a1");
    assert_eq!(page["properties"], json!({ "path": "/pricing" }));
    let screen = capture.screens().pop().expect("a screen");
    assert_eq!(screen["properties"], json!({ "path": "/pricing" }));
}
