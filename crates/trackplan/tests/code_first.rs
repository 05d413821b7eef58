//! Code-first tracking plans (issue 12): the derives describe themselves as JSON Schema, and
//! `TrackingPlan` exports the plan `trackplan pull` would save, kept current in
//! `tests/plans/code_first.json` by `assert_plan_file` (the round trip from that file is
//! `code_first_round_trip.rs`).

#[path = "code_first/shop.rs"]
mod shop;

use serde_json::json;
use trackplan::testing::assert_plan_file;
use trackplan::{Properties as _, TrackingPlan, Traits as _};

use shop::*;

/// The plan of the shop's types, as the checked-in file holds it.
fn shop_plan() -> TrackingPlan {
    TrackingPlan::new("Code First Shop")
        .track::<OrderCompleted>()
        .track::<ProductsSearched>()
        .identify::<UserTraits>()
        .group::<CompanyTraits>()
        .page::<PricingPage>("Pricing")
}

#[test]
fn the_exported_plan_file_is_current() {
    assert_plan_file("tests/plans/code_first.json", &shop_plan());
}

#[test]
fn the_export_is_what_the_plan_reader_reads() {
    let text = shop_plan().to_json_string().unwrap();
    let plan = trackplan_plan::parse(&text, &Default::default()).unwrap();
    let rules: Vec<(&str, &str)> = plan
        .rules
        .iter()
        .map(|r| (r.call.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            ("track", "Order Completed"),
            ("track", "Products Searched"),
            ("identify", ""),
            ("group", ""),
            ("page", "Pricing"),
        ]
    );
    let order = &plan.rules[0];
    assert_eq!(
        order.description.as_deref(),
        Some("Sent when an order is paid.")
    );
    assert!(order.payload_required);
    assert_eq!(order.version, Some(1));
}

#[test]
fn fields_map_to_json_schema() {
    let described = trackplan::describe::SchemaGenerator::payload::<OrderCompleted>();
    let schema = described.schema;
    let properties = &schema["properties"];
    assert_eq!(
        properties["order_id"],
        json!({"type": "string", "pattern": "^o-[0-9]+$", "maxLength": 12, "description": "The order's id, as the shop writes it."})
    );
    assert_eq!(
        properties["total"],
        json!({"type": "number", "minimum": 0, "exclusiveMaximum": 1000000, "description": "In the order's currency."})
    );
    assert_eq!(
        properties["quantity"],
        json!({"type": "integer", "minimum": 1})
    );
    assert_eq!(properties["coupon"], json!({"type": "string"}));
    assert_eq!(properties["discount"], json!({"type": ["number", "null"]}));
    assert_eq!(
        properties["tags"],
        json!({"type": "array", "items": {"type": "string"}, "uniqueItems": true})
    );
    assert_eq!(
        properties["attributes"],
        json!({"type": "object", "additionalProperties": {"type": "integer"}})
    );
    assert_eq!(
        properties["tier"],
        json!({"type": "string", "enum": ["free", "pro plus"], "description": "The customer's plan."})
    );
    assert_eq!(
        properties["receipt_email"],
        json!({"type": "string", "format": "email", "x-pii": true})
    );
    // Used twice (items and `gift_wrap`): shared; used once: inline, with its renamed key.
    assert_eq!(properties["gift_wrap"], json!({"$ref": "#/$defs/Product"}));
    assert_eq!(
        properties["products"],
        json!({"type": "array", "items": {"$ref": "#/$defs/Product"}, "minItems": 1, "maxItems": 50})
    );
    assert_eq!(properties["ship_to"]["properties"]["zip"]["minLength"], 3);
    assert!(properties.get("internal_note").is_none());
    assert_eq!(
        schema["required"],
        json!([
            "attributes",
            "gift_wrap",
            "order_id",
            "products",
            "quantity",
            "tags",
            "tier",
            "total"
        ])
    );
    assert_eq!(
        described.definitions["Product"]["required"],
        json!(["price", "sku"])
    );
    assert!(described.undescribed.is_empty());
}

#[test]
fn a_serde_field_without_a_schema_is_any_value_and_the_plan_says_so() {
    let plan = TrackingPlan::new("Blobs").track::<BlobUploaded>();
    let json = plan.to_json().unwrap();
    let payload = &json["rules"][0]["jsonSchema"]["properties"]["properties"];
    assert_eq!(payload["properties"]["blob"], json!({}));
    // A serde type that describes itself keeps its schema, and `Option` leaves it optional.
    assert_eq!(
        payload["properties"]["sizes"],
        json!({"type": "array", "items": {"type": "integer", "minimum": 0}})
    );
    assert_eq!(payload["required"], json!(["blob"]));
    let description = json["description"].as_str().unwrap();
    assert!(
        description.contains("track `Blob Uploaded` (code_first::shop::Opaque)"),
        "{description}"
    );
}

mod elsewhere {
    /// Another type claiming the shop's event name.
    #[derive(trackplan::Event)]
    #[event(name = "Order Completed")]
    pub struct LegacyOrderCompleted {
        pub id: String,
    }
}

#[test]
fn two_types_for_one_rule_are_an_error_naming_both() {
    let error = TrackingPlan::new("Shop")
        .track::<OrderCompleted>()
        .track::<elsewhere::LegacyOrderCompleted>()
        .identify::<UserTraits>()
        .identify::<CompanyTraits>()
        .to_json()
        .unwrap_err();
    assert_eq!(
        error.collisions,
        [
            "track `Order Completed` is defined by both `code_first::elsewhere::LegacyOrderCompleted` and `code_first::shop::OrderCompleted`",
            "identify `` is defined by both `code_first::shop::CompanyTraits` and `code_first::shop::UserTraits`",
        ]
    );
    // The same type twice is one rule.
    let twice = TrackingPlan::new("Shop")
        .track::<OrderCompleted>()
        .track::<OrderCompleted>();
    assert_eq!(
        twice.to_json().unwrap()["rules"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn registered_finds_every_derived_event_and_traits_in_the_binary() {
    // This binary links two events named `Order Completed`: the registry reports them.
    let error = TrackingPlan::registered("Everything")
        .to_json()
        .unwrap_err();
    assert_eq!(error.collisions.len(), 1, "{error}");
    assert!(
        error.collisions[0].contains("LegacyOrderCompleted"),
        "{error}"
    );
    // Without the colliding event, the registered plan is the listed one plus the others.
    let registered = TrackingPlan::registered("Code First Shop");
    let listed = shop_plan()
        .track::<BlobUploaded>()
        .track::<elsewhere::LegacyOrderCompleted>();
    assert_eq!(
        registered.to_json().unwrap_err(),
        listed.to_json().unwrap_err()
    );
}

#[test]
fn constraint_attributes_are_checked_at_runtime() {
    let mut order = valid_order();
    assert_eq!(order.violations(), []);
    order.order_id = "x-1".into();
    order.total = -1.0;
    order.quantity = 0;
    order.tags = vec!["a".into(), "b".into(), "a".into()];
    order.products.clear();
    order.receipt_email = Some("nobody".into());
    assert_eq!(
        paths_and_rules(&order),
        [
            ("/order_id".to_owned(), "pattern"),
            ("/products".to_owned(), "minItems"),
            ("/quantity".to_owned(), "minimum"),
            ("/receipt_email".to_owned(), "format"),
            ("/tags".to_owned(), "uniqueItems"),
            ("/total".to_owned(), "minimum"),
        ]
    );
    let traits = UserTraits {
        email: None,
        age: Some(200),
    };
    assert_eq!(traits.violations()[0].rule, "maximum");
}

/// Objects nested in an event (in a field, a sequence, an option) report their own constraints
/// under their pointer in the event, as generated types do.
#[test]
fn nested_objects_report_their_constraints_under_their_pointer() {
    let mut order = valid_order();
    order.products.push(Product {
        sku: "s-2".into(),
        price: -3.0,
        quantity: None,
    });
    order.gift_wrap.price = -1.0;
    order.shipping_address = Some(Address {
        city: "Oslo".into(),
        zip: Some("01".into()),
    });
    assert_eq!(
        paths_and_rules(&order),
        [
            ("/gift_wrap/price".to_owned(), "minimum"),
            ("/products/1/price".to_owned(), "minimum"),
            ("/ship_to/zip".to_owned(), "minLength"),
        ]
    );
    // A nested object's own `violations()` is relative to itself.
    assert_eq!(order.gift_wrap.violations()[0].path, "/price");
}

/// Each violation of `order` as its path and rule, in the order they are reported.
fn paths_and_rules(order: &OrderCompleted) -> Vec<(String, &'static str)> {
    order
        .violations()
        .into_iter()
        .map(|v| (v.path, v.rule))
        .collect()
}

pub fn valid_order() -> OrderCompleted {
    let product = Product {
        sku: "s-1".into(),
        price: 9.5,
        quantity: Some(2),
    };
    OrderCompleted {
        order_id: "o-1".into(),
        total: 19.0,
        products: vec![product.clone()],
        gift_wrap: product,
        tier: Tier::ProPlus,
        quantity: 1,
        coupon: None,
        discount: trackplan::Nullable::Null,
        tags: vec!["gift".into()],
        attributes: [("weight".to_owned(), 3)].into(),
        shipping_address: Some(Address {
            city: "Oslo".into(),
            zip: Some("0150".into()),
        }),
        receipt_email: Some("a@b.co".into()),
        internal_note: "not sent".into(),
    }
}

#[test]
fn describing_is_deterministic() {
    assert_eq!(
        shop_plan().to_json_string().unwrap(),
        shop_plan().to_json_string().unwrap()
    );
    assert_eq!(
        trackplan::describe::SchemaGenerator::new().subschema::<Tier>()["enum"],
        json!(["free", "pro plus"])
    );
}

/// Personal data and consent travel with the plan: `#[property(pii)]` exports `"x-pii"` on the
/// property (the policy when the field fixes one), `consent` exports `"x-consent"` on the rule's
/// schema, and the plan reader reads both back as the collector, lint and codegen see them.
#[test]
fn personal_data_and_consent_are_exported_as_the_plan_marks_them() {
    /// A newsletter sign-up.
    #[derive(trackplan::Event)]
    #[event(consent = "Marketing", consent = "Analytics")]
    struct NewsletterSubscribed {
        #[property(pii)]
        email: String,
        #[property(pii = "hash")]
        phone: Option<String>,
        list: String,
    }

    let json = TrackingPlan::new("Consent")
        .track::<NewsletterSubscribed>()
        .to_json()
        .unwrap();
    let schema = &json["rules"][0]["jsonSchema"];
    assert_eq!(schema["x-consent"], json!(["Marketing", "Analytics"]));
    let properties = &schema["properties"]["properties"];
    assert!(properties.get("x-consent").is_none(), "{properties}");
    assert_eq!(properties["properties"]["email"]["x-pii"], true);
    assert_eq!(properties["properties"]["phone"]["x-pii"], "hash");
    assert!(properties["properties"]["list"].get("x-pii").is_none());

    let text = serde_json::to_string(&json).unwrap();
    let plan = trackplan_plan::parse(&text, &Default::default()).unwrap();
    assert_eq!(plan.rules[0].consent(), ["Marketing", "Analytics"]);
    let marked =
        |name: &str| trackplan_plan::pii::mark(&plan.rules[0].payload["properties"][name]).unwrap();
    use trackplan_plan::pii::PiiMark;
    assert_eq!(marked("email"), Some(PiiMark::ClientPolicy));
    assert_eq!(marked("phone"), Some(PiiMark::Fixed("hash")));
    assert_eq!(marked("list"), None);
}
