//! Personal data in a plan: the `"x-pii"` extension on a property schema.
//!
//! `"x-pii": true` marks a property as personal data, handled by the client's PII policy;
//! `"x-pii": "hash"` (or `"send"`, `"redact"`, `"refuse"`) also fixes the policy for that
//! property. Codegen reads it into the generated field writer, the collector flags marked
//! properties in its message view and `trackplan lint` asks for it on names that suggest
//! personal data. The policies themselves are applied by the client (`trackplan::PiiPolicy`).

use serde_json::Value;

use crate::schema;
use crate::Rule;

/// The extension key on a property schema.
pub const PII_KEY: &str = "x-pii";

/// The policy names a property may fix, spelled as in `#[property(pii = "...")]`.
pub const POLICY_NAMES: [&str; 4] = ["send", "hash", "redact", "refuse"];

/// How a property is marked as personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PiiMark {
    /// `"x-pii": true`: the client's policy applies.
    ClientPolicy,
    /// `"x-pii": "hash"`: this policy (one of [`POLICY_NAMES`]) applies, whatever the client's.
    Fixed(&'static str),
}

impl PiiMark {
    /// The mark as a property schema writes it: `true`, or the policy's name (what [`mark`]
    /// reads back).
    pub fn to_json(self) -> Value {
        match self {
            PiiMark::ClientPolicy => Value::Bool(true),
            PiiMark::Fixed(policy) => Value::String(policy.to_owned()),
        }
    }
}

/// The mark of a property schema: `Ok(None)` when it is not personal data (no `"x-pii"`, or
/// `false`), an error naming the fix when the value is neither a boolean nor a policy name.
pub fn mark(property: &Value) -> Result<Option<PiiMark>, String> {
    match property.get(PII_KEY) {
        None | Some(Value::Bool(false)) => Ok(None),
        Some(Value::Bool(true)) => Ok(Some(PiiMark::ClientPolicy)),
        Some(Value::String(name)) => POLICY_NAMES
            .into_iter()
            .find(|policy| policy == name)
            .map(|policy| Some(PiiMark::Fixed(policy)))
            .ok_or_else(|| {
                format!(
                    "unknown `{PII_KEY}` policy {name:?}; use true (the client's policy) or one of {}",
                    quoted_policy_names()
                )
            }),
        Some(other) => Err(format!(
            "`{PII_KEY}` must be true, false or one of {}, not {other}",
            quoted_policy_names()
        )),
    }
}

/// Whether a property schema is marked (a malformed mark counts: the value was meant as one).
pub fn is_marked(property: &Value) -> bool {
    property
        .get(PII_KEY)
        .is_some_and(|value| value != &Value::Bool(false))
}

/// `"send", "hash", "redact", "refuse"`.
pub fn quoted_policy_names() -> String {
    POLICY_NAMES
        .iter()
        .map(|name| format!("{name:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Deeper nesting than this is not walked.
const MAX_DEPTH: usize = 32;

/// The paths of a rule's marked properties inside its payload (`email`, `address.street`,
/// `contacts[].phone`), as lint and coverage spell property paths. Properties inside a marked
/// object or array are covered by it and not listed.
pub fn marked_paths(rule: &Rule) -> Vec<String> {
    let mut paths = Vec::new();
    collect_marked(rule, &rule.payload, String::new(), 0, &mut paths);
    paths
}

fn collect_marked(rule: &Rule, raw: &Value, path: String, depth: usize, paths: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    let schema = schema::resolve_leniently(raw, &rule.definitions).schema;
    for (name, child) in schema::properties(schema) {
        let child_path = schema::path_join(&path, name);
        // The mark sits on the property schema, next to a possible `$ref`.
        if is_marked(child) || is_marked(schema::resolve_leniently(child, &rule.definitions).schema)
        {
            paths.push(child_path);
        } else {
            collect_marked(rule, child, child_path, depth + 1, paths);
        }
    }
    if let Some(items) = schema::single_items(schema) {
        collect_marked(rule, items, format!("{path}[]"), depth + 1, paths);
    }
}

/// Whether the property at `path` is personal data by the marks in `marked` (from
/// [`marked_paths`]): marked itself, or inside a marked object or array.
pub fn is_covered(marked: &[String], path: &str) -> bool {
    marked.iter().any(|mark| {
        path.strip_prefix(mark.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Call;
    use serde_json::json;

    #[test]
    fn marks_are_true_or_a_policy_name() {
        assert_eq!(mark(&json!({"type": "string"})), Ok(None));
        assert_eq!(mark(&json!({"x-pii": false})), Ok(None));
        assert_eq!(
            mark(&json!({"x-pii": true})),
            Ok(Some(PiiMark::ClientPolicy))
        );
        assert_eq!(
            mark(&json!({"x-pii": "hash"})),
            Ok(Some(PiiMark::Fixed("hash")))
        );
        let unknown = mark(&json!({"x-pii": "encrypt"})).unwrap_err();
        assert!(
            unknown.contains(r#"unknown `x-pii` policy "encrypt""#),
            "{unknown}"
        );
        let wrong = mark(&json!({"x-pii": 1})).unwrap_err();
        assert!(wrong.contains("must be true, false or one of"), "{wrong}");
    }

    #[test]
    fn marked_paths_follow_refs_and_items_and_stop_at_a_marked_object() {
        let rule = Rule {
            call: Call::Identify,
            name: String::new(),
            version: None,
            description: None,
            payload: json!({
                "properties": {
                    "email": {"type": "string", "x-pii": "hash"},
                    "plan": {"type": "string"},
                    "home": {"$ref": "#/definitions/Address", "x-pii": true},
                    "contacts": {"type": "array", "items": {"properties": {
                        "phone": {"type": "string", "x-pii": true},
                        "kind": {"type": "string"}
                    }}},
                    "office": {"$ref": "#/definitions/Office"}
                }
            }),
            payload_required: false,
            pointer: String::new(),
            definitions: json!({
                "Address": {"properties": {"street": {"type": "string", "x-pii": true}}},
                "Office": {"properties": {"street": {"type": "string", "x-pii": true}}}
            })
            .as_object()
            .unwrap()
            .clone(),
        };
        let mut paths = marked_paths(&rule);
        // In the map's key order, which serde_json's `preserve_order` feature changes.
        paths.sort();
        assert_eq!(
            paths,
            ["contacts[].phone", "email", "home", "office.street"]
        );
        assert!(is_covered(&paths, "home.street"));
        assert!(is_covered(&paths, "email"));
        assert!(!is_covered(&paths, "emails"));
        assert!(!is_covered(&paths, "contacts[].kind"));
    }
}
