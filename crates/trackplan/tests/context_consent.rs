//! Typed context, integrations and consent end to end: the real client sends over HTTP to the
//! local collector (in process, on 127.0.0.1), and each precedence rule and consent decision is
//! asserted on the exact wire JSON the collector received.

use std::time::Duration;

use serde_json::{json, Value};
use trackplan::context::{App, Device, Page};
use trackplan::testing::Capture;
use trackplan::{
    CallOptions, CallType, Client, ClientBuilder, Consent, ConsentPolicy, Context, EnqueueError,
    Integrations, RawEvent, User,
};
use trackplan_collector::{Collector, CollectorConfig};

mod plan {
    trackplan::plan!("tests/plans/consent.json");
}

/// Needs the user's consent to analytics.
#[derive(trackplan::Event)]
#[event(consent = "Analytics")]
struct ProductViewed {
    product_id: String,
}

/// Needs two categories: both must be granted.
#[derive(trackplan::Event)]
#[event(consent = "Analytics", consent = "Advertising")]
struct CampaignOpened {
    campaign_id: String,
}

/// Needs no consent.
#[derive(trackplan::Event)]
struct OrderCompleted {
    order_id: String,
}

#[derive(trackplan::Traits)]
#[traits(consent = "Functional")]
struct Profile {
    plan: String,
}

fn library() -> Value {
    json!({ "name": "trackplan", "version": env!("CARGO_PKG_VERSION") })
}

fn app(name: &str) -> App {
    App {
        name: Some(name.into()),
        ..App::default()
    }
}

/// A client builder sending to `collector` over plain HTTP on 127.0.0.1.
fn builder_to(collector: &Collector) -> ClientBuilder {
    Client::builder("write-key")
        .endpoint(collector.url())
        .allow_insecure_http(true)
        .gzip(false)
        .request_timeout(Duration::from_secs(5))
}

/// Every message the collector received, without the fields that change on every run.
async fn received(client: &Client, collector: &Collector) -> Vec<Value> {
    let report = client.flush().await;
    assert!(report.is_complete(), "{report:?}");
    collector
        .events()
        .into_iter()
        .map(|event| {
            let mut message = event.message;
            let object = message.as_object_mut().expect("a message is an object");
            assert!(object.remove("messageId").is_some_and(|id| id.is_string()));
            assert!(object.remove("timestamp").is_some_and(|at| at.is_string()));
            message
        })
        .collect()
}

async fn start_collector() -> Collector {
    Collector::start(CollectorConfig::new())
        .await
        .expect("a collector on 127.0.0.1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_context_replaces_the_default_key_by_key_and_library_is_always_trackplans() {
    let collector = start_collector().await;
    let default = Context::new()
        .app(app("shop"))
        .locale("en-GB")
        .device(Device {
            id: Some("d-1".into()),
            ..Device::default()
        })
        .extra("channel", "server")
        .unwrap()
        .extra("tenant", "t-1")
        .unwrap();
    let client = builder_to(&collector).context(default).build().unwrap();
    let user = User::id("u-1");
    let order = OrderCompleted {
        order_id: "o-1".into(),
    };

    // 1. No call context: the default, with trackplan's library.
    client.track(&user, &order).unwrap();
    // 2. A typed call context: its keys replace the default's whole values (`app` has no
    //    `name` any more), keys only the default sets stay, extra keys merge by key.
    let typed = CallOptions::new().context(
        Context::new()
            .app(App {
                version: Some("2.0.0".into()),
                ..App::default()
            })
            .ip("203.0.113.7".parse().unwrap())
            .page(Page {
                path: Some("/basket".into()),
                ..Page::default()
            })
            .extra("tenant", "t-2")
            .unwrap(),
    );
    client.track_with(&user, &order, &typed).unwrap();
    // 3. Untyped keys go over the typed call context and the default; `library` stays ours.
    let untyped = typed
        .clone()
        .context_json(
            json!({ "ip": "198.51.100.1", "library": { "name": "other" }, "active": false }),
        )
        .unwrap();
    client.track_with(&user, &order, &untyped).unwrap();
    // 4. Typed integrations.
    let only_amplitude = CallOptions::new().integrations(
        Integrations::all(false)
            .enable("Amplitude")
            .options(
                "Amplitude",
                json!({ "session_id": 17 }).as_object().cloned().unwrap(),
            )
            .disable("Salesforce"),
    );
    client.track_with(&user, &order, &only_amplitude).unwrap();

    let sent = received(&client, &collector).await;
    let default_context = json!({
        "app": { "name": "shop" },
        "locale": "en-GB",
        "device": { "id": "d-1" },
        "channel": "server",
        "tenant": "t-1",
        "library": library(),
    });
    let message = |context: Value| {
        json!({
            "type": "track",
            "userId": "u-1",
            "event": "Order Completed",
            "properties": { "order_id": "o-1" },
            "context": context,
        })
    };
    assert_eq!(sent.len(), 4, "{sent:#?}");
    assert_eq!(sent[0], message(default_context.clone()));
    let typed_context = json!({
        "app": { "version": "2.0.0" },
        "locale": "en-GB",
        "device": { "id": "d-1" },
        "ip": "203.0.113.7",
        "page": { "path": "/basket" },
        "channel": "server",
        "tenant": "t-2",
        "library": library(),
    });
    assert_eq!(sent[1], message(typed_context.clone()));
    let mut untyped_context = typed_context;
    untyped_context["ip"] = json!("198.51.100.1");
    untyped_context["active"] = json!(false);
    assert_eq!(sent[2], message(untyped_context));
    let mut with_integrations = message(default_context);
    with_integrations["integrations"] = json!({
        "All": false,
        "Amplitude": { "session_id": 17 },
        "Salesforce": false,
    });
    assert_eq!(sent[3], with_integrations);
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_comes_from_the_call_else_the_source_else_the_default_context() {
    let collector = start_collector().await;
    let client = builder_to(&collector)
        .context(Context::new().consent(Consent::new().grant("Analytics")))
        .consent(|user: &User| match user.user_id() {
            Some("u-denied") => Consent::new().deny("Analytics").grant("Functional"),
            _ => Consent::new().grant("Analytics").deny("Advertising"),
        })
        .build()
        .unwrap();
    let viewed = ProductViewed {
        product_id: "p-1".into(),
    };
    // The source answers for the user.
    client.track(&User::id("u-1"), &viewed).unwrap();
    // A consent on the call's context overrides the source (and is what is checked).
    let call_consent = CallOptions::new()
        .context(Context::new().consent(Consent::new().grant("Analytics").grant("Advertising")));
    client
        .track_with(&User::id("u-denied"), &viewed, &call_consent)
        .unwrap();
    // So does an untyped consent.
    let untyped = CallOptions::new()
        .context_json(json!({ "consent": { "categoryPreferences": { "Analytics": true } } }))
        .unwrap();
    client
        .track_with(&User::id("u-denied"), &viewed, &untyped)
        .unwrap();
    client.flush().await;
    // Without a source, the default context's consent is stamped.
    let without_source = builder_to(&collector)
        .context(Context::new().consent(Consent::new().grant("Analytics")))
        .build()
        .unwrap();
    without_source.track(&User::id("u-2"), &viewed).unwrap();
    without_source.flush().await;

    let sent = received(&client, &collector).await;
    let consents: Vec<&Value> = sent
        .iter()
        .map(|message| &message["context"]["consent"])
        .collect();
    assert_eq!(
        consents,
        [
            &json!({ "categoryPreferences": { "Advertising": false, "Analytics": true } }),
            &json!({ "categoryPreferences": { "Advertising": true, "Analytics": true } }),
            &json!({ "categoryPreferences": { "Analytics": true } }),
            &json!({ "categoryPreferences": { "Analytics": true } }),
        ]
    );
    assert_eq!(
        sent[0],
        json!({
            "type": "track",
            "userId": "u-1",
            "event": "Product Viewed",
            "properties": { "product_id": "p-1" },
            "context": {
                "consent": { "categoryPreferences": { "Advertising": false, "Analytics": true } },
                "library": library(),
            },
        })
    );
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_are_withheld_unless_every_required_category_is_granted() {
    let collector = start_collector().await;
    let client = builder_to(&collector)
        .consent(|user: &User| match user.user_id() {
            Some("u-all") => Consent::new()
                .grant("Analytics")
                .grant("Advertising")
                .grant("Functional"),
            Some("u-analytics") => Consent::new().grant("Analytics").deny("Advertising"),
            _ => Consent::new(),
        })
        .build()
        .unwrap();
    let all = User::id("u-all");
    let analytics_only = User::id("u-analytics");
    let nobody = User::id("u-none");
    let viewed = ProductViewed {
        product_id: "p-1".into(),
    };
    let opened = CampaignOpened {
        campaign_id: "c-1".into(),
    };
    let profile = Profile { plan: "pro".into() };

    client.track(&all, &opened).unwrap();
    client.identify(&all, &profile).unwrap();
    client.track(&analytics_only, &viewed).unwrap();
    // One of two categories is not enough.
    let refused = client.track(&analytics_only, &opened).unwrap_err();
    assert!(
        matches!(
            &refused,
            EnqueueError::ConsentWithheld { call: CallType::Track, name, missing }
                if name == "Campaign Opened" && missing == &["Advertising"]
        ),
        "{refused:?}"
    );
    assert_eq!(
        refused.to_string(),
        "track \"Campaign Opened\" was not sent: the user has not granted consent for Advertising"
    );
    // An empty consent grants nothing.
    assert!(matches!(
        client.identify(&nobody, &profile),
        Err(EnqueueError::ConsentWithheld { call: CallType::Identify, ref missing, .. }) if missing == &["Functional"]
    ));
    // Items that require nothing are sent whatever the consent, with it stamped.
    client
        .track(
            &nobody,
            &OrderCompleted {
                order_id: "o-1".into(),
            },
        )
        .unwrap();
    // A type generated from a plan with `x-consent` requires its categories too.
    let ad = plan::AdClicked {
        ad_id: "ad-1".into(),
    };
    assert!(matches!(
        client.track(&analytics_only, &ad),
        Err(EnqueueError::ConsentWithheld { ref missing, .. }) if missing == &["Advertising"]
    ));
    client.track(&all, &ad).unwrap();

    let sent = received(&client, &collector).await;
    let summary: Vec<(&Value, &Value)> = sent
        .iter()
        .map(|m| (&m["userId"], m.get("event").unwrap_or(&m["type"])))
        .collect();
    assert_eq!(
        summary,
        [
            (&json!("u-all"), &json!("Campaign Opened")),
            (&json!("u-all"), &json!("identify")),
            (&json!("u-analytics"), &json!("Product Viewed")),
            (&json!("u-none"), &json!("Order Completed")),
            (&json!("u-all"), &json!("Ad Clicked")),
        ]
    );
    assert_eq!(
        sent[3]["context"]["consent"],
        json!({ "categoryPreferences": {} })
    );
    assert_eq!(client.metrics().consent_withheld, 3);
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_any_consent_required_items_are_withheld_and_others_carry_none() {
    let collector = start_collector().await;
    let client = builder_to(&collector).build().unwrap();
    let user = User::anonymous("a-1");
    assert!(matches!(
        client.track(
            &user,
            &ProductViewed {
                product_id: "p-1".into()
            }
        ),
        Err(EnqueueError::ConsentWithheld { .. })
    ));
    client
        .track(&user, &RawEvent::new("Page Scrolled", json!({})))
        .unwrap();
    let sent = received(&client, &collector).await;
    assert_eq!(
        sent,
        [json!({
            "type": "track",
            "anonymousId": "a-1",
            "event": "Page Scrolled",
            "properties": {},
            "context": { "library": library() },
        })]
    );
    assert_eq!(client.metrics().consent_withheld, 1);
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stamp_only_sends_with_the_denial_stamped_for_segment_to_enforce() {
    let collector = start_collector().await;
    let client = builder_to(&collector)
        .consent(|_: &User| Consent::new().deny("Analytics"))
        .consent_policy(ConsentPolicy::StampOnly)
        .build()
        .unwrap();
    client
        .track(
            &User::id("u-1"),
            &ProductViewed {
                product_id: "p-1".into(),
            },
        )
        .unwrap();
    let sent = received(&client, &collector).await;
    assert_eq!(
        sent,
        [json!({
            "type": "track",
            "userId": "u-1",
            "event": "Product Viewed",
            "properties": { "product_id": "p-1" },
            "context": {
                "consent": { "categoryPreferences": { "Analytics": false } },
                "library": library(),
            },
        })]
    );
    assert_eq!(client.metrics().consent_withheld, 0);
    collector.shutdown().await.unwrap();
}

#[test]
fn capture_records_what_was_withheld_and_why() {
    let capture = Capture::new();
    let client = capture
        .client_builder()
        .consent(|_: &User| Consent::new().grant("Analytics"))
        .build()
        .unwrap();
    let user = User::id("u-1");
    client
        .track(
            &user,
            &ProductViewed {
                product_id: "p-1".into(),
            },
        )
        .unwrap();
    let _ = client.track(
        &user,
        &CampaignOpened {
            campaign_id: "c-1".into(),
        },
    );
    let _ = client.identify(&user, &Profile { plan: "pro".into() });
    client.flush_blocking();

    capture.assert_tracked("Product Viewed");
    capture.assert_not_tracked("Campaign Opened");
    let withheld = capture.assert_withheld("Campaign Opened");
    assert_eq!(withheld.call, CallType::Track);
    assert_eq!(withheld.user, user);
    assert_eq!(withheld.missing, ["Advertising"]);
    assert_eq!(capture.assert_withheld("").missing, ["Functional"]);
    assert_eq!(capture.withheld().len(), 2);
    assert_eq!(client.metrics().consent_withheld, 2);
    capture.clear();
    assert!(capture.withheld().is_empty());
}

#[test]
#[should_panic(expected = "no \"Product Viewed\" message was withheld for lack of consent")]
fn assert_withheld_fails_for_a_message_that_was_sent() {
    let capture = Capture::new();
    let client = capture
        .client_builder()
        .consent(|_: &User| Consent::new().grant("Analytics"))
        .build()
        .unwrap();
    client
        .track(
            &User::id("u-1"),
            &ProductViewed {
                product_id: "p-1".into(),
            },
        )
        .unwrap();
    capture.assert_withheld("Product Viewed");
}
