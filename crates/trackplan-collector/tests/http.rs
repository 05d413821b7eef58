//! The collector over real HTTP on 127.0.0.1: ingestion endpoints, auth, gzip, limits,
//! malformed input, the API, the stream, recording and fault injection.

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{batch, error_message, event_names, get, gzip, post, send, track};
use serde_json::{json, Value};
use trackplan_collector::{Collector, CollectorConfig, Failure, Faults, Platform};

async fn start() -> Collector {
    Collector::start(CollectorConfig::new()).await.unwrap()
}

#[tokio::test]
async fn every_ingestion_endpoint_accepts_its_call() {
    let collector = start().await;
    let base = collector.url();
    let singles = [
        ("/v1/track", json!({"userId": "u", "event": "Signed Up"})),
        (
            "/v1/identify",
            json!({"userId": "u", "traits": {"email": "a@b.c"}}),
        ),
        ("/v1/group", json!({"userId": "u", "groupId": "g"})),
        ("/v1/page", json!({"userId": "u", "name": "Home"})),
        ("/v1/screen", json!({"anonymousId": "a", "name": "Cart"})),
        ("/v1/alias", json!({"userId": "u", "previousId": "a"})),
    ];
    for (path, body) in &singles {
        let reply = post(base, path, body.to_string()).await;
        assert_eq!(
            (reply.status, &reply.body),
            (200, &json!({"success": true})),
            "{path}"
        );
    }
    for path in ["/v1/batch", "/v1/import"] {
        let reply = post(base, path, batch(vec![track("Order Completed", json!({}))])).await;
        assert_eq!(
            (reply.status, &reply.body),
            (200, &json!({"success": true})),
            "{path}"
        );
    }

    let events = collector.events();
    let types: Vec<_> = events.iter().map(|e| e.call.as_str()).collect();
    assert_eq!(
        types,
        ["track", "identify", "group", "page", "screen", "alias", "track", "track"]
    );
    assert!(events.iter().all(|e| e.valid), "{events:#?}");
    assert_eq!(events[3].name.as_deref(), Some("Home"));
    let stats = collector.stats();
    assert_eq!(
        (stats.received, stats.valid, stats.invalid, stats.requests),
        (8, 8, 0, 8)
    );
}

#[tokio::test]
async fn segment_rule_violations_are_kept_with_the_message() {
    let collector = start().await;
    let reply = post(
        collector.url(),
        "/v1/track",
        json!({"userId": "u"}).to_string(),
    )
    .await;
    assert_eq!(
        reply.status, 200,
        "Segment answers 200 and drops; the collector flags it"
    );
    let event = &collector.events()[0];
    assert!(!event.valid);
    assert_eq!(event.violations[0].path, "/event");
    assert_eq!(event.violations[0].rule, "segment");
}

#[tokio::test]
async fn a_configured_write_key_is_required() {
    let collector = Collector::start(CollectorConfig::new().write_key("wk_123"))
        .await
        .unwrap();
    let base = collector.url();
    let body = batch(vec![track("A", json!({}))]);
    let client = common::client();
    let url = format!("{base}/v1/batch");
    let basic = |credentials: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        )
    };

    let missing = post(base, "/v1/batch", body.clone()).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.body["code"], "invalid_write_key");
    assert!(
        error_message(&missing).contains("write key"),
        "{:?}",
        missing.body
    );
    assert!(!missing.body.to_string().contains("wk_123"));

    let wrong = send(
        client
            .post(&url)
            .header("authorization", basic("wk_999:"))
            .body(body.clone()),
    )
    .await;
    assert_eq!(wrong.status, 401);

    let right = send(
        client
            .post(&url)
            .header("authorization", basic("wk_123:"))
            .body(body.clone()),
    )
    .await;
    assert_eq!(right.status, 200);

    let in_body = json!({"batch": [track("B", json!({}))], "writeKey": "wk_123"}).to_string();
    assert_eq!(post(base, "/v1/batch", in_body).await.status, 200);
    let single = json!({"userId": "u", "event": "C", "writeKey": "wk_123"}).to_string();
    assert_eq!(post(base, "/v1/track", single).await.status, 200);

    let names: Vec<_> = collector
        .events()
        .into_iter()
        .filter_map(|e| e.name)
        .collect();
    assert_eq!(names, ["A", "B", "C"]);
    assert!(collector
        .events()
        .iter()
        .all(|e| e.message.get("writeKey").is_none()));
    assert_eq!(collector.stats().rejected_requests, 2);
}

#[tokio::test]
async fn gzip_bodies_are_accepted_and_bombs_refused() {
    let collector = start().await;
    let client = common::client();
    let url = format!("{}/v1/batch", collector.url());

    let body = gzip(batch(vec![track("Zipped", json!({"n": 1}))]).as_bytes());
    let ok = send(
        client
            .post(&url)
            .header("content-encoding", "gzip")
            .body(body),
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(collector.events()[0].name.as_deref(), Some("Zipped"));

    // 50 MB of spaces compress to about 50 KB: refused after inflating 8 MiB + 1 byte.
    let mut bomb_text = batch(vec![]).into_bytes();
    bomb_text.extend(std::iter::repeat_n(b' ', 50_000_000));
    let bomb = gzip(&bomb_text);
    assert!(bomb.len() < 500_000);
    let refused = send(
        client
            .post(&url)
            .header("content-encoding", "gzip")
            .body(bomb),
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(
        error_message(&refused).contains("hard cap of 8,388,608 bytes once decompressed"),
        "{:?}",
        refused.body
    );

    let broken = send(
        client
            .post(&url)
            .header("content-encoding", "gzip")
            .body("plain"),
    )
    .await;
    assert_eq!(broken.status, 400);
    assert_eq!(collector.events().len(), 1);
}

#[tokio::test]
async fn an_oversize_message_gets_400_and_its_whole_request_stays_visible_as_refused() {
    let collector = start().await;
    let base = collector.url();

    let at_limit = {
        let mut event = track("AtLimit", json!({"blob": ""}));
        let padding = 32 * 1024 - event.to_string().len();
        event["properties"]["blob"] = json!("x".repeat(padding));
        assert_eq!(event.to_string().len(), 32_768);
        event
    };
    assert_eq!(
        post(base, "/v1/batch", batch(vec![at_limit])).await.status,
        200,
        "32 KiB as the SDKs measure it passes"
    );

    let big = track("Big", json!({"blob": "x".repeat(40_000)}));
    let reply = post(
        base,
        "/v1/batch",
        batch(vec![track("Small", json!({})), big.clone()]),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["code"], "payload_too_large");
    let reason = error_message(&reply).to_owned();
    assert!(
        reason.starts_with("batch[1] has 40,1") && reason.contains("Segment's limit of 32,768"),
        "{reason}"
    );
    assert_eq!(post(base, "/v1/track", big.to_string()).await.status, 400);

    let names: Vec<_> = collector
        .events()
        .into_iter()
        .map(|event| {
            (
                event.name.unwrap(),
                event.refused.map(|r| (r.status, r.reason)),
            )
        })
        .collect();
    assert_eq!(names.len(), 4, "{names:#?}");
    assert_eq!(names[0], ("AtLimit".to_owned(), None));
    assert_eq!(names[1], ("Small".to_owned(), Some((400, reason.clone()))));
    assert_eq!(names[2], ("Big".to_owned(), Some((400, reason))));
    assert_eq!(names[3].0, "Big");

    assert_eq!(
        event_names(base, "?refused=true").await,
        ["Big", "Big", "Small"]
    );
    assert_eq!(event_names(base, "?refused=false").await, ["AtLimit"]);
    let listed = get(base, "/api/events?limit=1").await.body;
    assert_eq!(listed["events"][0]["refused"]["status"], 400);
    let stats = collector.stats();
    assert_eq!(
        (stats.received, stats.refused, stats.rejected_requests),
        (4, 3, 2)
    );
    let big_stats = stats
        .events
        .iter()
        .find(|e| e.name.as_deref() == Some("Big"))
        .unwrap();
    assert_eq!((big_stats.received, big_stats.refused), (2, 2));
}

#[tokio::test]
async fn a_megabyte_batch_is_refused_visibly_by_segment_and_accepted_by_rudderstack() {
    let messages: Vec<Value> = (0..50)
        .map(|n| track(&format!("E{n}"), json!({"blob": "y".repeat(20_000)})))
        .collect();
    let body = batch(messages);
    assert!(body.len() > 1_000_000);

    let segment = start().await;
    let reply = post(segment.url(), "/v1/batch", body.clone()).await;
    assert_eq!(reply.status, 400);
    assert!(
        error_message(&reply).starts_with("the request has 1,00")
            && error_message(&reply).contains("over Segment's limit of 512,000 per request"),
        "{:?}",
        reply.body
    );
    assert_eq!(segment.stats().refused, 50);

    let rudder = Collector::start(CollectorConfig::new().platform(Platform::RudderStack))
        .await
        .unwrap();
    assert_eq!(rudder.platform(), Platform::RudderStack);
    assert_eq!(post(rudder.url(), "/v1/batch", body).await.status, 200);
    assert_eq!((rudder.stats().received, rudder.stats().refused), (50, 0));

    // Over RudderStack's 4,096,000 bytes: 413, as its gateway answers, every message shown.
    let over: Vec<Value> = (0..5)
        .map(|n| track(&format!("R{n}"), json!({"blob": "z".repeat(900_000)})))
        .collect();
    let reply = post(rudder.url(), "/v1/batch", batch(over)).await;
    assert_eq!(reply.status, 413);
    assert!(
        error_message(&reply).contains("over RudderStack's limit of 4,096,000 per request"),
        "{:?}",
        reply.body
    );
    assert_eq!(rudder.stats().refused, 5);

    // Past the hard cap nothing is read, whatever the platform, and the answer says so.
    let reply = post(rudder.url(), "/v1/batch", vec![b' '; 9 * 1024 * 1024]).await;
    assert_eq!(reply.status, 413);
    assert!(
        error_message(&reply).contains("over the collector's hard cap of 8,388,608 bytes"),
        "{:?}",
        reply.body
    );
    assert_eq!(rudder.stats().received, 55);

    let info = get(rudder.url(), "/api/info").await.body;
    assert_eq!(info["platform"], "rudderstack");
    assert_eq!(info["limits"]["maxRequestBytes"], 4_096_000);
}

#[tokio::test]
async fn python_sdk_pages_without_a_name_and_iso_8601_timestamps_are_valid() {
    let collector = start().await;
    let messages = vec![
        json!({"type": "page", "userId": "u", "anonymousId": null, "name": null,
               "category": null, "properties": {}, "context": {}, "integrations": {},
               "timestamp": "2026-01-15", "messageId": "p1"}),
        json!({"type": "screen", "userId": "u", "name": null, "timestamp": "2026-01-15T10:00:00"}),
        json!({"type": "identify", "userId": "u", "timestamp": "2026-01-15T10:00:00.123+0530"}),
        json!({"type": "group", "userId": "u", "groupId": "g", "timestamp": "2026-01-15T10:00Z"}),
    ];
    assert_eq!(
        post(collector.url(), "/v1/batch", batch(messages))
            .await
            .status,
        200
    );
    let events = collector.events();
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.valid), "{events:#?}");
}

#[tokio::test]
async fn malformed_input_gets_400_and_the_collector_keeps_serving() {
    let collector = start().await;
    let base = collector.url();
    let bodies: [(&str, Vec<u8>); 8] = [
        ("/v1/batch", b"not json".to_vec()),
        ("/v1/batch", b"{\"batch\": [".to_vec()),
        ("/v1/batch", b"{\"batch\": {}}".to_vec()),
        ("/v1/batch", b"[]".to_vec()),
        ("/v1/batch", b"{\"batch\": [42, \"x\"]}".to_vec()),
        ("/v1/batch", vec![0xff, 0xfe, 0x00]),
        ("/v1/track", b"[1, 2]".to_vec()),
        ("/v1/identify", b"".to_vec()),
    ];
    for (path, body) in bodies {
        let reply = post(base, path, body.clone()).await;
        assert_eq!(
            reply.status,
            400,
            "{path} {:?}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(reply.body["code"], "bad_request");
        assert!(!error_message(&reply).is_empty());
    }
    assert_eq!(get(base, "/health").await.status, 200);
    assert_eq!(
        post(
            base,
            "/v1/track",
            json!({"userId": "u", "event": "E"}).to_string()
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn the_api_filters_events_and_counts_them() {
    let collector = start().await;
    let base = collector.url();
    let messages = vec![
        track("Order Completed", json!({})),
        json!({"type": "track", "event": "Order Completed"}), // no user: invalid
        track("Product Viewed", json!({})),
        json!({"type": "identify", "userId": "u"}),
    ];
    assert_eq!(post(base, "/v1/batch", batch(messages)).await.status, 200);

    assert_eq!(
        event_names(base, "").await,
        [
            "identify",
            "Product Viewed",
            "Order Completed",
            "Order Completed"
        ]
    );
    assert_eq!(
        event_names(base, "?limit=2").await,
        ["identify", "Product Viewed"]
    );
    assert_eq!(
        event_names(base, "?event=Order%20Completed").await,
        ["Order Completed", "Order Completed"]
    );
    assert_eq!(
        event_names(base, "?invalid=true").await,
        ["Order Completed"]
    );
    assert_eq!(
        event_names(base, "?invalid=false&event=Order%20Completed").await,
        ["Order Completed"]
    );
    let first = &get(base, "/api/events?limit=1").await.body["events"][0];
    assert_eq!(first["type"], "identify");
    assert_eq!(first["valid"], true);
    assert_eq!(first["message"], json!({"type": "identify", "userId": "u"}));
    let raw = common::client()
        .get(format!("{base}/api/events?limit=1"))
        .send()
        .await
        .unwrap();
    let raw = raw.text().await.unwrap();
    assert!(
        raw.contains(r#""message":{"type":"identify","userId":"u"}"#),
        "sent text and key order are kept: {raw}"
    );
    assert!(first["receivedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(get(base, "/api/events?limit=ten").await.status, 400);

    let stats = get(base, "/api/stats").await.body;
    assert_eq!(
        (
            stats["received"].as_u64(),
            stats["valid"].as_u64(),
            stats["invalid"].as_u64()
        ),
        (Some(4), Some(3), Some(1))
    );
    assert_eq!(
        stats["events"],
        json!([
            {"type": "identify", "name": null, "received": 1, "valid": 1, "invalid": 0, "refused": 0},
            {"type": "track", "name": "Order Completed", "received": 2, "valid": 1, "invalid": 1, "refused": 0},
            {"type": "track", "name": "Product Viewed", "received": 1, "valid": 1, "invalid": 0, "refused": 0},
        ])
    );

    let cleared = send(common::client().delete(format!("{base}/api/events"))).await;
    assert_eq!(cleared.status, 200);
    assert!(event_names(base, "").await.is_empty());
    assert_eq!(get(base, "/api/stats").await.body["received"], 0);
}

#[tokio::test]
async fn the_ring_keeps_the_latest_max_events() {
    let collector = Collector::start(CollectorConfig::new().max_events(3))
        .await
        .unwrap();
    let messages = (1..=5)
        .map(|n| track(&format!("E{n}"), json!({})))
        .collect();
    assert_eq!(
        post(collector.url(), "/v1/batch", batch(messages))
            .await
            .status,
        200
    );
    assert_eq!(event_names(collector.url(), "").await, ["E5", "E4", "E3"]);
    assert_eq!(collector.stats().received, 5);
}

#[tokio::test]
async fn the_stream_delivers_a_posted_event() {
    let collector = start().await;
    let base = collector.url().to_owned();
    let mut stream = common::client()
        .get(format!("{base}/api/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");

    assert_eq!(
        post(
            &base,
            "/v1/track",
            track("Streamed", json!({"n": 7})).to_string()
        )
        .await
        .status,
        200
    );

    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout_at(deadline.into(), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = text
        .lines()
        .find_map(|line| line.strip_prefix("data: "))
        .unwrap();
    let event: Value = serde_json::from_str(data).unwrap();
    assert_eq!(event["name"], "Streamed");
    assert_eq!(event["message"]["properties"], json!({"n": 7}));
}

#[tokio::test]
async fn library_subscribers_and_waiters_see_each_message() {
    let collector = start().await;
    let mut feed = collector.subscribe();
    let waiting = collector
        .wait_for_events(2, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert_eq!((waiting.expected, waiting.received), (2, 0));

    let two = batch(vec![track("A", json!({})), track("B", json!({}))]);
    assert_eq!(post(collector.url(), "/v1/batch", two).await.status, 200);
    collector
        .wait_for_events(2, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(feed.recv().await.unwrap().name.as_deref(), Some("A"));
    assert_eq!(feed.recv().await.unwrap().name.as_deref(), Some("B"));
}

#[tokio::test]
async fn recording_appends_every_accepted_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("received.ndjson");
    let collector = Collector::start(CollectorConfig::new().record(&path))
        .await
        .unwrap();
    let body =
        json!({"batch": [track("A", json!({})), track("B", json!({}))], "context": {"app": "x"}});
    assert_eq!(
        post(collector.url(), "/v1/batch", body.to_string())
            .await
            .status,
        200
    );
    assert_eq!(
        post(collector.url(), "/v1/batch", "broken").await.status,
        400
    );

    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["event"], "B");
    assert_eq!(lines[1]["context"], json!({"app": "x"}));
}

#[tokio::test]
async fn injected_failures_answer_every_nth_request_and_store_nothing() {
    let faults = Faults {
        fail: Some(Failure {
            every: 2,
            status: 429,
            retry_after: Some(Duration::from_secs(3)),
        }),
        ..Faults::default()
    };
    let collector = Collector::start(CollectorConfig::new().faults(faults))
        .await
        .unwrap();
    let mut statuses = Vec::new();
    for n in 1..=4 {
        let reply = post(
            collector.url(),
            "/v1/track",
            track(&format!("E{n}"), json!({})).to_string(),
        )
        .await;
        if reply.status == 429 {
            assert_eq!(reply.headers["retry-after"], "3");
            assert!(error_message(&reply).contains("injected fault"));
        }
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [200, 429, 200, 429]);
    let names: Vec<_> = collector
        .events()
        .into_iter()
        .filter_map(|e| e.name)
        .collect();
    assert_eq!(names, ["E1", "E3"]);
    assert_eq!(
        get(collector.url(), "/health").await.status,
        200,
        "the API is never faulted"
    );

    collector.set_faults(Faults {
        fail: Some(Failure {
            every: 1,
            status: 503,
            retry_after: None,
        }),
        ..Faults::default()
    });
    let reply = post(
        collector.url(),
        "/v1/track",
        track("E5", json!({})).to_string(),
    )
    .await;
    assert_eq!(reply.status, 503);
    assert!(reply.headers.get("retry-after").is_none());
}

#[tokio::test]
async fn injected_delays_and_hangs_hold_the_answer() {
    let faults = Faults {
        delay: Some(Duration::from_millis(300)),
        hang_every: Some(2),
        ..Faults::default()
    };
    let collector = Collector::start(CollectorConfig::new().faults(faults))
        .await
        .unwrap();
    let url = collector.url().to_owned();

    let started = Instant::now();
    assert_eq!(
        post(&url, "/v1/track", track("Slow", json!({})).to_string())
            .await
            .status,
        200
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the answer came before the delay"
    );

    let hung = common::client()
        .post(format!("{url}/v1/track"))
        .body(track("Hung", json!({})).to_string())
        .timeout(Duration::from_millis(800))
        .send()
        .await;
    assert!(hung.unwrap_err().is_timeout());
    assert_eq!(collector.events().len(), 1);

    // A hung request does not keep the collector from shutting down.
    collector.set_faults(Faults {
        hang_every: Some(1),
        ..Faults::default()
    });
    let pending = tokio::spawn({
        let url = url.clone();
        async move {
            common::client()
                .post(format!("{url}/v1/track"))
                .body("{}")
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    tokio::time::timeout(Duration::from_secs(10), collector.shutdown())
        .await
        .unwrap()
        .unwrap();
    let answer = pending.await.unwrap();
    assert!(
        answer.as_ref().is_err() || answer.as_ref().unwrap().status() == 503,
        "{answer:?}"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_are_refused_clearly() {
    let collector = start().await;
    let missing = post(collector.url(), "/v2/batch", "{}").await;
    assert_eq!(missing.status, 404);
    assert!(error_message(&missing).contains("/v1/batch"));
    assert_eq!(get(collector.url(), "/v1/batch").await.status, 405);
}

#[tokio::test]
async fn it_binds_loopback_by_default_and_the_page_is_self_contained() {
    let collector = start().await;
    assert!(collector.addr().ip().is_loopback());
    assert!(collector.url().starts_with("http://127.0.0.1:"));

    let page = common::client()
        .get(format!("{}/", collector.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    let html = page.text().await.unwrap();
    for asset in ["/app.js", "/app.css"] {
        assert!(html.contains(asset));
        assert_eq!(get(collector.url(), asset).await.status, 200);
    }
    for text in [html, get(collector.url(), "/app.js").await.body.to_string()] {
        for remote in ["=\"http", "url(http", "(\"http", "//cdn"] {
            assert!(
                !text.contains(remote),
                "the page must not load anything remote: {remote}"
            );
        }
    }
}

#[tokio::test]
async fn shutdown_ends_open_streams() {
    let collector = start().await;
    let mut stream = common::client()
        .get(format!("{}/api/stream", collector.url()))
        .send()
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), collector.shutdown())
        .await
        .expect("an open stream kept the collector running")
        .unwrap();
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(end.is_ok(), "the stream was not closed");
}
