//! End to end: events generated from the fixture plans, sent by the real client over HTTP to the
//! local collector (in process, on 127.0.0.1), arrive with the exact wire JSON (torture names included) and the plan's
//! metadata in `context`.

use std::time::Duration;

use serde_json::{json, Value};
use trackplan::{Client, User};
use trackplan_collector::{Collector, CollectorConfig};

#[allow(dead_code)]
mod e2e {
    include!("plans/generated/typewriter_e2e_v1.rs");
}
#[allow(dead_code)]
mod rudder {
    include!("plans/generated/ruddertyper_example_v2.rs");
}

/// A client sending to `collector` over plain HTTP on 127.0.0.1.
fn client_to(collector: &Collector) -> Client {
    Client::builder("write-key")
        .endpoint(collector.url())
        .allow_insecure_http(true)
        .gzip(false)
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_events_arrive_byte_exact_with_plan_metadata() {
    let collector = Collector::start(CollectorConfig::new())
        .await
        .expect("a collector on 127.0.0.1");
    let client = client_to(&collector);
    let user = User::id("u-1");
    client.track(&user, &e2e::X42TerribleEventName3 {}).unwrap();
    client
        .track(
            &user,
            &e2e::PropertySanitized {
                x0000_terrible_property_name_3: "v".into(),
            },
        )
        .unwrap();
    client.track(&user, &e2e::EventCollided2 {}).unwrap();
    client
        .track(
            &user,
            &e2e::EnumTypes {
                string_enum: Some(e2e::EnumTypesStringEnum::EvilMorty),
            },
        )
        .unwrap();
    client
        .identify(
            &user,
            &rudder::Identify {
                sample_property_1: Some(json!([1])),
            },
        )
        .unwrap();
    let report = client.flush().await;
    let sent: Vec<Value> = collector
        .events()
        .into_iter()
        .map(|event| event.message)
        .collect();
    assert_eq!(sent.len(), 5, "{report:?} {sent:#?}");

    assert_eq!(sent[0]["event"], "42_--terrible==\\\"event'++name~!3");
    assert_eq!(sent[0]["properties"], json!({}));
    assert_eq!(
        sent[1]["properties"],
        json!({ "0000---terrible-property-name~!3": "v" })
    );
    assert_eq!(sent[2]["event"], "event_collided");
    assert_eq!(
        sent[3]["properties"],
        json!({ "string const": "Rick Sanchez", "string enum": "Evil Morty" })
    );
    assert_eq!(sent[4]["type"], "identify");
    assert_eq!(sent[4]["traits"], json!({ "Sample property 1": [1] }));

    for message in &sent[..4] {
        assert_eq!(
            message["context"]["protocols"]["event_version"], 1,
            "{message}"
        );
        assert_eq!(
            message["context"]["trackplan"]["plan"],
            "Typewriter E2E Testing Tracking Plan"
        );
        assert_eq!(
            message["context"]["trackplan"]["generator_version"],
            env!("CARGO_PKG_VERSION")
        );
    }
    assert!(
        sent[4]["context"]["protocols"]
            .get("event_version")
            .is_none(),
        "RudderTyper rules have no version"
    );
    collector.shutdown().await.unwrap();
}
