//! Segment's own rules for a message, independent of any tracking plan: the fields each call
//! requires, and the shapes of the common fields.
//!
//! Segment answers `200` and then silently drops a message that breaks these rules, which is
//! exactly why a local collector must report them.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::Violation;

/// The rule name of violations found here.
pub const SEGMENT_RULE: &str = "segment";

/// The longest `messageId` Segment accepts.
pub const MAX_MESSAGE_ID_CHARS: usize = 100;

/// The six Segment calls, as written in the `type` field.
pub const CALL_TYPES: [&str; 6] = ["identify", "track", "page", "screen", "group", "alias"];

/// Checks one message against Segment's rules, appending every problem to `out`.
///
/// ```
/// use serde_json::json;
/// use trackplan_collector::segment_rules::check_message;
///
/// let mut violations = Vec::new();
/// check_message(&json!({"type": "track", "userId": "u1"}), &mut violations);
/// assert_eq!(violations.len(), 1);
/// assert_eq!(violations[0].path, "/event");
/// ```
pub fn check_message(message: &Value, out: &mut Vec<Violation>) {
    let Some(fields) = message.as_object() else {
        out.push(violation("", "a message must be a JSON object"));
        return;
    };
    let call = match fields.get("type") {
        Some(Value::String(call)) if CALL_TYPES.contains(&call.as_str()) => Some(call.as_str()),
        Some(Value::String(other)) => {
            out.push(violation(
                "/type",
                format!(
                    "unknown type \"{other}\"; use one of {}",
                    CALL_TYPES.join(", ")
                ),
            ));
            None
        }
        Some(_) => {
            out.push(violation("/type", "`type` must be a string"));
            None
        }
        None => {
            out.push(violation("/type", "`type` is required"));
            None
        }
    };

    check_identity(fields, call, out);
    check_message_id(fields, out);
    check_timestamp(fields, "timestamp", out);
    for key in ["context", "integrations", "properties", "traits"] {
        if let Some(value) = fields.get(key) {
            if !value.is_object() {
                out.push(violation(
                    format!("/{key}"),
                    format!("`{key}` must be a JSON object"),
                ));
            }
        }
    }

    match call {
        Some("track") => require_string(fields, "event", "a track call needs an `event` name", out),
        Some("group") => require_id(fields, "groupId", "a group call needs a `groupId`", out),
        Some("alias") => require_id(
            fields,
            "previousId",
            "an alias call needs a `previousId`",
            out,
        ),
        Some("page" | "screen") => {
            if let Some(name) = fields.get("name") {
                if !name.is_string() {
                    out.push(violation("/name", "`name` must be a string"));
                }
            }
        }
        _ => {}
    }
}

/// `userId` or `anonymousId` (alias: `userId`), as non-empty strings or numbers.
fn check_identity(fields: &Map<String, Value>, call: Option<&str>, out: &mut Vec<Violation>) {
    for key in ["userId", "anonymousId"] {
        if let Some(value) = fields.get(key) {
            if !(value.is_string() || value.is_number() || value.is_null()) {
                out.push(violation(
                    format!("/{key}"),
                    format!("`{key}` must be a string"),
                ));
            }
        }
    }
    if call == Some("alias") {
        require_id(fields, "userId", "an alias call needs a `userId`", out);
        return;
    }
    let has_id = |key: &str| fields.get(key).is_some_and(is_id);
    if !has_id("userId") && !has_id("anonymousId") {
        out.push(violation(
            "",
            "a message needs a `userId` or an `anonymousId`",
        ));
    }
}

fn check_message_id(fields: &Map<String, Value>, out: &mut Vec<Violation>) {
    match fields.get("messageId") {
        None => {}
        Some(Value::String(id)) if id.chars().count() > MAX_MESSAGE_ID_CHARS => {
            out.push(violation(
                "/messageId",
                format!(
                    "`messageId` has {} characters; Segment accepts at most {MAX_MESSAGE_ID_CHARS}",
                    id.chars().count()
                ),
            ))
        }
        Some(Value::String(_)) => {}
        Some(_) => out.push(violation("/messageId", "`messageId` must be a string")),
    }
}

fn check_timestamp(fields: &Map<String, Value>, key: &str, out: &mut Vec<Violation>) {
    match fields.get(key) {
        None => {}
        Some(Value::String(text)) if OffsetDateTime::parse(text, &Rfc3339).is_ok() => {}
        Some(other) => out.push(violation(
            format!("/{key}"),
            format!(
                "`{key}` {other} is not an ISO-8601 date-time such as \"2026-01-01T12:00:00.000Z\""
            ),
        )),
    }
}

fn require_string(fields: &Map<String, Value>, key: &str, why: &str, out: &mut Vec<Violation>) {
    match fields.get(key) {
        Some(Value::String(value)) if !value.is_empty() => {}
        Some(Value::String(_)) => {
            out.push(violation(format!("/{key}"), format!("`{key}` is empty")))
        }
        Some(_) => out.push(violation(
            format!("/{key}"),
            format!("`{key}` must be a string"),
        )),
        None => out.push(violation(format!("/{key}"), why)),
    }
}

fn require_id(fields: &Map<String, Value>, key: &str, why: &str, out: &mut Vec<Violation>) {
    match fields.get(key) {
        Some(value) if is_id(value) => {}
        Some(_) => out.push(violation(
            format!("/{key}"),
            format!("`{key}` must be a non-empty string"),
        )),
        None => out.push(violation(format!("/{key}"), why)),
    }
}

/// Segment ids are strings; the libraries also accept numbers and stringify them.
fn is_id(value: &Value) -> bool {
    match value {
        Value::String(id) => !id.is_empty(),
        Value::Number(_) => true,
        _ => false,
    }
}

fn violation(path: impl Into<String>, message: impl Into<String>) -> Violation {
    Violation::new(path, SEGMENT_RULE, message)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(message: Value) -> Vec<String> {
        let mut out = Vec::new();
        check_message(&message, &mut out);
        out.iter()
            .map(|v| format!("{}|{}", v.path, v.message))
            .collect()
    }

    #[test]
    fn a_complete_message_of_each_call_passes() {
        let ok = [
            json!({"type": "track", "userId": "u", "event": "Signed Up", "properties": {}}),
            json!({"type": "identify", "anonymousId": "a", "traits": {"email": "x"}}),
            json!({"type": "page", "userId": "u", "name": "Home"}),
            json!({"type": "screen", "userId": 42}),
            json!({"type": "group", "userId": "u", "groupId": "g"}),
            json!({"type": "alias", "userId": "u", "previousId": "a"}),
            json!({"type": "track", "userId": "u", "event": "E",
                   "timestamp": "2026-01-01T12:00:00.123Z", "messageId": "m"}),
        ];
        for message in ok {
            assert_eq!(check(message.clone()), Vec::<String>::new(), "{message}");
        }
    }

    #[test]
    fn each_call_reports_its_missing_fields() {
        assert_eq!(
            check(json!({"type": "track", "userId": "u"})),
            ["/event|a track call needs an `event` name"]
        );
        assert_eq!(
            check(json!({"type": "group", "userId": "u"})),
            ["/groupId|a group call needs a `groupId`"]
        );
        assert_eq!(
            check(json!({"type": "alias", "anonymousId": "a"})),
            [
                "/userId|an alias call needs a `userId`",
                "/previousId|an alias call needs a `previousId`"
            ]
        );
        assert_eq!(
            check(json!({"type": "identify", "userId": ""})),
            ["|a message needs a `userId` or an `anonymousId`"]
        );
    }

    #[test]
    fn every_problem_of_one_message_is_reported() {
        let found = check(json!({
            "type": "track",
            "messageId": "x".repeat(101),
            "timestamp": "yesterday",
            "properties": [1],
            "context": "web",
        }));
        assert_eq!(found.len(), 6, "{found:#?}");
        assert!(found
            .iter()
            .any(|f| f.starts_with("/messageId|`messageId` has 101 characters")));
        assert!(found.iter().any(|f| f.starts_with("/timestamp|")));
        assert!(found
            .iter()
            .any(|f| f == "/properties|`properties` must be a JSON object"));
        assert!(found
            .iter()
            .any(|f| f == "/context|`context` must be a JSON object"));
        assert!(found
            .iter()
            .any(|f| f == "/event|a track call needs an `event` name"));
    }

    #[test]
    fn type_must_be_a_known_call() {
        assert_eq!(
            check(json!({"type": "trak", "userId": "u"})),
            ["/type|unknown type \"trak\"; use one of identify, track, page, screen, group, alias"]
        );
        assert_eq!(check(json!({"userId": "u"})), ["/type|`type` is required"]);
        assert_eq!(check(json!([1])), ["|a message must be a JSON object"]);
    }
}
