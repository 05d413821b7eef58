//! JSON Schema of payload types: what code-first tracking plans are exported from.
//!
//! [`Describe`] is implemented here for every value type [`PropertyValue`](crate::PropertyValue)
//! takes (scalars, strings, options, sequences, maps, `serde_json::Value`, date-times) and by the
//! four derives for the types they define, which compose these impls: the mapping from a Rust type
//! to JSON Schema is decided once, in this module.
//!
//! Nothing here runs when a message is sent: schemas are built only when a plan is exported.
//!
//! ```
//! use trackplan_core::describe::{Describe, SchemaGenerator};
//!
//! let mut schemas = SchemaGenerator::new();
//! let schema = schemas.subschema::<Vec<Option<u32>>>();
//! assert_eq!(
//!     schema,
//!     serde_json::json!({"type": "array", "items": {"type": ["integer", "null"], "minimum": 0}})
//! );
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use crate::event::Nullable;

/// A type that can say what its values look like, as JSON Schema (draft-07).
///
/// Implemented for the value types trackplan sends and by `#[derive(Event)]`, `Traits`,
/// `Properties` and `Enum`. A derived field whose type does not implement it (a
/// `#[property(serde)]` type, a hand-written `PropertyValue`) is exported as `{}` (any value),
/// and the exported plan's description says so.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot describe itself as JSON Schema",
    label = "`{Self}` does not implement `trackplan::Describe`",
    note = "the derives implement it; so do the scalars, strings, options, sequences, maps and date-times trackplan sends"
)]
pub trait Describe {
    /// The schema of one value of this type (an array item, a map value, a payload).
    fn describe(schemas: &mut SchemaGenerator) -> Value;

    /// The schema of a property of this type, and whether it must be sent: `Option` and
    /// [`Nullable`] fields may be left out.
    fn describe_field(schemas: &mut SchemaGenerator) -> FieldSchema {
        FieldSchema {
            schema: schemas.subschema::<Self>(),
            required: true,
        }
    }

    /// A name to share this type's schema under (`$defs`) when a payload uses it more than once:
    /// the named object types of `#[derive(Properties)]`. `None` describes it inline everywhere.
    fn shared_name() -> Option<&'static str> {
        None
    }
}

/// A track event whose name is known without a value: what `TrackingPlan::track` takes.
/// `#[derive(Event)]` implements it.
pub trait DescribeEvent: Describe {
    /// The event name sent as `event`, byte-exact.
    const EVENT_NAME: &'static str;
}

/// A property's schema and whether the property must be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSchema {
    pub schema: Value,
    pub required: bool,
}

/// Builds schemas, keeping named object types in shared definitions so a type used twice (or a
/// recursive one) is described once.
#[derive(Debug, Default)]
pub struct SchemaGenerator {
    /// Definition name -> schema (`Null` while the type's own schema is being built).
    definitions: BTreeMap<String, Value>,
    /// `std::any::type_name` -> definition name.
    names: HashMap<&'static str, String>,
    /// Types exported as `{}` because they cannot describe themselves.
    undescribed: Vec<&'static str>,
}

/// A described payload: its schema, the definitions it refers to, and the types it could not
/// describe.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub schema: Value,
    /// Definitions the schema refers to as `#/$defs/NAME`; types used once are inlined instead.
    pub definitions: Map<String, Value>,
    /// Rust types exported as `{}` (`#[property(serde)]` fields without a schema).
    pub undescribed: Vec<&'static str>,
}

impl SchemaGenerator {
    pub fn new() -> Self {
        SchemaGenerator::default()
    }

    /// The whole schema of `T` as a payload, with the definitions it needs; named types used
    /// once are inlined, so only types that are shared or recursive stay as `$ref`s.
    pub fn payload<T: Describe + ?Sized>() -> Described {
        let mut schemas = SchemaGenerator::new();
        let schema = T::describe(&mut schemas);
        schemas.finish(schema)
    }

    /// The schema of `T` where it appears inside another: a `$ref` to its shared definition for
    /// named types, the schema itself otherwise.
    pub fn subschema<T: Describe + ?Sized>(&mut self) -> Value {
        let Some(name) = T::shared_name() else {
            return T::describe(self);
        };
        let type_name = std::any::type_name::<T>();
        if let Some(existing) = self.names.get(type_name) {
            return reference(existing);
        }
        let definition = self.unused_definition_name(name);
        self.names.insert(type_name, definition.clone());
        // Reserved before describing, so a recursive type meets its own `$ref`.
        self.definitions.insert(definition.clone(), Value::Null);
        let schema = T::describe(self);
        self.definitions.insert(definition.clone(), schema);
        reference(&definition)
    }

    /// The field schema of `T`: [`Describe::describe_field`].
    pub fn field<T: Describe + ?Sized>(&mut self) -> FieldSchema {
        T::describe_field(self)
    }

    /// `{}` for a type that cannot describe itself, remembered so the plan can say so.
    pub fn undescribed<T: ?Sized>(&mut self) -> Value {
        let type_name = std::any::type_name::<T>();
        if !self.undescribed.contains(&type_name) {
            self.undescribed.push(type_name);
        }
        json!({})
    }

    /// Two Rust types with the same name get `Name` and `Name2`, in the order they are met.
    fn unused_definition_name(&self, name: &str) -> String {
        (1..)
            .map(|n| match n {
                1 => name.to_owned(),
                n => format!("{name}{n}"),
            })
            .find(|candidate| !self.definitions.contains_key(candidate))
            .expect("an unused definition name")
    }

    fn finish(self, mut schema: Value) -> Described {
        let mut definitions = self.definitions;
        // Inline a definition referred to once and not by itself, until none is left: what
        // remains is shared or recursive.
        while let Some(name) = definitions
            .keys()
            .find(|name| {
                let target = reference_target(name);
                let uses = count_references(&schema, &target)
                    + definitions
                        .values()
                        .map(|def| count_references(def, &target))
                        .sum::<usize>();
                uses == 1 && count_references(&definitions[*name], &target) == 0
            })
            .cloned()
        {
            let definition = definitions.remove(&name).unwrap_or_default();
            let target = reference_target(&name);
            inline_reference(&mut schema, &target, &definition);
            for def in definitions.values_mut() {
                inline_reference(def, &target, &definition);
            }
        }
        Described {
            schema,
            definitions: definitions.into_iter().collect(),
            undescribed: self.undescribed,
        }
    }
}

fn reference(definition: &str) -> Value {
    json!({ "$ref": reference_target(definition) })
}

fn reference_target(definition: &str) -> String {
    format!(
        "#/$defs/{}",
        definition.replace('~', "~0").replace('/', "~1")
    )
}

fn count_references(schema: &Value, target: &str) -> usize {
    match schema {
        Value::Object(map) => {
            let own = usize::from(map.get("$ref").and_then(Value::as_str) == Some(target));
            own + map
                .values()
                .map(|v| count_references(v, target))
                .sum::<usize>()
        }
        Value::Array(items) => items.iter().map(|v| count_references(v, target)).sum(),
        _ => 0,
    }
}

/// Replace each `{"$ref": target, ...}` with `definition`, keeping the reference's own keywords
/// (a property's `description`) over the definition's.
fn inline_reference(schema: &mut Value, target: &str, definition: &Value) {
    match schema {
        Value::Object(map) => {
            if map.get("$ref").and_then(Value::as_str) == Some(target) {
                map.remove("$ref");
                if let Value::Object(def) = definition {
                    for (key, value) in def {
                        map.entry(key.clone()).or_insert_with(|| value.clone());
                    }
                }
                return;
            }
            for value in map.values_mut() {
                inline_reference(value, target, definition);
            }
        }
        Value::Array(items) => {
            for item in items {
                inline_reference(item, target, definition);
            }
        }
        _ => {}
    }
}

/// `schema` that also admits `null`: `null` joins its `type` (and its `enum`), and a `$ref` is
/// wrapped in `anyOf`. `{}` already admits everything.
pub fn nullable(schema: Value) -> Value {
    let Value::Object(mut map) = schema else {
        return schema;
    };
    if map.contains_key("$ref") {
        return json!({ "anyOf": [Value::Object(map), { "type": "null" }] });
    }
    match map.get_mut("type") {
        Some(Value::String(single)) => {
            let single = std::mem::take(single);
            map.insert("type".to_owned(), json!([single, "null"]));
        }
        Some(Value::Array(types)) if !types.contains(&json!("null")) => types.push(json!("null")),
        _ => {}
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
    }
    Value::Object(map)
}

/// The object schema a derived struct describes itself with, property by property.
pub struct ObjectSchema {
    properties: Map<String, Value>,
    required: Vec<Value>,
    description: Option<&'static str>,
}

impl ObjectSchema {
    /// An object with no properties yet; `description` is the struct's doc comment.
    pub fn new(description: Option<&'static str>) -> Self {
        ObjectSchema {
            properties: Map::new(),
            required: Vec::new(),
            description,
        }
    }

    /// Add the property `wire_name`. `constraints` is a JSON object of keywords written at
    /// compile time (`{"minimum":1}`), or empty text when there are none.
    pub fn property(
        &mut self,
        wire_name: &str,
        field: FieldSchema,
        description: Option<&str>,
        constraints: &str,
    ) {
        let mut schema = field.schema;
        if let Value::Object(map) = &mut schema {
            if !constraints.is_empty() {
                let keywords: Map<String, Value> =
                    serde_json::from_str(constraints).unwrap_or_default();
                for (keyword, value) in keywords {
                    apply_constraint(map, keyword, value);
                }
            }
            if let Some(description) = description {
                map.insert("description".to_owned(), json!(description));
            }
        }
        if field.required {
            self.required.push(json!(wire_name));
        }
        self.properties.insert(wire_name.to_owned(), schema);
    }

    /// The object of a derived struct: its doc comment and its table of properties.
    pub fn from_properties(
        schemas: &mut SchemaGenerator,
        description: Option<&'static str>,
        properties: &[PropertyEntry],
    ) -> Value {
        let mut object = ObjectSchema::new(description);
        for entry in properties {
            let mut field = (entry.schema)(schemas);
            field.required &= !entry.optional;
            object.property(entry.wire_name, field, entry.description, entry.constraints);
        }
        object.finish()
    }

    pub fn finish(self) -> Value {
        let mut schema = Map::new();
        schema.insert("type".to_owned(), json!("object"));
        if let Some(description) = self.description {
            schema.insert("description".to_owned(), json!(description));
        }
        schema.insert("properties".to_owned(), Value::Object(self.properties));
        if !self.required.is_empty() {
            schema.insert("required".to_owned(), Value::Array(self.required));
        }
        Value::Object(schema)
    }
}

/// `schema` with the keywords of `keywords` (JSON object text written at compile time, or empty
/// text) added at its top level: an item's extension keys, such as the consent it needs.
pub fn with_keywords(mut schema: Value, keywords: &str) -> Value {
    if let (Value::Object(map), false) = (&mut schema, keywords.is_empty()) {
        let keywords: Map<String, Value> = serde_json::from_str(keywords).unwrap_or_default();
        map.extend(keywords);
    }
    schema
}

/// A constraint attribute's keyword onto a field's schema. A lower bound already implied by the
/// type (`minimum: 0` of an unsigned integer) is only ever raised, never loosened.
fn apply_constraint(schema: &mut Map<String, Value>, keyword: String, value: Value) {
    if keyword == "minimum" {
        if let (Some(existing), Some(new)) = (
            schema.get("minimum").and_then(Value::as_f64),
            value.as_f64(),
        ) {
            if existing > new {
                return;
            }
        }
    }
    schema.insert(keyword, value);
}

/// The schema of a `#[derive(Enum)]` enum: a string from `values`, in declaration order.
pub fn string_enum(values: &[&str], description: Option<&str>) -> Value {
    let mut schema = json!({ "type": "string", "enum": values });
    if let (Some(description), Value::Object(map)) = (description, &mut schema) {
        map.insert("description".to_owned(), json!(description));
    }
    schema
}

// ---- Describe for the value types ----

macro_rules! describe_as {
    ($schema:tt: $($ty:ty),* $(,)?) => {$(
        impl Describe for $ty {
            fn describe(_: &mut SchemaGenerator) -> Value {
                json!($schema)
            }
        }
    )*};
}

describe_as!({"type": "boolean"}: bool);
describe_as!({"type": "integer"}: i8, i16, i32, i64, isize);
describe_as!({"type": "integer", "minimum": 0}: u8, u16, u32, u64, usize);
describe_as!({"type": "number"}: f32, f64);
describe_as!({"type": "string"}: str, String, Cow<'_, str>);
describe_as!({}: serde_json::Value);
describe_as!({"type": "object"}: serde_json::Map<String, Value>);

impl<T: Describe + ?Sized> Describe for &T {
    fn describe(schemas: &mut SchemaGenerator) -> Value {
        schemas.subschema::<T>()
    }
    fn describe_field(schemas: &mut SchemaGenerator) -> FieldSchema {
        T::describe_field(schemas)
    }
}

impl<T: Describe + ?Sized> Describe for Box<T> {
    fn describe(schemas: &mut SchemaGenerator) -> Value {
        schemas.subschema::<T>()
    }
    fn describe_field(schemas: &mut SchemaGenerator) -> FieldSchema {
        T::describe_field(schemas)
    }
}

impl<T: Describe> Describe for Option<T> {
    /// Inside a sequence or map, `None` is sent as `null`.
    fn describe(schemas: &mut SchemaGenerator) -> Value {
        nullable(schemas.subschema::<T>())
    }
    /// As a field, `None` leaves the key out: not required, never `null`.
    fn describe_field(schemas: &mut SchemaGenerator) -> FieldSchema {
        FieldSchema {
            schema: schemas.subschema::<T>(),
            required: false,
        }
    }
}

impl<T: Describe> Describe for Nullable<T> {
    fn describe(schemas: &mut SchemaGenerator) -> Value {
        nullable(schemas.subschema::<T>())
    }
    /// Absent, `null` or a value.
    fn describe_field(schemas: &mut SchemaGenerator) -> FieldSchema {
        FieldSchema {
            schema: nullable(schemas.subschema::<T>()),
            required: false,
        }
    }
}

fn array_of<T: Describe + ?Sized>(schemas: &mut SchemaGenerator) -> Value {
    json!({ "type": "array", "items": schemas.subschema::<T>() })
}

impl<T: Describe> Describe for [T] {
    fn describe(schemas: &mut SchemaGenerator) -> Value {
        array_of::<T>(schemas)
    }
}

impl<T: Describe> Describe for Vec<T> {
    fn describe(schemas: &mut SchemaGenerator) -> Value {
        array_of::<T>(schemas)
    }
}

impl<T: Describe, const N: usize> Describe for [T; N] {
    /// Always exactly `N` items.
    fn describe(schemas: &mut SchemaGenerator) -> Value {
        let mut schema = array_of::<T>(schemas);
        if let Value::Object(map) = &mut schema {
            map.insert("minItems".to_owned(), json!(N));
            map.insert("maxItems".to_owned(), json!(N));
        }
        schema
    }
}

fn map_of<V: Describe + ?Sized>(schemas: &mut SchemaGenerator) -> Value {
    json!({ "type": "object", "additionalProperties": schemas.subschema::<V>() })
}

impl<K: AsRef<str>, V: Describe> Describe for BTreeMap<K, V> {
    fn describe(schemas: &mut SchemaGenerator) -> Value {
        map_of::<V>(schemas)
    }
}

impl<K: AsRef<str>, V: Describe, H> Describe for HashMap<K, V, H> {
    fn describe(schemas: &mut SchemaGenerator) -> Value {
        map_of::<V>(schemas)
    }
}

#[cfg(feature = "time")]
describe_as!({"type": "string", "format": "date-time"}: time::OffsetDateTime, time::UtcDateTime);

#[cfg(feature = "chrono")]
impl<Tz: chrono::TimeZone> Describe for chrono::DateTime<Tz> {
    fn describe(_: &mut SchemaGenerator) -> Value {
        json!({"type": "string", "format": "date-time"})
    }
}

/// A derived field's type, for picking its schema at compile time: the type's own when it
/// implements [`Describe`] ([`ViaDescribe`]), `{}` (any value, noted for the plan's description)
/// otherwise ([`ViaAnyValue`]): a `#[property(serde)]` type, or a hand-written `PropertyValue`
/// without a schema. So a type that cannot describe itself never fails the build.
///
/// The derive calls `(&&FieldType::<T>::new()).field_schema_fn()`: method lookup tries the
/// impl on `&FieldType<T>` (bounded by `T: Describe`) before the one on `FieldType<T>` (autoref
/// specialisation). A generic `T` takes its schema when the item's bounds say `T: Describe` (the
/// derive adds them), `{}` otherwise.
pub struct FieldType<T: ?Sized>(std::marker::PhantomData<T>);

impl<T: ?Sized> FieldType<T> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        FieldType(std::marker::PhantomData)
    }
}

/// How a derived property's schema is built: what [`FieldType`] picks.
pub type FieldSchemaFn = fn(&mut SchemaGenerator) -> FieldSchema;

/// See [`FieldType`]: the type describes itself.
pub trait ViaDescribe {
    fn field_schema_fn(&self) -> FieldSchemaFn;
}

impl<T: Describe + ?Sized> ViaDescribe for &FieldType<T> {
    fn field_schema_fn(&self) -> FieldSchemaFn {
        T::describe_field
    }
}

/// See [`FieldType`]: the type cannot describe itself, so any value (`{}`), noted.
pub trait ViaAnyValue {
    fn field_schema_fn(&self) -> FieldSchemaFn;
}

impl<T: ?Sized> ViaAnyValue for FieldType<T> {
    fn field_schema_fn(&self) -> FieldSchemaFn {
        |schemas| FieldSchema {
            schema: schemas.undescribed::<T>(),
            required: true,
        }
    }
}

/// One property of a derived struct. The derive writes a table of these, so each struct's
/// `describe` is a single call: little generated code, cheap to compile.
pub struct PropertyEntry {
    pub wire_name: &'static str,
    /// The field's doc comment.
    pub description: Option<&'static str>,
    /// The constraint keywords as JSON object text, or empty (see [`ObjectSchema::property`]).
    pub constraints: &'static str,
    /// Never required, whatever the type says: a `#[property(serde)]` field's `Option`.
    pub optional: bool,
    pub schema: FieldSchemaFn,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `#[derive(Properties)]` writes for `struct Address { city: String, zip: Option<u32> }`.
    struct Address;

    impl Describe for Address {
        fn describe(schemas: &mut SchemaGenerator) -> Value {
            let mut object = ObjectSchema::new(Some("Where it goes."));
            object.property("city", schemas.field::<String>(), None, "");
            object.property(
                "zip",
                schemas.field::<Option<u32>>(),
                Some("Postal code."),
                r#"{"minimum":1000}"#,
            );
            object.finish()
        }
        fn shared_name() -> Option<&'static str> {
            Some("Address")
        }
    }

    /// A recursive named type: `struct Category { children: Vec<Category> }`.
    struct Category;

    impl Describe for Category {
        fn describe(schemas: &mut SchemaGenerator) -> Value {
            let mut object = ObjectSchema::new(None);
            object.property("children", schemas.field::<Vec<Category>>(), None, "");
            object.finish()
        }
        fn shared_name() -> Option<&'static str> {
            Some("Category")
        }
    }

    fn payload_of(fields: &[(&str, FieldSchema)]) -> Value {
        let mut object = ObjectSchema::new(None);
        for (name, field) in fields {
            object.property(name, field.clone(), None, "");
        }
        object.finish()
    }

    #[test]
    fn scalars_options_and_nullables() {
        let mut s = SchemaGenerator::new();
        assert_eq!(
            s.subschema::<u8>(),
            json!({"type": "integer", "minimum": 0})
        );
        assert_eq!(s.subschema::<i64>(), json!({"type": "integer"}));
        assert_eq!(s.subschema::<&str>(), json!({"type": "string"}));
        assert_eq!(s.subschema::<serde_json::Value>(), json!({}));
        let optional = s.field::<Option<f64>>();
        assert_eq!(
            (optional.schema, optional.required),
            (json!({"type": "number"}), false)
        );
        let nullable = s.field::<Nullable<bool>>();
        assert_eq!(nullable.schema, json!({"type": ["boolean", "null"]}));
        assert!(!nullable.required);
        assert_eq!(
            s.subschema::<BTreeMap<String, Vec<Option<String>>>>(),
            json!({"type": "object", "additionalProperties": {"type": "array", "items": {"type": ["string", "null"]}}})
        );
        assert_eq!(
            s.subschema::<[bool; 2]>(),
            json!({"type": "array", "items": {"type": "boolean"}, "minItems": 2, "maxItems": 2})
        );
    }

    #[test]
    fn a_named_type_used_once_is_inlined_with_its_constraints_and_docs() {
        struct Once;
        impl Describe for Once {
            fn describe(schemas: &mut SchemaGenerator) -> Value {
                let field = schemas.field::<Address>();
                payload_of(&[("to", field)])
            }
        }
        let described = SchemaGenerator::payload::<Once>();
        assert!(described.definitions.is_empty(), "{described:#?}");
        assert_eq!(
            described.schema,
            json!({"type": "object", "required": ["to"], "properties": {"to": {
                "type": "object", "description": "Where it goes.", "required": ["city"],
                "properties": {
                    "city": {"type": "string"},
                    "zip": {"type": "integer", "minimum": 1000, "description": "Postal code."},
                },
            }}})
        );
    }

    #[test]
    fn a_named_type_used_twice_is_shared_and_a_recursive_one_stays_a_reference() {
        struct Twice;
        impl Describe for Twice {
            fn describe(schemas: &mut SchemaGenerator) -> Value {
                let fields = [
                    ("billing", schemas.field::<Address>()),
                    ("shipping", schemas.field::<Option<Address>>()),
                    ("tree", schemas.field::<Category>()),
                ];
                payload_of(&fields)
            }
        }
        let described = SchemaGenerator::payload::<Twice>();
        let keys: Vec<&String> = described.definitions.keys().collect();
        assert_eq!(keys, ["Address", "Category"]);
        assert_eq!(
            described.schema["properties"]["billing"],
            json!({"$ref": "#/$defs/Address"})
        );
        assert_eq!(
            described.schema["properties"]["shipping"],
            json!({"$ref": "#/$defs/Address"})
        );
        assert_eq!(
            described.definitions["Category"]["properties"]["children"]["items"],
            json!({"$ref": "#/$defs/Category"})
        );
    }

    #[test]
    fn null_joins_types_and_enums_and_wraps_references() {
        assert_eq!(
            nullable(string_enum(&["a"], None)),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        assert_eq!(
            nullable(json!({"$ref": "#/$defs/A"})),
            json!({"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]})
        );
        assert_eq!(nullable(json!({})), json!({}));
    }

    #[test]
    // The borrows are the autoref specialisation under test.
    #[allow(clippy::needless_borrow)]
    fn field_types_use_their_schema_when_they_have_one() {
        struct Blob;
        let mut s = SchemaGenerator::new();
        let optional = (&&FieldType::<Option<Vec<u8>>>::new()).field_schema_fn()(&mut s);
        assert_eq!(
            (optional.schema, optional.required),
            (
                json!({"type": "array", "items": {"type": "integer", "minimum": 0}}),
                false
            )
        );
        let blob = (&&FieldType::<Blob>::new()).field_schema_fn()(&mut s);
        assert_eq!((blob.schema, blob.required), (json!({}), true));
        let described = s.finish(json!({}));
        assert_eq!(described.undescribed.len(), 1);
        assert!(described.undescribed[0].ends_with("Blob"), "{described:?}");
    }

    #[test]
    fn constraints_never_loosen_an_unsigned_minimum() {
        let mut object = ObjectSchema::new(None);
        let mut s = SchemaGenerator::new();
        object.property("n", s.field::<u32>(), None, r#"{"minimum":-5,"maximum":9}"#);
        assert_eq!(
            object.finish()["properties"]["n"],
            json!({"type": "integer", "minimum": 0, "maximum": 9})
        );
    }
}
