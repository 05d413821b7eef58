//! The one view of a rule's JSON Schema that lint, diff, the derive's plan check and codegen's
//! schema lowering share: types, `$ref`s into a rule's definitions (one resolver, one hop limit,
//! one cycle rule, one error type), object properties, array items and JSON pointers. Readers
//! decide how strict to be: lint and diff read an unresolvable schema as "anything", codegen
//! reports [`RefError`]s as diagnostics.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

/// How many `$ref`s may be followed in a row: more is a chain no plan needs.
pub const MAX_REF_HOPS: usize = 32;

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

/// Why a `$ref` leads to no schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    /// The `$ref` value is not a string.
    NotAString,
    /// Not a local `#/definitions/NAME` or `#/$defs/NAME` reference (a remote document, or a
    /// pointer deeper than a definition).
    NotLocal(String),
    /// The rule has no definition of that name.
    Missing(String),
    /// Following `$ref`s from this definition comes back to it without reaching a schema.
    Cycle(String),
    /// More than [`MAX_REF_HOPS`] `$ref`s in a row.
    TooLong,
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefError::NotAString => f.write_str("`$ref` must be a string"),
            RefError::NotLocal(reference) => write!(
                f,
                "`$ref` to `{reference}` is not supported: only local definitions are"
            ),
            RefError::Missing(name) => write!(f, "definition `{name}` does not exist"),
            RefError::Cycle(name) => {
                write!(
                    f,
                    "definition `{name}` refers to itself through `$ref`s alone"
                )
            }
            RefError::TooLong => write!(f, "more than {MAX_REF_HOPS} `$ref`s in a row"),
        }
    }
}

impl std::error::Error for RefError {}

/// The definition a `$ref` value names, with its name as the rule's definitions spell it.
pub fn definition<'a>(
    reference: &Value,
    definitions: &'a Map<String, Value>,
) -> Result<(&'a str, &'a Value), RefError> {
    let reference = reference.as_str().ok_or(RefError::NotAString)?;
    let escaped = reference
        .strip_prefix("#/definitions/")
        .or_else(|| reference.strip_prefix("#/$defs/"))
        .filter(|name| !name.contains('/'))
        .ok_or_else(|| RefError::NotLocal(reference.to_owned()))?;
    // A JSON pointer token: `~1` is `/` and `~0` is `~`, in that order.
    let name = escaped.replace("~1", "/").replace("~0", "~");
    definitions
        .get_key_value(&name)
        .map(|(name, schema)| (name.as_str(), schema))
        .ok_or(RefError::Missing(name))
}

/// A schema with its `$ref`s followed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved<'a> {
    /// The first schema on the way that is not a `$ref`.
    pub schema: &'a Value,
    /// The last definition reached, if a `$ref` was followed.
    pub definition: Option<&'a str>,
}

impl<'a> Resolved<'a> {
    /// `schema` as it stands: for lenient readers, when [`resolve`] fails.
    pub fn unresolved(schema: &'a Value) -> Self {
        Resolved {
            schema,
            definition: None,
        }
    }
}

/// `schema` with its `$ref` followed (repeatedly) into `definitions`.
pub fn resolve<'a>(
    schema: &'a Value,
    definitions: &'a Map<String, Value>,
) -> Result<Resolved<'a>, RefError> {
    let mut resolved = Resolved::unresolved(schema);
    let mut seen: Vec<&str> = Vec::new();
    while let Some(reference) = resolved.schema.get("$ref") {
        if seen.len() == MAX_REF_HOPS {
            return Err(RefError::TooLong);
        }
        let (name, next) = definition(reference, definitions)?;
        if seen.contains(&name) {
            return Err(RefError::Cycle(name.to_owned()));
        }
        seen.push(name);
        resolved = Resolved {
            schema: next,
            definition: Some(name),
        };
    }
    Ok(resolved)
}

/// [`resolve`] for readers that take what cannot be resolved as it stands ("anything").
pub(crate) fn resolve_leniently<'a>(
    schema: &'a Value,
    definitions: &'a Map<String, Value>,
) -> Resolved<'a> {
    resolve(schema, definitions).unwrap_or(Resolved::unresolved(schema))
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
const ANNOTATIONS: [&str; 12] = [
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
    crate::pii::PII_KEY,
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
    let Resolved {
        schema: resolved,
        definition: reached,
    } = resolve_leniently(schema, definitions);
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
        let resolved = resolve(&by_ref, defs).unwrap();
        assert_eq!(
            (resolved.schema, resolved.definition),
            (&json!({"type": "string"}), Some("B"))
        );
        let cyclic = json!({"$ref": "#/definitions/C"});
        assert_eq!(resolve(&cyclic, defs), Err(RefError::Cycle("C".into())));
        assert_eq!(
            resolve_leniently(&cyclic, defs),
            Resolved::unresolved(&cyclic)
        );
        let remote = json!({"$ref": "https://example.com/x.json"});
        assert_eq!(
            resolve(&remote, defs),
            Err(RefError::NotLocal("https://example.com/x.json".into()))
        );
        let missing = json!({"$ref": "#/definitions/Z"});
        assert_eq!(resolve(&missing, defs), Err(RefError::Missing("Z".into())));
        assert_eq!(
            resolve(&json!({"$ref": 1}), defs),
            Err(RefError::NotAString)
        );
    }

    #[test]
    fn ref_names_are_json_pointer_tokens() {
        let defs = json!({"a/b~c": {"type": "string"}});
        let defs = defs.as_object().unwrap();
        let (name, _) = definition(&json!("#/definitions/a~1b~0c"), defs).unwrap();
        assert_eq!(name, "a/b~c");
        assert_eq!(
            definition(&json!("#/definitions/a/properties/x"), defs),
            Err(RefError::NotLocal("#/definitions/a/properties/x".into()))
        );
    }

    #[test]
    fn long_ref_chains_stop_at_the_hop_limit() {
        let chain: Map<String, Value> = (0..=MAX_REF_HOPS)
            .map(|i| {
                (
                    format!("d{i}"),
                    json!({"$ref": format!("#/definitions/d{}", i + 1)}),
                )
            })
            .chain([(format!("d{}", MAX_REF_HOPS + 1), json!({"type": "string"}))])
            .collect();
        let start = json!({"$ref": "#/definitions/d0"});
        assert_eq!(resolve(&start, &chain), Err(RefError::TooLong));
        let short = json!({"$ref": "#/definitions/d2"});
        assert_eq!(
            resolve(&short, &chain).unwrap().schema,
            &json!({"type": "string"})
        );
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
