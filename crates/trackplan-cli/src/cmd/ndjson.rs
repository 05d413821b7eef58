//! Recorded messages as NDJSON: one message per line (what `trackplan serve --record` writes and
//! `trackplan send` reads), or a `{"batch": [...]}` request body per line.

use serde_json::Value;

/// The messages of one line; `None` for a blank line, `Err` with the reason for one that holds
/// no message.
pub fn parse_line(line: &str) -> Option<Result<Vec<Value>, String>> {
    if line.trim().is_empty() {
        return None;
    }
    Some(match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(mut object)) => match object.remove("batch") {
            Some(Value::Array(batch)) => Ok(batch),
            Some(other) => {
                object.insert("batch".into(), other);
                Ok(vec![Value::Object(object)])
            }
            None => Ok(vec![Value::Object(object)]),
        },
        Ok(_) => Err("not a message: a line must hold one JSON object".to_owned()),
        Err(error) => Err(format!("not JSON: {error}")),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lines_hold_a_message_a_batch_or_nothing() {
        assert_eq!(parse_line("  "), None);
        assert_eq!(
            parse_line(r#"{"type":"track","batch":1}"#),
            Some(Ok(vec![json!({"type": "track", "batch": 1})]))
        );
        assert_eq!(
            parse_line(r#"{"batch":[{"type":"a"},{"type":"b"}]}"#),
            Some(Ok(vec![json!({"type": "a"}), json!({"type": "b"})]))
        );
        assert_eq!(
            parse_line("[1]"),
            Some(Err(
                "not a message: a line must hold one JSON object".to_owned()
            ))
        );
        assert!(matches!(parse_line("{"), Some(Err(reason)) if reason.starts_with("not JSON: ")));
    }
}
