//! Personal data end to end: derived (`#[property(pii)]`) and generated (`"x-pii"`) events sent
//! by the real client over HTTP to the in-process collector on 127.0.0.1, under each client PII
//! policy, with the per-field overrides. Every assertion is on the exact wire JSON.

use std::time::Duration;

use serde_json::{json, Value};
use trackplan::{Client, EnqueueError, PiiPolicy, User};
use trackplan_collector::{Collector, CollectorConfig};

mod generated {
    trackplan::plan!("tests/pii/plan.json");
}

/// A derived event with the same fields and marks as the plan's `Account Opened`.
#[derive(trackplan::Event)]
struct AccountOpened {
    account_id: String,
    /// Follows the client's policy.
    #[property(pii)]
    email: String,
    /// Always hashed, whatever the client's policy.
    #[property(pii = "hash")]
    phone: Option<String>,
    /// Marked, but always sent.
    #[property(pii = "send")]
    country: Option<String>,
    address: Option<Address>,
}

#[derive(trackplan::Properties)]
struct Address {
    #[property(pii)]
    street: String,
    city: String,
}

const EMAIL: &str = " Ann.Lee@Example.com ";
const PHONE: &str = "16505551212";

fn derived() -> AccountOpened {
    AccountOpened {
        account_id: "a-1".into(),
        email: EMAIL.into(),
        phone: Some(PHONE.into()),
        country: Some("NL".into()),
        address: Some(Address {
            street: "Main St 1".into(),
            city: "Utrecht".into(),
        }),
    }
}

fn generated() -> generated::AccountOpened {
    generated::AccountOpened {
        account_id: "a-1".into(),
        email: EMAIL.into(),
        phone: Some(PHONE.into()),
        country: Some("NL".into()),
        address: Some(generated::AccountOpenedAddress {
            street: Some("Main St 1".into()),
            city: Some("Utrecht".into()),
        }),
    }
}

/// The lower-case hex SHA-256 of the normalised text, computed outside the client
/// (`printf '%s' TEXT | sha256sum`; the phone number's is Meta's published example).
fn sha256(text: &str) -> String {
    match text {
        PHONE => "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176".to_owned(),
        "ann.lee@example.com" => {
            "b7e0d8372a47f54bbefeb251ab9ac1e9e6b2d1983263de10196101be3961ed23".to_owned()
        }
        "main st 1" => {
            "dc8ee4cc6f94bcdb4d0f44fc7e458c475bdf48e36d4d2bc959316f0b9318edd4".to_owned()
        }
        other => panic!("no known digest for {other:?}"),
    }
}

/// The wire `properties` of `Account Opened` under each client policy.
fn expected(policy: PiiPolicy) -> Value {
    let phone = sha256(PHONE);
    match policy {
        PiiPolicy::Send => json!({
            "account_id": "a-1", "email": EMAIL, "phone": phone, "country": "NL",
            "address": { "street": "Main St 1", "city": "Utrecht" }
        }),
        PiiPolicy::Hash => json!({
            "account_id": "a-1", "email": sha256("ann.lee@example.com"), "phone": phone,
            "country": "NL", "address": { "street": sha256("main st 1"), "city": "Utrecht" }
        }),
        PiiPolicy::Redact => json!({
            "account_id": "a-1", "phone": phone, "country": "NL",
            "address": { "city": "Utrecht" }
        }),
        PiiPolicy::Refuse => unreachable!("a refused call sends nothing"),
    }
}

fn client_to(collector: &Collector, policy: PiiPolicy) -> Client {
    Client::builder("write-key")
        .endpoint(collector.url())
        .allow_insecure_http(true)
        .gzip(false)
        .request_timeout(Duration::from_secs(5))
        .pii_policy(policy)
        .build()
        .unwrap()
}

/// Track the derived and the generated event with a client of `policy`; the messages the
/// collector received from it.
async fn track_both(collector: &Collector, policy: PiiPolicy) -> Vec<Value> {
    let before = collector.events().len();
    let client = client_to(collector, policy);
    let user = User::id("u-1");
    client.track(&user, &derived()).unwrap();
    client.track(&user, &generated()).unwrap();
    let report = client.flush().await;
    let sent: Vec<Value> = collector
        .events()
        .into_iter()
        .skip(before)
        .map(|event| event.message)
        .collect();
    assert_eq!(sent.len(), 2, "{report:?} {sent:#?}");
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_policy_writes_the_exact_wire_json_for_derived_and_generated_events() {
    let collector = Collector::start(CollectorConfig::new())
        .await
        .expect("a collector on 127.0.0.1");
    for policy in [PiiPolicy::Send, PiiPolicy::Hash, PiiPolicy::Redact] {
        let sent = track_both(&collector, policy).await;
        for (message, source) in sent.iter().zip(["derived", "generated"]) {
            assert_eq!(message["event"], "Account Opened");
            assert_eq!(
                message["properties"],
                expected(policy),
                "{source} event under {policy}"
            );
        }
    }
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuse_returns_an_error_naming_the_field_and_sends_nothing() {
    let collector = Collector::start(CollectorConfig::new())
        .await
        .expect("a collector on 127.0.0.1");
    let client = client_to(&collector, PiiPolicy::Refuse);
    let user = User::id("u-1");
    // Without the address, whose street is personal data too and comes first in the
    // generated struct (the plan's properties in key order).
    let derived = AccountOpened {
        address: None,
        ..derived()
    };
    let generated = generated::AccountOpened {
        address: None,
        ..generated()
    };
    for result in [
        client.track(&user, &derived),
        client.track(&user, &generated),
    ] {
        match result {
            Err(EnqueueError::PersonalData { field }) => assert_eq!(field, "email"),
            other => panic!("expected a refusal naming `email`, got {other:?}"),
        }
    }
    // Without the field that follows the client's policy, the fields that fix their own
    // (hash, send) still go out.
    #[derive(trackplan::Event)]
    #[event(name = "Account Opened")]
    struct WithoutEmail {
        account_id: String,
        #[property(pii)]
        email: Option<String>,
        #[property(pii = "hash")]
        phone: Option<String>,
    }
    client
        .track(
            &user,
            &WithoutEmail {
                account_id: "a-1".into(),
                email: None,
                phone: Some(PHONE.into()),
            },
        )
        .unwrap();
    let report = client.flush().await;
    let sent: Vec<Value> = collector
        .events()
        .into_iter()
        .map(|event| event.message)
        .collect();
    assert_eq!(sent.len(), 1, "{report:?} {sent:#?}");
    assert_eq!(
        sent[0]["properties"],
        json!({ "account_id": "a-1", "phone": sha256(PHONE) })
    );
    collector.shutdown().await.unwrap();
}

#[test]
fn identify_traits_follow_the_policy_too() {
    #[derive(trackplan::Traits)]
    struct Customer {
        #[property(pii)]
        email: String,
        plan: String,
    }
    let capture = trackplan::testing::Capture::new();
    let client = capture
        .client_builder()
        .pii_policy(PiiPolicy::Redact)
        .build()
        .unwrap();
    let customer = Customer {
        email: EMAIL.into(),
        plan: "pro".into(),
    };
    client.identify(&User::id("u-1"), &customer).unwrap();
    client.flush_blocking();
    assert_eq!(capture.messages()[0]["traits"], json!({ "plan": "pro" }));
}

#[test]
fn serde_fields_take_the_policy_too() {
    #[derive(serde::Serialize)]
    struct Contact {
        email: String,
    }
    #[derive(trackplan::Event)]
    struct ContactAdded {
        #[property(serde, pii)]
        primary: Contact,
        #[property(serde, pii)]
        backup: Option<Contact>,
        #[property(serde, pii = "send")]
        shared: Option<Contact>,
    }
    let event = ContactAdded {
        primary: Contact {
            email: "a@b.c".into(),
        },
        backup: None,
        shared: Some(Contact {
            email: "team@b.c".into(),
        }),
    };
    let capture = trackplan::testing::Capture::new();
    let redacting = capture
        .client_builder()
        .pii_policy(PiiPolicy::Redact)
        .build()
        .unwrap();
    redacting.track(&User::id("u-1"), &event).unwrap();
    redacting.flush_blocking();
    assert_eq!(
        capture.messages()[0]["properties"],
        json!({ "shared": { "email": "team@b.c" } })
    );
}
