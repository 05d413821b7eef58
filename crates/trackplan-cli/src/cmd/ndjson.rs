//! Recorded messages as NDJSON: one message per line (what `trackplan serve --record` writes and
//! `trackplan send` reads), or a `{"batch": [...]}` request body per line.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// What one line holds, each message kept as its recorded text so sizes are measured as sent.
#[derive(Debug)]
pub enum Line<'a> {
    /// A `{"batch": [...]}` request body.
    Batch(Vec<&'a RawValue>),
    /// One message.
    Message(&'a RawValue),
}

impl Line<'_> {
    /// The messages, parsed.
    pub fn messages(&self) -> Vec<Value> {
        // Each text was read as JSON already.
        let parse = |raw: &RawValue| serde_json::from_str(raw.get()).unwrap_or(Value::Null);
        match self {
            Line::Batch(batch) => batch.iter().map(|raw| parse(raw)).collect(),
            Line::Message(raw) => vec![parse(raw)],
        }
    }
}

/// One line: `None` for a blank line, `Err` with the reason for one that holds no message.
/// An object whose `batch` is not an array is a message like any other.
pub fn read_line(line: &str) -> Option<Result<Line<'_>, String>> {
    #[derive(Deserialize)]
    struct BatchLine<'a> {
        #[serde(borrow)]
        batch: Vec<&'a RawValue>,
    }
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    if let Ok(BatchLine { batch }) = serde_json::from_str(line) {
        return Some(Ok(Line::Batch(batch)));
    }
    Some(match serde_json::from_str::<&RawValue>(line) {
        Ok(raw) if raw.get().starts_with('{') => Ok(Line::Message(raw)),
        Ok(_) => Err("not a message: a line must hold one JSON object".to_owned()),
        Err(error) => Err(format!("not JSON: {error}")),
    })
}

/// The messages of one line, parsed; `None` for a blank line, `Err` as [`read_line`].
pub fn parse_line(line: &str) -> Option<Result<Vec<Value>, String>> {
    read_line(line).map(|line| line.map(|line| line.messages()))
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

    #[test]
    fn raw_lines_keep_each_message_as_recorded() {
        let Some(Ok(Line::Batch(batch))) = read_line(r#" {"batch":[{"a": 1},  {"b":2}]} "#) else {
            panic!("a batch line");
        };
        let texts: Vec<&str> = batch.iter().map(|raw| raw.get()).collect();
        assert_eq!(texts, [r#"{"a": 1}"#, r#"{"b":2}"#]);
        let Some(Ok(Line::Message(raw))) = read_line(r#"{"batch": 1, "type": "track"}"#) else {
            panic!("one message");
        };
        assert_eq!(raw.get(), r#"{"batch": 1, "type": "track"}"#);
    }
}
