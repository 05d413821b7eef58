//! How a batch body reaches the server: the [`Transport`] trait and the HTTP implementation.
//!
//! The worker builds each body (the batch JSON, with a fresh `sentAt`) and hands it to the
//! transport; the transport only moves bytes and reports what came back. The client applies the
//! request timeout around any transport, so a hung custom transport cannot stall delivery.

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;

use crate::error::ConfigProblem;

/// The future a [`Transport`] returns.
pub type SendFuture<'a> =
    Pin<Box<dyn Future<Output = Result<TransportResponse, TransportError>> + 'a>>;

/// Moves batch bodies to a server. The client calls it from its worker thread, inside a
/// current-thread tokio runtime, with at most `max_in_flight` calls pending.
///
/// Implementations: [`HttpTransport`] (the default), [`testing::Capture`](crate::testing::Capture)
/// for tests, or your own.
pub trait Transport: Send + Sync + 'static {
    /// Send one batch body and report the server's answer.
    fn send<'a>(&'a self, request: BatchRequest<'a>) -> SendFuture<'a>;
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send<'a>(&'a self, request: BatchRequest<'a>) -> SendFuture<'a> {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send<'a>(&'a self, request: BatchRequest<'a>) -> SendFuture<'a> {
        (**self).send(request)
    }
}

/// One attempt to deliver a batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchRequest<'a> {
    /// The uncompressed JSON body: `{"batch":[...],"sentAt":"...","writeKey":"..."}`.
    pub body: &'a [u8],
    /// The write key, for the `Authorization` header.
    pub write_key: &'a WriteKey,
    /// 0 on the first attempt, then 1, 2, ...: sent as `X-Retry-Count` when not 0.
    pub retry_count: u32,
    /// How many messages the body holds.
    pub message_count: usize,
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportResponse {
    pub status: u16,
    /// The raw `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

impl TransportResponse {
    pub fn status(status: u16) -> Self {
        TransportResponse {
            status,
            retry_after: None,
        }
    }
}

/// No answer from the server. Always retried.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct TransportError {
    pub kind: TransportErrorKind,
    pub message: String,
}

/// What kind of failure a [`TransportError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// Connecting failed: refused, reset, DNS, TLS.
    Connect,
    /// The request took longer than the timeout.
    Timeout,
    /// Anything else (the connection broke mid-request, a malformed answer).
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Other => "request failed",
        })
    }
}

/// A Segment write key. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct WriteKey(Arc<str>);

impl WriteKey {
    pub fn new(key: impl Into<String>) -> Self {
        WriteKey(key.into().into())
    }

    /// The key itself, for the `Authorization` header and the body.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `Basic base64(key:)`, the `Authorization` header value.
    pub fn basic_auth(&self) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.0))
        )
    }
}

impl fmt::Debug for WriteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteKey(<redacted>)")
    }
}

impl fmt::Display for WriteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Sends batches to `POST {endpoint}/v1/batch` with reqwest and rustls (TLS always verified).
///
/// ```
/// # fn main() -> Result<(), trackplan_core::BuildError> {
/// let transport = trackplan_core::HttpTransport::new("https://api.segment.io", true)?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    batch_url: reqwest::Url,
    gzip: bool,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("batch_url", &self.batch_url.as_str())
            .field("gzip", &self.gzip)
            .finish()
    }
}

impl HttpTransport {
    /// A transport to `endpoint` (an origin such as `https://api.segment.io`, optionally with a
    /// path prefix), refusing plain `http://` except to loopback.
    pub fn new(endpoint: &str, gzip: bool) -> Result<Self, crate::BuildError> {
        Self::with_options(endpoint, gzip, false, Duration::from_secs(10))
            .map_err(|problem| crate::BuildError::new(vec![problem]))
    }

    pub(crate) fn with_options(
        endpoint: &str,
        gzip: bool,
        allow_insecure_http: bool,
        timeout: Duration,
    ) -> Result<Self, ConfigProblem> {
        let batch_url = batch_url(endpoint, allow_insecure_http)?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("trackplan/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout)
            .https_only(!allow_insecure_http && batch_url.scheme() == "https")
            // Segment never redirects; following one would re-post the body, `writeKey`
            // included, to an origin the endpoint checks never saw. A 3xx is a refused batch.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigProblem::Http(e.to_string()))?;
        Ok(HttpTransport {
            client,
            batch_url,
            gzip,
        })
    }

    /// The URL batches are posted to.
    pub fn batch_url(&self) -> &str {
        self.batch_url.as_str()
    }
}

/// `{endpoint}/v1/batch`, checking the scheme and the loopback rule.
pub(crate) fn batch_url(
    endpoint: &str,
    allow_insecure_http: bool,
) -> Result<reqwest::Url, ConfigProblem> {
    let invalid = |reason: String| ConfigProblem::InvalidEndpoint {
        endpoint: endpoint.to_owned(),
        reason,
    };
    let base = reqwest::Url::parse(endpoint).map_err(|e| invalid(e.to_string()))?;
    match base.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&base) => {}
        "http" => {
            return Err(ConfigProblem::InsecureEndpoint {
                endpoint: endpoint.to_owned(),
            })
        }
        other => return Err(invalid(format!("scheme {other:?} is not http or https"))),
    }
    if base.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host".to_owned()));
    }
    if base.query().is_some() || base.fragment().is_some() {
        return Err(invalid(
            "give the origin (and path prefix) only, without ? or #".to_owned(),
        ));
    }
    let joined = format!("{}/v1/batch", base.as_str().trim_end_matches('/'));
    reqwest::Url::parse(&joined).map_err(|e| invalid(e.to_string()))
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// gzip a body at the fast level with flate2's zlib-rs backend: on a 500 KB batch that is about
/// a third of the CPU of level 3 for output 1.5x larger (7.5x smaller than the JSON), and the
/// CPU is the caller's (`cargo bench -p trackplan-bench --bench gzip`).
pub(crate) fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    encoder.write_all(body)?;
    encoder.finish()
}

impl Transport for HttpTransport {
    fn send<'a>(&'a self, request: BatchRequest<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            let mut builder = self
                .client
                .post(self.batch_url.clone())
                .header(
                    reqwest::header::AUTHORIZATION,
                    request.write_key.basic_auth(),
                )
                .header(reqwest::header::CONTENT_TYPE, "application/json");
            if request.retry_count > 0 {
                builder = builder.header("X-Retry-Count", request.retry_count.to_string());
            }
            builder = if self.gzip {
                let body = gzip(request.body).map_err(|e| TransportError {
                    kind: TransportErrorKind::Other,
                    message: format!("gzip failed: {e}"),
                })?;
                builder
                    .header(reqwest::header::CONTENT_ENCODING, "gzip")
                    .body(body)
            } else {
                builder.body(request.body.to_vec())
            };
            let response = builder.send().await.map_err(from_reqwest)?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            // Read the (small) body so the connection can be reused.
            let _ = response.bytes().await;
            Ok(TransportResponse {
                status,
                retry_after,
            })
        })
    }
}

fn from_reqwest(err: reqwest::Error) -> TransportError {
    let kind = if err.is_timeout() {
        TransportErrorKind::Timeout
    } else if err.is_connect() {
        TransportErrorKind::Connect
    } else {
        TransportErrorKind::Other
    };
    // reqwest errors carry the URL, never the headers: the write key cannot leak through them.
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    TransportError { kind, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_url_appends_v1_batch_and_keeps_prefixes() {
        assert_eq!(
            batch_url("https://api.segment.io", false).unwrap().as_str(),
            "https://api.segment.io/v1/batch"
        );
        assert_eq!(
            batch_url("https://proxy.example/seg/", false)
                .unwrap()
                .as_str(),
            "https://proxy.example/seg/v1/batch"
        );
        assert_eq!(
            batch_url("http://127.0.0.1:8080", false).unwrap().as_str(),
            "http://127.0.0.1:8080/v1/batch"
        );
        assert!(batch_url("http://localhost:1", false).is_ok());
        assert!(batch_url("http://[::1]:1", false).is_ok());
    }

    #[test]
    fn plain_http_to_remote_hosts_needs_opt_in() {
        let err = batch_url("http://collector.example", false).unwrap_err();
        assert!(matches!(err, ConfigProblem::InsecureEndpoint { .. }));
        assert!(
            err.to_string().contains("allow_insecure_http(true)"),
            "{err}"
        );
        assert!(batch_url("http://collector.example", true).is_ok());
    }

    #[test]
    fn malformed_endpoints_are_explained() {
        for bad in [
            "api.segment.io",
            "ftp://x.example",
            "https://x.example/?a=1",
            "",
        ] {
            let err = batch_url(bad, false).unwrap_err();
            assert!(
                matches!(err, ConfigProblem::InvalidEndpoint { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn write_key_is_redacted_and_basic_auth_has_the_colon() {
        let key = WriteKey::new("sekrit");
        assert_eq!(format!("{key:?} {key}"), "WriteKey(<redacted>) <redacted>");
        assert_eq!(key.basic_auth(), "Basic c2Vrcml0Og==");
    }
}
