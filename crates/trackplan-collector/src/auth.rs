//! The write key check: HTTP Basic auth (username = key, empty password) or `writeKey` in
//! the body, as Segment accepts both.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Whether a request carrying `authorization` (the header) and `body_key` may write, given
/// the configured key. Without a configured key every request may.
pub fn is_authorized(
    expected: Option<&str>,
    authorization: Option<&str>,
    body_key: Option<&str>,
) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    let from_header = authorization.and_then(basic_username);
    let authorized = [from_header.as_deref(), body_key]
        .into_iter()
        .flatten()
        .any(|key| constant_time_eq(key.as_bytes(), expected.as_bytes()));
    authorized
}

/// The username of a `Basic` authorization header. Segment's key is the username; the colon
/// and empty password are optional "for backward compatibility".
fn basic_username(header: &str) -> Option<String> {
    let (scheme, credentials) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(credentials.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let username = decoded
        .split_once(':')
        .map_or(decoded.as_str(), |(user, _)| user);
    Some(username.to_owned())
}

/// Compares without an early exit, so timing does not reveal how much of a key matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(credentials: &str) -> String {
        format!("Basic {}", STANDARD.encode(credentials))
    }

    #[test]
    fn without_a_configured_key_everything_is_accepted() {
        assert!(is_authorized(None, None, None));
        assert!(is_authorized(None, Some("garbage"), Some("x")));
    }

    #[test]
    fn basic_auth_with_or_without_the_colon_is_accepted() {
        assert!(is_authorized(Some("k1"), Some(&basic("k1:")), None));
        assert!(is_authorized(Some("k1"), Some(&basic("k1")), None));
        assert!(is_authorized(
            Some("k1"),
            Some(&format!("basic  {}", STANDARD.encode("k1:"))),
            None
        ));
    }

    #[test]
    fn the_body_key_is_accepted() {
        assert!(is_authorized(Some("k1"), None, Some("k1")));
        assert!(is_authorized(
            Some("k1"),
            Some(&basic("wrong:")),
            Some("k1")
        ));
    }

    #[test]
    fn wrong_missing_or_malformed_keys_are_refused() {
        assert!(!is_authorized(Some("k1"), None, None));
        assert!(!is_authorized(Some("k1"), Some(&basic("k2:")), Some("k11")));
        assert!(!is_authorized(Some("k1"), Some("Basic !!!"), None));
        assert!(!is_authorized(
            Some("k1"),
            Some(&format!("Bearer {}", STANDARD.encode("k1:"))),
            None
        ));
        assert!(!is_authorized(Some("k1"), Some(&basic(":k1")), None));
    }
}
