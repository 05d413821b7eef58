//! Segment's own rules for a message, independent of any tracking plan: the fields each call
//! requires, and the shapes of the common fields.
//!
//! Segment answers `200` and then silently drops a message that breaks these rules, which is
//! exactly why a local collector must report them.
//!
//! A field sent as `null` counts as absent, as Segment reads it: the Python SDKs send
//! `"name": null`, `"category": null` and `"anonymousId": null` for what the caller left out.

use serde_json::{Map, Value};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::parsing::Parsed;
use time::Date;

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
    let call = match field(fields, "type") {
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
        if let Some(value) = field(fields, key) {
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
            for key in ["name", "category"] {
                if field(fields, key).is_some_and(|value| !value.is_string()) {
                    out.push(violation(
                        format!("/{key}"),
                        format!("`{key}` must be a string"),
                    ));
                }
            }
        }
        _ => {}
    }
}

/// A field's value, `None` when it is absent or `null`.
pub(crate) fn field<'a>(fields: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    fields.get(key).filter(|value| !value.is_null())
}

/// `userId` or `anonymousId` (alias: `userId`), as non-empty strings or numbers.
fn check_identity(fields: &Map<String, Value>, call: Option<&str>, out: &mut Vec<Violation>) {
    for key in ["userId", "anonymousId"] {
        if let Some(value) = field(fields, key) {
            if !(value.is_string() || value.is_number()) {
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
    let has_id = |key: &str| field(fields, key).is_some_and(is_id);
    if !has_id("userId") && !has_id("anonymousId") {
        out.push(violation(
            "",
            "a message needs a `userId` or an `anonymousId`",
        ));
    }
}

fn check_message_id(fields: &Map<String, Value>, out: &mut Vec<Violation>) {
    match field(fields, "messageId") {
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
    match field(fields, key) {
        None => {}
        Some(Value::String(text)) if is_iso_8601(text) => {}
        Some(other) => out.push(violation(
            format!("/{key}"),
            format!(
                "`{key}` {other} is not an ISO-8601 date or date-time such as \"2026-01-01\" or \
                 \"2026-01-01T12:00:00.000Z\""
            ),
        )),
    }
}

/// The ISO-8601 forms Segment's own parser (`segmentio/isodate`) reads: a calendar date
/// (`2026-01-15` or `20260115`), optionally followed by `T` or a space and `hh:mm`, optional
/// `:ss` and a fraction of any length, then optionally a zone `Z`, `±hh`, `±hhmm` or
/// `±hh:mm`. Without a zone Segment assumes UTC.
const ISO_8601: &[BorrowedFormatItem<'_>] = format_description!(
    version = 2,
    "[first [[year]-[month]-[day]] [[year][month][day]]]\
     [optional [[first [T] [t] [ ]][hour]:[minute]\
       [optional [:[second][optional [[first [.] [,]][subsecond]]]]]\
       [optional [[first [Z] [z] [[offset_hour sign:mandatory][optional [[optional [:]][offset_minute]]]]]]]]]"
);

/// Whether `text` is a date or date-time in one of the ISO-8601 forms Segment reads (listed in
/// the README's `trackplan serve` section), and a real one (no February 30th, no hour 24).
pub fn is_iso_8601(text: &str) -> bool {
    let mut parsed = Parsed::new();
    matches!(parsed.parse_items(text.as_bytes(), ISO_8601), Ok(rest) if rest.is_empty())
        && Date::try_from(parsed).is_ok()
}

fn require_string(fields: &Map<String, Value>, key: &str, why: &str, out: &mut Vec<Violation>) {
    match field(fields, key) {
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
    match field(fields, key) {
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
    fn null_optional_fields_count_as_absent() {
        // What segment-analytics-python and rudder-sdk-python send for `analytics.page("u1")`.
        let python_page = json!({
            "type": "page", "userId": "u1", "anonymousId": null, "name": null, "category": null,
            "properties": {}, "context": {"library": {"name": "analytics-python"}},
            "integrations": null, "timestamp": null, "messageId": "m1",
        });
        assert_eq!(check(python_page), Vec::<String>::new());
        assert_eq!(
            check(json!({"type": "screen", "userId": "u", "name": 3, "category": false})),
            [
                "/name|`name` must be a string",
                "/category|`category` must be a string"
            ]
        );
        assert_eq!(
            check(json!({"type": "track", "userId": null, "anonymousId": null, "event": null})),
            [
                "|a message needs a `userId` or an `anonymousId`",
                "/event|a track call needs an `event` name"
            ]
        );
    }

    #[test]
    fn the_iso_8601_forms_segment_reads_are_timestamps() {
        for text in [
            "2026-01-15",
            "20260115",
            "2026-01-15T10:00:00",
            "2026-01-15T10:00Z",
            "2026-01-15T10:00:00.123+0530",
            "2026-01-15T10:00:00.123+05:30",
            "2026-01-15T10:00:00-08",
            "2026-01-15 10:00:00.123456789Z",
            "2026-01-15T10:00:00,5Z",
            "2026-01-01T12:00:00.123Z",
            "2026-02-28T23:59:59.999999+00:00",
        ] {
            assert!(is_iso_8601(text), "{text}");
        }
        for text in [
            "yesterday",
            "",
            "2026-01-15T",
            "2026-02-30",
            "2026-13-01",
            "2026-01-15T25:00Z",
            "2026-01-15T10:00:00Zjunk",
            "15/01/2026",
            "1768471200",
        ] {
            assert!(!is_iso_8601(text), "{text}");
        }
        assert_eq!(
            check(json!({"type": "identify", "userId": "u", "timestamp": 1768471200})),
            ["/timestamp|`timestamp` 1768471200 is not an ISO-8601 date or date-time such as \"2026-01-01\" or \"2026-01-01T12:00:00.000Z\""]
        );
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
