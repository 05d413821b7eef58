//! Redirects and the write key: the batch body carries `writeKey`, so following a redirect would
//! hand the key to whatever origin the redirect names, and the loopback-only rule for plain
//! `http://` (checked on the configured endpoint) would not cover the target. The client never
//! follows one: a 307 is reported as a refused batch and the target gets nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use trackplan::{Client, RawEvent, User};

/// A raw HTTP server on 127.0.0.1 that answers every request with `answer`; counts requests.
async fn serve(answer: impl Fn() -> String + Send + Sync + 'static) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&requests);
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 * 1024];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(answer().as_bytes()).await;
            });
        }
    });
    (origin, requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed_with_the_write_key() {
    let (elsewhere, elsewhere_requests) =
        serve(|| "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned())
            .await;
    let location = format!("{elsewhere}/v1/batch");
    let (endpoint, _) = serve(move || {
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
    })
    .await;
    let client = Client::builder("wk_redirected")
        .endpoint(endpoint)
        .max_retries(0)
        .build()
        .unwrap();

    client
        .track(&User::id("u1"), &RawEvent::new("Redirected", json!({})))
        .unwrap();
    let report = tokio::time::timeout(Duration::from_secs(10), client.flush())
        .await
        .expect("flush returns");

    assert_eq!(
        elsewhere_requests.load(Ordering::SeqCst),
        0,
        "the batch (and its writeKey) went to the redirect target"
    );
    assert_eq!(
        report.failed_count(),
        1,
        "the redirect is reported: {report:?}"
    );
}
