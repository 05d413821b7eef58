//! Security of the client: the write key never shows in Debug, Display, logs (every level, the
//! HTTP stack's included), errors or panics; plain `http://` only to loopback unless opted in,
//! with a refusal that says why; TLS certificates are verified, so a self-signed endpoint on
//! 127.0.0.1 gets nothing and the messages go to the failure callback.

mod faults_support;

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use faults_support::{closed_loopback_port, eventually, start_collector};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls;
use trackplan::{
    Client, ConfigProblem, EnqueueError, FailedBatch, FailureReason, HttpTransport, RawEvent,
    RetryPolicy, User, WriteKey,
};
use trackplan_collector::{CollectorConfig, Failure, Faults};

const SECRET: &str = "wk_live_H7_d0n0tl34k";

/// The forms the key could leak in: as is, and base64-encoded in the Basic auth header.
fn secret_forms() -> [String; 2] {
    let basic = WriteKey::new(SECRET).basic_auth();
    [
        SECRET.to_owned(),
        basic.trim_start_matches("Basic ").to_owned(),
    ]
}

#[track_caller]
fn assert_no_secret(what: &str, text: &str) {
    for form in secret_forms() {
        assert!(
            !text.contains(&form),
            "the write key leaked into {what}: {text}"
        );
    }
}

fn quick_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        min_retry_after: Duration::ZERO,
        max_retry_after: Duration::from_millis(5),
        ..RetryPolicy::default()
    }
}

fn event(name: impl Into<String>) -> RawEvent {
    RawEvent::new(name.into(), json!({ "total": 9.5 }))
}

// ---- Logs and panics: one capture for the whole test binary ----

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line (TRACE and up, `log` records bridged) and every panic message of this test
/// binary, from the first call on.
fn capture() -> &'static (Captured, Captured) {
    static CAPTURE: OnceLock<(Captured, Captured)> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let logs = Captured::default();
        let sink = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .init();
        let panics = Captured::default();
        let sink = panics.clone();
        let print = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = writeln!(sink.clone(), "{info}");
            print(info);
        }));
        (logs, panics)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_key_is_in_no_log_line_error_report_or_panic_through_faults() {
    let (logs, panics) = capture();
    let collector = trackplan_collector::Collector::start(
        CollectorConfig::new().write_key(SECRET).faults(Faults {
            fail: Some(Failure {
                every: 2,
                status: 500,
                retry_after: None,
            }),
            hang_every: Some(5),
            ..Faults::default()
        }),
    )
    .await
    .unwrap();
    let callback_texts = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&callback_texts);
    let client = Client::builder(SECRET)
        .endpoint(collector.url())
        .retry_policy(quick_retries(20))
        .request_timeout(Duration::from_millis(100))
        .flush_at(5)
        .on_failure(move |batch| {
            sink.lock()
                .unwrap()
                .push_str(&format!("{batch:?} {}", batch.reason));
            // A panicking callback is caught by the worker; its message must not carry the key.
            panic!("failure callback panicked on {batch:?}");
        })
        .build()
        .unwrap();
    for i in 0..30 {
        client
            .track(&User::id("u1"), &event(format!("E{i}")))
            .unwrap();
    }
    let delivered = tokio::time::timeout(Duration::from_secs(30), client.flush())
        .await
        .unwrap();
    assert!(delivered.is_complete(), "{delivered:?}");

    // Refused outright (a wrong key at the collector), then unreachable: reported, not retried
    // forever.
    collector.set_faults(Faults::default());
    let wrong_key = Client::builder("not-the-key")
        .endpoint(collector.url())
        .retry_policy(quick_retries(1))
        .build()
        .unwrap();
    wrong_key.track(&User::id("u1"), &event("Refused")).unwrap();
    let refused = wrong_key.flush().await;
    assert!(
        matches!(
            refused.failed[0].reason,
            FailureReason::Rejected { status: 401 }
        ),
        "{refused:?}"
    );
    let unreachable = Client::builder(SECRET)
        .endpoint(format!("http://{}", closed_loopback_port()))
        .retry_policy(quick_retries(2))
        .on_failure(|batch| panic!("failure callback panicked on {batch:?}"))
        .build()
        .unwrap();
    unreachable.track(&User::id("u1"), &event("Lost")).unwrap();
    let report = unreachable.shutdown(Duration::from_secs(10)).await;
    assert_eq!(report.failed_count(), 1);

    assert_no_secret(
        "a delivery report",
        &format!("{delivered:?} {refused:?} {report:?}"),
    );
    for failed in &report.failed {
        assert_no_secret("a failure reason", &failed.reason.to_string());
    }
    assert_no_secret("the failure callback", &callback_texts.lock().unwrap());
    assert_no_secret(
        "a Debug of the client",
        &format!("{client:?} {unreachable:?}"),
    );

    let logs = logs.text();
    assert!(
        logs.contains("trackplan batch request") && logs.contains("retrying"),
        "the logs were captured at debug level: {logs}"
    );
    assert_no_secret("the logs", &logs);
    let panics = panics.text();
    assert!(
        panics.contains("failure callback panicked"),
        "the panics were captured: {panics}"
    );
    assert_no_secret("a panic message", &panics);
    collector.shutdown().await.unwrap();
}

#[test]
fn the_write_key_is_in_no_debug_display_or_build_error() {
    let builder = Client::builder(SECRET).endpoint("https://api.segment.io");
    assert_no_secret(
        "ClientBuilder's Debug",
        &format!("{builder:?} {builder:#?}"),
    );
    let key = WriteKey::new(SECRET);
    assert_no_secret("WriteKey's Debug and Display", &format!("{key:?} {key}"));
    let transport = HttpTransport::new("https://api.segment.io", true).unwrap();
    assert_no_secret("HttpTransport's Debug", &format!("{transport:?}"));
    let collector_config = CollectorConfig::new().write_key(SECRET);
    assert_no_secret("CollectorConfig's Debug", &format!("{collector_config:?}"));

    // Every problem at once, none of them quoting the key.
    let error = Client::builder(SECRET)
        .endpoint("http://collector.example")
        .flush_at(0)
        .max_in_flight(0)
        .build()
        .unwrap_err();
    assert_eq!(error.problems().len(), 3, "{error}");
    assert_no_secret("a build error", &format!("{error} {error:?}"));

    let client = Client::builder(SECRET)
        .transport(trackplan::testing::Capture::new())
        .build()
        .unwrap();
    assert_no_secret("the client's Debug", &format!("{client:?} {client:#?}"));
    let too_large = client
        .track(
            &User::id("u1"),
            &RawEvent::new("Huge", json!({ "padding": "p".repeat(40_000) })),
        )
        .unwrap_err();
    assert!(matches!(too_large, EnqueueError::TooLarge { .. }));
    client.shutdown_blocking(Duration::from_secs(5));
    let shut = client.track(&User::id("u1"), &event("Late")).unwrap_err();
    assert_no_secret(
        "enqueue errors",
        &format!("{too_large} {too_large:?} {shut} {shut:?}"),
    );
}

#[test]
fn panics_that_format_the_client_or_its_errors_do_not_show_the_key() {
    let (_, panics) = capture();
    let built = Client::builder(SECRET)
        .transport(trackplan::testing::Capture::new())
        .build();
    // `unwrap_err` on Ok panics with the client's Debug.
    let panicked = catch_unwind(AssertUnwindSafe(|| built.unwrap_err()));
    assert!(panicked.is_err());
    let refused = Client::builder(SECRET)
        .endpoint("http://collector.example")
        .build();
    let panicked = catch_unwind(AssertUnwindSafe(|| refused.expect("client settings")));
    assert!(panicked.is_err());

    let text = panics.text();
    assert!(text.contains("client settings"), "{text}");
    assert_no_secret("a panic message", &text);
}

// ---- Plain http ----

#[test]
fn plain_http_is_refused_for_non_loopback_hosts_with_the_reason() {
    for endpoint in [
        "http://collector.example",
        "http://10.0.0.8:8080",
        "http://192.168.1.2",
        "http://0.0.0.0:8787",
        "http://localhost.attacker.example",
        "http://127.0.0.1.nip.io",
        "http://[::ffff:7f00:1]:8787",
    ] {
        let error = Client::builder(SECRET)
            .endpoint(endpoint)
            .build()
            .unwrap_err();
        assert!(
            matches!(error.problems(), [ConfigProblem::InsecureEndpoint { .. }]),
            "{endpoint}: {error}"
        );
        let text = error.to_string();
        for why in ["unencrypted", "https", "allow_insecure_http(true)"] {
            assert!(
                text.contains(why),
                "{endpoint}: the refusal should say {why:?}: {text}"
            );
        }
        assert_no_secret("an insecure-endpoint refusal", &text);

        let opted_in = Client::builder(SECRET)
            .endpoint(endpoint)
            .allow_insecure_http(true)
            .build();
        assert!(opted_in.is_ok(), "{endpoint}: opting in allows it");
    }
}

#[test]
fn plain_http_to_loopback_and_https_anywhere_are_accepted() {
    for endpoint in [
        "http://127.0.0.1:8787",
        "http://127.9.8.7",
        "http://localhost:8787",
        "http://LOCALHOST",
        "http://[::1]:8787",
        "https://collector.example",
        "https://10.0.0.8:8443/prefix",
    ] {
        let built = Client::builder(SECRET).endpoint(endpoint).build();
        assert!(built.is_ok(), "{endpoint}: {:?}", built.err());
    }
}

// ---- TLS ----

/// An HTTPS server on 127.0.0.1 with a self-signed certificate for 127.0.0.1 and localhost. It
/// answers 200 to any request that gets through a handshake.
struct SelfSignedServer {
    port: u16,
    certificate: rustls::pki_types::CertificateDer<'static>,
    handshakes: Arc<AtomicU64>,
    refused_handshakes: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
}

impl SelfSignedServer {
    async fn start() -> SelfSignedServer {
        let generated = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])
        .expect("a self-signed certificate");
        let certificate = generated.cert.der().clone();
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(generated.key_pair.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("default TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![certificate.clone()], key)
        .expect("the certificate matches its key");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = SelfSignedServer {
            port,
            certificate,
            handshakes: Arc::default(),
            refused_handshakes: Arc::default(),
            requests: Arc::default(),
        };
        let (handshakes, refused, requests) = (
            Arc::clone(&server.handshakes),
            Arc::clone(&server.refused_handshakes),
            Arc::clone(&server.requests),
        );
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, handshakes, refused, requests) = (
                    acceptor.clone(),
                    Arc::clone(&handshakes),
                    Arc::clone(&refused),
                    Arc::clone(&requests),
                );
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        refused.fetch_add(1, Ordering::SeqCst);
                        return;
                    };
                    handshakes.fetch_add(1, Ordering::SeqCst);
                    let mut buf = vec![0u8; 64 * 1024];
                    if tls.read(&mut buf).await.is_ok_and(|n| n > 0) {
                        requests.fetch_add(1, Ordering::SeqCst);
                        let _ = tls
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                            .await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        server
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_certificate_is_refused_and_reported_to_the_failure_callback() {
    let server = SelfSignedServer::start().await;
    for host in ["127.0.0.1", "localhost"] {
        let failed: Arc<Mutex<Vec<FailedBatch>>> = Arc::default();
        let sink = Arc::clone(&failed);
        let client = Client::builder(SECRET)
            .endpoint(format!("https://{host}:{}", server.port))
            .retry_policy(quick_retries(1))
            .request_timeout(Duration::from_secs(5))
            .on_failure(move |batch| sink.lock().unwrap().push(batch))
            .build()
            .unwrap();
        let id = client.track(&User::id("u1"), &event("Over TLS")).unwrap();
        let report = tokio::time::timeout(Duration::from_secs(30), client.flush())
            .await
            .unwrap();

        assert_eq!(report.delivered, 0, "{host}: {report:?}");
        let failed = failed.lock().unwrap();
        assert_eq!(failed.len(), 1, "{host}: reported to the callback");
        assert_eq!(failed[0].messages[0].message_id(), Some(id.to_string()));
        let reason = failed[0].reason.to_string();
        assert!(
            reason.to_lowercase().contains("certificate"),
            "{host}: the reason names the certificate: {reason}"
        );
    }
    assert_eq!(
        server.handshakes.load(Ordering::SeqCst),
        0,
        "no handshake with an untrusted certificate completed"
    );
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );
    // The server notices each aborted handshake a moment after the client gave up.
    let refused = &server.refused_handshakes;
    assert!(
        eventually(Duration::from_secs(10), || refused.load(Ordering::SeqCst)
            >= 4)
        .await,
        "two refused handshakes per host: {refused:?}"
    );

    // Control: a client that trusts this certificate completes the handshake, so the refusals
    // above came from verification, not from a broken server.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server.certificate.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("a client trusting the certificate completes the handshake");
    tls.write_all(b"POST /v1/batch HTTP/1.1\r\nhost: localhost\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    let _ = tls.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(server.handshakes.load(Ordering::SeqCst), 1);
}

/// The collector's 401 quotes neither its own key nor the one offered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_refuses_a_wrong_key_without_echoing_either_key() {
    let collector = start_collector(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        100,
        Faults::default(),
    )
    .await;
    let response = reqwest::Client::new()
        .post(format!("{}/v1/batch", collector.url()))
        .header("authorization", WriteKey::new(SECRET).basic_auth())
        .body(format!(r#"{{"batch":[],"writeKey":"{SECRET}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body = response.text().await.unwrap();
    assert_no_secret("the collector's 401 answer", &body);
    assert!(!body.contains(faults_support::WRITE_KEY), "{body}");
    collector.shutdown().await.unwrap();
}
