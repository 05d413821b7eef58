//! The live page at `/`: static assets compiled into the binary, so it works offline and loads
//! nothing from elsewhere.

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// The page: markup only; behaviour in [`APP_JS`], looks in [`APP_CSS`].
pub(crate) const INDEX_HTML: &str = include_str!("web/index.html");
/// Renders the stream from `/api/events` and `/api/stream`.
pub(crate) const APP_JS: &str = include_str!("web/app.js");
/// Light and dark themes.
pub(crate) const APP_CSS: &str = include_str!("web/app.css");

/// Same-origin only: the page must never load or send anything elsewhere.
const POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                      connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded asset with its type.
pub(crate) fn page(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "no-cache"),
            (CONTENT_SECURITY_POLICY, POLICY),
        ],
        body,
    )
        .into_response()
}
