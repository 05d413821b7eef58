//! The slice of JSON Schema that lint and diff read: types, `$ref`s into a rule's definitions,
//! object properties, array items and JSON pointers. Everything here is lenient: a malformed
//! schema reads as "anything", never as an error (the plan reader reports malformed plans).

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

/// How many `$ref`s may be followed in a row before giving up (a cycle, or a chain no plan needs).
const MAX_REF_HOPS: usize = 32;

/// One of the seven JSON Schema types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum JsonType {
    Null,
    Boolean,
    Integer,
    Number,
    String,
    Array,
    Object,
}

impl JsonType {
    pub(crate) const ALL: [JsonType; 7] = [
        JsonType::Null,
        JsonType::Boolean,
        JsonType::Integer,
        JsonType::Number,
        JsonType::String,
        JsonType::Array,
        JsonType::Object,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::String => "string",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }

    fn parse(name: &str) -> Option<JsonType> {
        JsonType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The type of a JSON value (an integral number is an `integer`).
    fn of(value: &Value) -> JsonType {
        match value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }
}

/// The set of types a schema admits. A schema without `type` (nor `enum`/`const`) admits all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TypeSet(BTreeSet<JsonType>);

impl TypeSet {
    /// The types `schema` admits, from `type`, else from its `enum`/`const` values.
    pub(crate) fn of(schema: &Value) -> TypeSet {
        let declared = match schema.get("type") {
            Some(Value::String(name)) => JsonType::parse(name).into_iter().collect(),
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(Value::as_str)
                .filter_map(JsonType::parse)
                .collect(),
            _ => BTreeSet::new(),
        };
        if !declared.is_empty() {
            return TypeSet(declared);
        }
        match enum_values(schema) {
            Some(values) if !values.is_empty() => {
                TypeSet(values.iter().map(JsonType::of).collect())
            }
            _ => TypeSet(JsonType::ALL.into_iter().collect()),
        }
    }

    /// Whether the schema leaves the type open (all seven types).
    pub(crate) fn is_any(&self) -> bool {
        self.0.len() == JsonType::ALL.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = JsonType> + '_ {
        self.0.iter().copied()
    }

    pub(crate) fn contains(&self, ty: JsonType) -> bool {
        self.0.contains(&ty)
    }

    /// Whether every value of a type in `self` is also admitted by `other` (`integer` fits
    /// `number`).
    pub(crate) fn fits_in(&self, other: &TypeSet) -> bool {
        self.0.iter().all(|&ty| {
            other.contains(ty) || (ty == JsonType::Integer && other.contains(JsonType::Number))
        })
    }

    /// The same set without `null`: the property's type, nullability aside.
    pub(crate) fn without_null(&self) -> TypeSet {
        TypeSet(
            self.0
                .iter()
                .copied()
                .filter(|&t| t != JsonType::Null)
                .collect(),
        )
    }
}

impl fmt::Display for TypeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_any() {
            return f.write_str("any");
        }
        let names: Vec<&str> = self.0.iter().map(|t| t.as_str()).collect();
        f.write_str(&names.join(" | "))
    }
}

/// The values of `enum`, or `const` as a one-value enum.
pub(crate) fn enum_values(schema: &Value) -> Option<Vec<Value>> {
    if let Some(Value::Array(values)) = schema.get("enum") {
        return Some(values.clone());
    }
    schema.get("const").map(|value| vec![value.clone()])
}

/// A schema with its `$ref` followed (repeatedly) into `definitions`, and the name of the last
/// definition reached, if any. An unresolvable or cyclic `$ref` stays as it is.
pub(crate) fn resolve<'a>(
    schema: &'a Value,
    definitions: &'a Map<String, Value>,
) -> (&'a Value, Option<&'a str>) {
    let mut current = schema;
    let mut reached = None;
    for _ in 0..MAX_REF_HOPS {
        let Some(target) = current.get("$ref").and_then(Value::as_str) else {
            return (current, reached);
        };
        let Some(name) = definition_name(target) else {
            return (current, reached);
        };
        match definitions.get(name) {
            Some(next) => {
                current = next;
                reached = Some(name);
            }
            None => return (current, reached),
        }
    }
    (current, reached)
}

/// `X` from a local reference `#/definitions/X` or `#/$defs/X`.
fn definition_name(reference: &str) -> Option<&str> {
    reference
        .strip_prefix("#/definitions/")
        .or_else(|| reference.strip_prefix("#/$defs/"))
        .filter(|name| !name.contains('/'))
}

/// The declared properties of an object schema, in the parsed map's key order.
pub(crate) fn properties(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// Whether the schema declares at least one property.
pub(crate) fn has_properties(schema: &Value) -> bool {
    properties(schema).next().is_some()
}

/// The names listed in `required`.
pub(crate) fn required(schema: &Value) -> BTreeSet<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// The item schema of an array schema, when it has a single one (tuple `items` are not walked).
pub(crate) fn single_items(schema: &Value) -> Option<&Value> {
    schema.get("items").filter(|items| items.is_object())
}

/// The schema's non-empty `description`.
pub(crate) fn description(schema: &Value) -> Option<&str> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .filter(|text| !text.trim().is_empty())
}

/// `pointer` extended by one JSON Pointer segment (RFC 6901: `~` -> `~0`, `/` -> `~1`).
pub(crate) fn pointer_join(pointer: &str, segment: &str) -> String {
    let escaped = segment.replace('~', "~0").replace('/', "~1");
    format!("{pointer}/{escaped}")
}

/// A property's human-readable path inside the payload: `products[].price`, `config.mode`.
pub(crate) fn path_join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Annotation keys that never change what a schema accepts.
const ANNOTATIONS: [&str; 11] = [
    "description",
    "title",
    "examples",
    "$comment",
    "$schema",
    "$id",
    "id",
    "key",
    "labels",
    "eventMetadata",
    "default",
];

/// The schema with `$ref`s resolved and annotations removed, for comparing what two schemas
/// accept (the rename heuristic). Cycles stop at the repeated reference.
pub(crate) fn canonical(schema: &Value, definitions: &Map<String, Value>) -> Value {
    canonical_at(schema, definitions, &mut Vec::new())
}

fn canonical_at<'a>(
    schema: &'a Value,
    definitions: &'a Map<String, Value>,
    stack: &mut Vec<&'a str>,
) -> Value {
    let (resolved, reached) = resolve(schema, definitions);
    if let Some(name) = reached {
        if stack.contains(&name) || stack.len() >= MAX_REF_HOPS {
            return Value::String(format!("$ref:{name}"));
        }
        stack.push(name);
    }
    let result = match resolved {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !ANNOTATIONS.contains(&key.as_str()))
                .map(|(key, value)| {
                    let value = match key.as_str() {
                        "properties" | "definitions" | "$defs" => match value {
                            Value::Object(props) => Value::Object(
                                props
                                    .iter()
                                    .map(|(k, v)| (k.clone(), canonical_at(v, definitions, stack)))
                                    .collect(),
                            ),
                            other => other.clone(),
                        },
                        "items" | "additionalProperties" => canonical_at(value, definitions, stack),
                        _ => value.clone(),
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        other => other.clone(),
    };
    if reached.is_some() {
        stack.pop();
    }
    result
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn types(schema: Value) -> TypeSet {
        TypeSet::of(&schema)
    }

    #[test]
    fn type_sets_come_from_type_then_enum_then_any() {
        assert_eq!(types(json!({"type": "string"})).to_string(), "string");
        assert_eq!(
            types(json!({"type": ["string", "null"]})).to_string(),
            "null | string"
        );
        assert_eq!(
            types(json!({"enum": ["a", 1]})).to_string(),
            "integer | string"
        );
        assert_eq!(types(json!({"const": 1.5})).to_string(), "number");
        assert!(types(json!({})).is_any());
        assert!(types(json!({"type": "nonsense"})).is_any());
    }

    #[test]
    fn integer_fits_in_number_but_not_the_reverse() {
        let integer = types(json!({"type": "integer"}));
        let number = types(json!({"type": "number"}));
        assert!(integer.fits_in(&number));
        assert!(!number.fits_in(&integer));
        assert!(integer.fits_in(&types(json!({}))));
        assert!(!types(json!({})).fits_in(&integer));
    }

    #[test]
    fn refs_resolve_through_definitions_and_stop_on_cycles() {
        let defs = json!({"A": {"$ref": "#/$defs/B"}, "B": {"type": "string"}, "C": {"$ref": "#/definitions/C"}});
        let defs = defs.as_object().unwrap();
        let by_ref = json!({"$ref": "#/definitions/A"});
        let (schema, name) = resolve(&by_ref, defs);
        assert_eq!((schema, name), (&json!({"type": "string"}), Some("B")));
        let cyclic = json!({"$ref": "#/definitions/C"});
        assert_eq!(resolve(&cyclic, defs).1, Some("C"));
        let remote = json!({"$ref": "https://example.com/x.json"});
        assert_eq!(resolve(&remote, defs), (&remote, None));
    }

    #[test]
    fn pointers_escape_tilde_and_slash() {
        assert_eq!(pointer_join("/rules/0", "a/b~c"), "/rules/0/a~1b~0c");
    }

    #[test]
    fn canonical_drops_annotations_and_inlines_refs() {
        let defs = json!({"P": {"type": "object", "description": "x", "properties": {"id": {"type": "string", "id": "/p"}}}});
        let defs = defs.as_object().unwrap();
        let by_ref = canonical(&json!({"$ref": "#/definitions/P"}), defs);
        let inline = canonical(
            &json!({"type": "object", "properties": {"id": {"type": "string"}}}),
            defs,
        );
        assert_eq!(by_ref, inline);
        let cyclic =
            json!({"N": {"type": "object", "properties": {"next": {"$ref": "#/definitions/N"}}}});
        let cyclic = canonical(
            &json!({"$ref": "#/definitions/N"}),
            cyclic.as_object().unwrap(),
        );
        assert_eq!(cyclic["properties"]["next"], json!("$ref:N"));
    }
}
