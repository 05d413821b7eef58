//! Rules as Segment's Public API takes them (`RuleInput`: `type`, `key`, `version`,
//! `jsonSchema`), from a plan file of any shape, and the comparison `push` uses both to show what
//! a push would change and to verify what Segment holds afterwards.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{json, Map, Value};
use trackplan_plan::{Plan, PlanShape, Rule};

/// The `$schema` of rules converted from other shapes (Segment's own rules use draft-07).
const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// One rule in the Public API's input shape.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInput {
    /// `TRACK`, `IDENTIFY`, `GROUP`, `PAGE`, `SCREEN` or `COMMON`.
    pub kind: String,
    /// The wire name; absent for identify, group and common rules.
    pub key: Option<String>,
    pub version: u64,
    /// The whole-message schema.
    pub json_schema: Value,
}

/// What identifies a rule within a plan: (type, key, version).
type Identity = (String, String, u64);

impl RuleInput {
    fn identity(&self) -> Identity {
        (
            self.kind.clone(),
            self.key.clone().unwrap_or_default(),
            self.version,
        )
    }

    /// The request body's form.
    pub fn to_json(&self) -> Value {
        let mut rule = Map::new();
        rule.insert("type".to_owned(), json!(self.kind));
        if let Some(key) = &self.key {
            rule.insert("key".to_owned(), json!(key));
        }
        rule.insert("version".to_owned(), json!(self.version));
        rule.insert("jsonSchema".to_owned(), self.json_schema.clone());
        Value::Object(rule)
    }

    /// A Public API rule object (a plan file's or a listed one); server-only fields
    /// (`createdAt`, ...) are dropped. A rule-level `description`, which `RuleInput` has no
    /// field for, moves into the schema (where every reader also looks) unless it has one.
    /// `None` for what is not a rule; the plan reader has already reported those.
    pub fn from_public_api(rule: &Value) -> Option<RuleInput> {
        let kind = rule.get("type")?.as_str()?.to_ascii_uppercase();
        let key = rule.get("key").and_then(Value::as_str).map(str::to_owned);
        let version = rule.get("version").and_then(Value::as_u64).unwrap_or(1);
        let mut json_schema = rule.get("jsonSchema").cloned().unwrap_or(Value::Null);
        let description = rule.get("description").and_then(Value::as_str);
        if let (Value::Object(schema), Some(text)) = (&mut json_schema, description) {
            if !text.trim().is_empty() {
                schema.entry("description").or_insert_with(|| json!(text));
            }
        }
        Some(RuleInput {
            kind,
            key,
            version,
            json_schema,
        })
    }

    /// A normalised rule wrapped back into a whole-message schema: the payload under
    /// `properties.properties` (or `.traits`), required when the plan requires it, its
    /// definitions at the root where `#/definitions/...` and `#/$defs/...` point.
    fn from_rule(rule: &Rule) -> RuleInput {
        let payload_key = rule.call.payload_key();
        let mut schema = Map::new();
        schema.insert("$schema".to_owned(), json!(DRAFT_07));
        schema.insert("type".to_owned(), json!("object"));
        if let Some(description) = &rule.description {
            schema.insert("description".to_owned(), json!(description));
        }
        schema.insert(
            "properties".to_owned(),
            json!({ payload_key: rule.payload.clone() }),
        );
        if rule.payload_required {
            schema.insert("required".to_owned(), json!([payload_key]));
        }
        if !rule.definitions.is_empty() {
            for key in ["definitions", "$defs"] {
                schema.insert(key.to_owned(), Value::Object(rule.definitions.clone()));
            }
        }
        let named = !rule.name.is_empty();
        RuleInput {
            kind: rule.call.as_str().to_ascii_uppercase(),
            key: named.then(|| rule.name.clone()),
            version: rule.version.unwrap_or(1),
            json_schema: Value::Object(schema),
        }
    }
}

impl fmt::Display for RuleInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.to_ascii_lowercase();
        match &self.key {
            Some(key) => write!(f, "{kind} `{key}` v{}", self.version),
            None => write!(f, "{kind} rule v{}", self.version),
        }
    }
}

/// The rules to send for a plan file: a Public API file's own rules (every version, `COMMON`
/// rules too, so nothing the remote plan holds is lost by a pull-edit-push), else the
/// normalised plan's rules converted.
pub fn plan_rules(document: &Value, plan: &Plan) -> Vec<RuleInput> {
    match plan.shape {
        PlanShape::PublicApi => document["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(RuleInput::from_public_api)
            .collect(),
        PlanShape::TypewriterSanitized | PlanShape::ConfigApi | PlanShape::RudderTyper => {
            plan.rules.iter().map(RuleInput::from_rule).collect()
        }
    }
}

/// How one set of rules differs from another, by (type, key, version).
#[derive(Debug, Default, PartialEq)]
pub struct RuleDelta {
    /// In the wanted set only.
    pub absent: Vec<String>,
    /// In the actual set only.
    pub extra: Vec<String>,
    /// In both, with different schemas: the rule and the first JSON pointer that differs.
    pub changed: Vec<(String, String)>,
}

impl RuleDelta {
    pub fn is_empty(&self) -> bool {
        self.absent.is_empty() && self.extra.is_empty() && self.changed.is_empty()
    }

    /// One clause per difference, `; `-separated.
    pub fn describe(&self, absent: &str, extra: &str) -> String {
        let absent = self.absent.iter().map(|r| format!("{absent} {r}"));
        let extra = self.extra.iter().map(|r| format!("{extra} {r}"));
        let changed = self.changed.iter().map(|(rule, pointer)| {
            format!("{rule} has a different jsonSchema (first at `{pointer}`)")
        });
        absent
            .chain(extra)
            .chain(changed)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Compare the rules `actual` holds with the `wanted` ones.
pub fn compare(wanted: &[RuleInput], actual: &[RuleInput]) -> RuleDelta {
    let mut remaining: BTreeMap<Identity, &RuleInput> =
        actual.iter().map(|r| (r.identity(), r)).collect();
    let mut delta = RuleDelta::default();
    for rule in wanted {
        match remaining.remove(&rule.identity()) {
            None => delta.absent.push(rule.to_string()),
            Some(other) => {
                if let Some(pointer) = first_difference(&rule.json_schema, &other.json_schema, "") {
                    delta.changed.push((rule.to_string(), pointer));
                }
            }
        }
    }
    delta.extra = actual
        .iter()
        .filter(|r| remaining.contains_key(&r.identity()))
        .map(ToString::to_string)
        .collect();
    delta
}

/// The JSON pointer of the first place `a` and `b` differ, `None` when equal.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter().find_map(|key| {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => first_difference(x, y, &here),
                    _ => Some(here),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, &format!("{at}/{i}"))),
        _ => (a != b).then(|| {
            if at.is_empty() {
                "/".to_owned()
            } else {
                at.to_owned()
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: &str, key: Option<&str>, schema: Value) -> RuleInput {
        RuleInput {
            kind: kind.to_owned(),
            key: key.map(str::to_owned),
            version: 1,
            json_schema: schema,
        }
    }

    #[test]
    fn differences_name_the_rule_and_the_first_pointer() {
        let wanted = [
            rule(
                "TRACK",
                Some("A"),
                json!({"properties": {"properties": {"required": ["x"]}}}),
            ),
            rule("IDENTIFY", None, json!({})),
            rule("TRACK", Some("B"), json!({})),
        ];
        let actual = [
            rule(
                "TRACK",
                Some("A"),
                json!({"properties": {"properties": {"required": ["y"]}}}),
            ),
            rule("IDENTIFY", None, json!({})),
            rule("TRACK", Some("C"), json!({})),
        ];
        let delta = compare(&wanted, &actual);
        assert_eq!(
            delta,
            RuleDelta {
                absent: vec!["track `B` v1".to_owned()],
                extra: vec!["track `C` v1".to_owned()],
                changed: vec![(
                    "track `A` v1".to_owned(),
                    "/properties/properties/required/0".to_owned()
                )],
            }
        );
        assert_eq!(
            delta.describe("missing", "unexpected"),
            "missing track `B` v1; unexpected track `C` v1; track `A` v1 has a different \
             jsonSchema (first at `/properties/properties/required/0`)"
        );
        assert!(compare(&wanted, &wanted).is_empty());
    }

    #[test]
    fn pointers_escape_and_cover_missing_keys_and_lengths() {
        assert_eq!(first_difference(&json!(1), &json!(1), ""), None);
        assert_eq!(
            first_difference(&json!(1), &json!(2), "").as_deref(),
            Some("/")
        );
        assert_eq!(
            first_difference(&json!({"a/b": 1}), &json!({}), "").as_deref(),
            Some("/a~1b")
        );
        assert_eq!(
            first_difference(&json!([1]), &json!([1, 2]), "").as_deref(),
            Some("/")
        );
    }

    #[test]
    fn a_rule_description_moves_into_its_schema_and_server_fields_go() {
        let listed = json!({"type": "track", "key": "A", "version": 2, "description": "Why",
            "createdAt": "2026-01-01", "jsonSchema": {"type": "object"}});
        let input = RuleInput::from_public_api(&listed).unwrap_or_else(|| panic!("a rule"));
        assert_eq!(
            input.to_json(),
            json!({"type": "TRACK", "key": "A", "version": 2,
                "jsonSchema": {"type": "object", "description": "Why"}})
        );
    }
}
