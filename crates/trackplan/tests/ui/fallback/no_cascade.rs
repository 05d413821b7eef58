// The derive fails on the name; code that sends the event, reads its name or nests the
// properties reports nothing more.
use trackplan::{Event as _, Properties as _};

#[derive(trackplan::Event)]
#[event(name = "")]
struct OrderCompleted {
    order_id: String,
    products: Vec<Product>,
}

#[derive(trackplan::Properties)]
struct Product {
    #[property(rename = "Product ID")]
    product_id: String,
}

#[derive(trackplan::Enum)]
enum Tier {
    Free,
    #[property(rename = "free")]
    Trial,
}

fn send<E: trackplan::Event>(_: &E) {}
fn nest<V: trackplan::PropertyValue>(_: &V) {}

fn main() {
    let order = OrderCompleted { order_id: "o".into(), products: vec![] };
    send(&order);
    let _ = order.event_name();
    let _ = order.write_properties(&mut Vec::new());
    nest(&Product { product_id: "p".into() });
    let _ = Tier::Free.as_str();
    nest(&Tier::Trial);
}
