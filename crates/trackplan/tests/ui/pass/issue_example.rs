// The example of issue #3, as users write it.
use trackplan::{Event as _, Properties as _, Traits as _};

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

#[derive(trackplan::Traits)]
struct UserTraits {
    email: String,
    #[property(rename = "firstName")]
    first_name: Option<String>,
}

#[derive(trackplan::Enum)]
enum Tier {
    Free,
    Pro,
}

#[derive(trackplan::Traits)]
#[traits(case = "camelCase")]
struct OrgTraits {
    employee_count: u32,
    tier: Tier,
}

fn main() -> Result<(), trackplan::EncodeError> {
    let order = OrderCompleted {
        order_id: "o-1".into(),
        total: 10.0,
        coupon: None,
        checkout: "c-1".into(),
        products: vec![Product { product_id: "p-1".into(), price: 10.0, quantity: 1 }],
    };
    let mut out = Vec::new();
    order.write_properties(&mut out)?;
    let _ = order.event_name();
    UserTraits { email: "a@example.com".into(), first_name: None }.write_traits(&mut out)?;
    OrgTraits { employee_count: 3, tier: Tier::Pro }.write_traits(&mut out)?;
    let _ = Tier::Free.as_str();
    Ok(())
}
