//! JSON Schema of payload types: what code-first tracking plans are exported from.
//!
//! [`Describe`] is implemented here for every value type [`PropertyValue`](crate::PropertyValue)
//! takes (scalars, strings, options, sequences, maps, `serde_json::Value`, date-times) and by the
//! four derives for the types they define, which compose these impls: the mapping from a Rust type
//! to JSON Schema is decided once, in this module.
//!
//! A type's schema is constant data ([`Schema`]), not code: the derives write a table per type
//! and one interpreter here ([`SchemaGenerator`]) turns it into JSON when a plan is exported. So
//! describing a type adds no function to compile, and nothing here runs when a message is sent.
//!
//! ```
//! use trackplan_core::describe::SchemaGenerator;
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
///
/// The schema is a constant: a fixed JSON text, or a composition of other types' schemas.
///
/// ```
/// use trackplan_core::describe::{self, Describe, ObjectSchema, Schema};
///
/// /// A money amount sent as `{"amount": .., "currency": ..}` by a hand-written `PropertyValue`.
/// struct Money;
///
/// impl Describe for Money {
///     const SCHEMA: Schema = Schema::Object(&ObjectSchema {
///         layout: r#"{"description": "An amount of money.", "properties": [
///             {"name": "amount"},
///             {"name": "currency", "schema": {"pattern": "^[A-Z]{3}$"}}
///         ]}"#,
///         properties: &[describe::property::<f64>, describe::property::<String>],
///     });
/// }
///
/// let described = describe::SchemaGenerator::payload::<Money>();
/// assert_eq!(described.schema["properties"]["currency"]["pattern"], "^[A-Z]{3}$");
/// assert_eq!(described.schema["required"], serde_json::json!(["amount", "currency"]));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot describe itself as JSON Schema",
    label = "`{Self}` does not implement `trackplan::Describe`",
    note = "the derives implement it; so do the scalars, strings, options, sequences, maps and date-times trackplan sends"
)]
pub trait Describe {
    /// The schema of one value of this type (an array item, a map value, a payload).
    const SCHEMA: Schema;

    /// The schema of a property of this type, and whether it must be sent: `Option` and
    /// [`Nullable`] fields may be left out.
    const PROPERTY: PropertySchema = PropertySchema {
        schema: &Self::SCHEMA,
        required: true,
    };
}

/// A track event whose name is known without a value: what `TrackingPlan::track` takes.
/// `#[derive(Event)]` implements it.
pub trait DescribeEvent: Describe {
    /// The event name sent as `event`, byte-exact.
    const EVENT_NAME: &'static str;
}

/// How a type's JSON Schema is built, as constant data ([`SchemaGenerator`] builds the JSON).
#[derive(Debug)]
#[non_exhaustive]
pub enum Schema {
    /// A fixed schema, as JSON object text (`{"type":"string","format":"email"}`).
    Json(&'static str),
    /// `null` or a value of the inner schema: an `Option` inside a sequence or map, a
    /// [`Nullable`].
    OrNull(&'static Schema),
    /// A sequence of items; `len` fixes its length (`[T; N]`).
    Array {
        items: &'static Schema,
        len: Option<usize>,
    },
    /// An object whose values all have one schema (maps with string keys).
    Map(&'static Schema),
    /// A string from a list, in declaration order (`#[derive(Enum)]`).
    StringValues {
        values: &'static [&'static str],
        description: Option<&'static str>,
    },
    /// An object of named properties (the derived structs).
    Object(&'static ObjectSchema),
    /// A type shared under `$defs` when a payload uses it more than once, or refers to itself:
    /// the object types of `#[derive(Properties)]`. Types are told apart by `type_name`.
    Named {
        name: &'static str,
        type_name: fn() -> &'static str,
        schema: &'static Schema,
    },
    /// Any value (`{}`): a type that cannot describe itself, named in the plan's description.
    Undescribed { type_name: fn() -> &'static str },
    /// Built by a function, for schemas the other forms cannot express.
    Custom(fn(&mut SchemaGenerator) -> Value),
}

/// A property's schema and whether the property must be sent.
#[derive(Debug)]
pub struct PropertySchema {
    pub schema: &'static Schema,
    pub required: bool,
}

/// A property's schema as JSON, and whether the property must be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSchema {
    pub schema: Value,
    pub required: bool,
}

/// The object a derived struct describes itself with: its layout as JSON text, and the schema
/// of each property's type.
///
/// The layout is a JSON object. Its `properties` lists the properties in order, each
/// `{"name": .., "schema": {..}, "optional": true}`: `schema` holds keywords written onto the
/// property's schema (its description, constraints, `"x-pii"`; a lower bound the type implies,
/// `minimum: 0` of an unsigned integer, is only ever raised) and `optional` leaves it out of
/// `required` whatever its type says. Every other key of the layout (`description`,
/// `"x-consent"`) is written onto the object. The derives write the layout at compile time: one
/// string, so describing a struct costs the compiler little.
#[derive(Debug)]
pub struct ObjectSchema {
    pub layout: &'static str,
    /// The schema of each property's type ([`property`] of it), in the layout's order.
    pub properties: &'static [fn() -> &'static PropertySchema],
}

/// The property schema of `T`, for [`ObjectSchema::properties`].
pub fn property<T: Describe + ?Sized>() -> &'static PropertySchema {
    const { &T::PROPERTY }
}

/// `{}`, for a property whose type cannot describe itself: see [`FieldType`].
pub fn undescribed<T: ?Sized>() -> &'static PropertySchema {
    const {
        &PropertySchema {
            schema: &Schema::Undescribed {
                type_name: std::any::type_name::<T>,
            },
            required: true,
        }
    }
}

/// A derived field's type, for picking its schema at compile time: the type's own
/// ([`property`]) when it implements [`Describe`], `{}` (any value, noted for the plan's
/// description; [`undescribed`]) otherwise: a `#[property(serde)]` type, or a hand-written
/// `PropertyValue` without a schema. So a type that cannot describe itself never fails the
/// build.
///
/// The derive writes `FieldType::<T>::PROPERTY`: path resolution picks the inherent constant,
/// whose impl is bounded by `T: Describe`, before the [`AnyValue`] trait's. A generic `T` takes
/// its schema when the item's bounds say `T: Describe` (the derive adds them), `{}` otherwise.
pub struct FieldType<T: ?Sized>(std::marker::PhantomData<T>);

impl<T: Describe + ?Sized> FieldType<T> {
    /// The type describes itself.
    pub const PROPERTY: fn() -> &'static PropertySchema = property::<T>;
}

/// See [`FieldType`]: the type cannot describe itself, so any value (`{}`), noted.
pub trait AnyValue {
    const PROPERTY: fn() -> &'static PropertySchema;
}

impl<T: ?Sized> AnyValue for FieldType<T> {
    const PROPERTY: fn() -> &'static PropertySchema = undescribed::<T>;
}

/// Builds JSON from [`Schema`]s, keeping named object types in shared definitions so a type used
/// twice (or a recursive one) is described once.
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
    /// Rust types exported as `{}` (`#[property(serde)]` fields without a schema), and any
    /// [`Schema::Json`] text that is not a JSON object.
    pub undescribed: Vec<&'static str>,
}

impl SchemaGenerator {
    pub fn new() -> Self {
        SchemaGenerator::default()
    }

    /// The whole schema of `T` as a payload: [`payload_of`](Self::payload_of).
    pub fn payload<T: Describe + ?Sized>() -> Described {
        Self::payload_of(const { &T::SCHEMA })
    }

    /// The whole schema of a payload, with the definitions it needs; named types used once are
    /// inlined, so only types that are shared or recursive stay as `$ref`s.
    pub fn payload_of(schema: &Schema) -> Described {
        let mut schemas = SchemaGenerator::new();
        let json = match schema {
            // The payload itself is never a reference.
            Schema::Named { schema, .. } => schemas.schema(schema),
            schema => schemas.schema(schema),
        };
        schemas.finish(json)
    }

    /// The schema of `T` where it appears inside another: [`schema`](Self::schema).
    pub fn subschema<T: Describe + ?Sized>(&mut self) -> Value {
        self.schema(const { &T::SCHEMA })
    }

    /// The JSON of `schema` where it appears inside another: a `$ref` to its shared definition
    /// for named types, the schema itself otherwise.
    pub fn schema(&mut self, schema: &Schema) -> Value {
        match schema {
            Schema::Json(text) => self.json_text(text),
            Schema::OrNull(inner) => nullable(self.schema(inner)),
            Schema::Array { items, len } => {
                let mut array = Map::new();
                array.insert("type".to_owned(), json!("array"));
                array.insert("items".to_owned(), self.schema(items));
                if let Some(len) = len {
                    array.insert("minItems".to_owned(), json!(len));
                    array.insert("maxItems".to_owned(), json!(len));
                }
                Value::Object(array)
            }
            Schema::Map(values) => {
                json!({ "type": "object", "additionalProperties": self.schema(values) })
            }
            Schema::StringValues {
                values,
                description,
            } => {
                let mut schema = json!({ "type": "string", "enum": values });
                if let (Some(description), Value::Object(map)) = (description, &mut schema) {
                    map.insert("description".to_owned(), json!(description));
                }
                schema
            }
            Schema::Object(object) => self.object(object),
            Schema::Named {
                name,
                type_name,
                schema,
            } => self.named(name, type_name(), schema),
            Schema::Undescribed { type_name } => self.undescribed(type_name()),
            Schema::Custom(build) => build(self),
        }
    }

    /// The JSON of a property's schema, and whether the property must be sent.
    pub fn property(&mut self, property: &PropertySchema) -> FieldSchema {
        FieldSchema {
            schema: self.schema(property.schema),
            required: property.required,
        }
    }

    fn named(&mut self, name: &str, type_name: &'static str, schema: &Schema) -> Value {
        if let Some(existing) = self.names.get(type_name) {
            return reference(existing);
        }
        let definition = self.unused_definition_name(name);
        self.names.insert(type_name, definition.clone());
        // Reserved before describing, so a recursive type meets its own `$ref`.
        self.definitions.insert(definition.clone(), Value::Null);
        let schema = self.schema(schema);
        self.definitions.insert(definition.clone(), schema);
        reference(&definition)
    }

    fn object(&mut self, object: &ObjectSchema) -> Value {
        let Some((mut keywords, layouts)) = object_layout(object) else {
            // A hand-written layout's mistake: any object, named in the plan's description.
            return self.undescribed(object.layout);
        };
        let mut properties = Map::new();
        let mut required = Vec::new();
        for (layout, schema) in layouts.into_iter().zip(object.properties) {
            let FieldSchema {
                mut schema,
                required: must_send,
            } = self.property(schema());
            if let Value::Object(map) = &mut schema {
                for (keyword, value) in layout.keywords {
                    apply_constraint(map, keyword, value);
                }
            }
            if must_send && !layout.optional {
                required.push(json!(layout.name));
            }
            properties.insert(layout.name, schema);
        }
        keywords.insert("type".to_owned(), json!("object"));
        keywords.insert("properties".to_owned(), Value::Object(properties));
        if !required.is_empty() {
            keywords.insert("required".to_owned(), Value::Array(required));
        }
        Value::Object(keywords)
    }

    /// JSON object text written at compile time. Text that is not an object is exported as `{}`
    /// and named in the plan's description: a hand-written schema's mistake never panics.
    fn json_text(&mut self, text: &'static str) -> Value {
        if text.is_empty() {
            return json!({});
        }
        match serde_json::from_str::<Value>(text) {
            Ok(value @ Value::Object(_)) => value,
            _ => self.undescribed(text),
        }
    }

    /// `{}` for a type that cannot describe itself, remembered so the plan can say so.
    fn undescribed(&mut self, type_name: &'static str) -> Value {
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

/// One property of an [`ObjectSchema`]'s layout.
struct PropertyLayout {
    name: String,
    keywords: Map<String, Value>,
    optional: bool,
}

/// An object's own keywords and its properties' layouts, or `None` when the layout is not the
/// documented JSON or does not list one property per schema.
fn object_layout(object: &ObjectSchema) -> Option<(Map<String, Value>, Vec<PropertyLayout>)> {
    let Ok(Value::Object(mut keywords)) = serde_json::from_str(object.layout) else {
        return None;
    };
    let layouts = match keywords.remove("properties") {
        None => Vec::new(),
        Some(Value::Array(properties)) => properties
            .into_iter()
            .map(property_layout)
            .collect::<Option<Vec<_>>>()?,
        Some(_) => return None,
    };
    (layouts.len() == object.properties.len()).then_some((keywords, layouts))
}

fn property_layout(property: Value) -> Option<PropertyLayout> {
    let Value::Object(mut property) = property else {
        return None;
    };
    let Some(Value::String(name)) = property.remove("name") else {
        return None;
    };
    let keywords = match property.remove("schema") {
        None => Map::new(),
        Some(Value::Object(keywords)) => keywords,
        Some(_) => return None,
    };
    let optional = match property.remove("optional") {
        None => false,
        Some(Value::Bool(optional)) => optional,
        Some(_) => return None,
    };
    property.is_empty().then_some(PropertyLayout {
        name,
        keywords,
        optional,
    })
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

// ---- Describe for the value types ----

macro_rules! describe_as {
    ($schema:literal: $($ty:ty),* $(,)?) => {$(
        impl Describe for $ty {
            const SCHEMA: Schema = Schema::Json($schema);
        }
    )*};
}

describe_as!(r#"{"type":"boolean"}"#: bool);
describe_as!(r#"{"type":"integer"}"#: i8, i16, i32, i64, isize);
describe_as!(r#"{"type":"integer","minimum":0}"#: u8, u16, u32, u64, usize);
describe_as!(r#"{"type":"number"}"#: f32, f64);
describe_as!(r#"{"type":"string"}"#: str, String, Cow<'_, str>);
describe_as!("{}": serde_json::Value);
describe_as!(r#"{"type":"object"}"#: serde_json::Map<String, Value>);

impl<T: Describe + ?Sized> Describe for &T {
    const SCHEMA: Schema = T::SCHEMA;
    const PROPERTY: PropertySchema = T::PROPERTY;
}

impl<T: Describe + ?Sized> Describe for Box<T> {
    const SCHEMA: Schema = T::SCHEMA;
    const PROPERTY: PropertySchema = T::PROPERTY;
}

impl<T: Describe> Describe for Option<T> {
    /// Inside a sequence or map, `None` is sent as `null`.
    const SCHEMA: Schema = Schema::OrNull(&T::SCHEMA);
    /// As a field, `None` leaves the key out: not required, never `null`.
    const PROPERTY: PropertySchema = PropertySchema {
        schema: &T::SCHEMA,
        required: false,
    };
}

impl<T: Describe> Describe for Nullable<T> {
    const SCHEMA: Schema = Schema::OrNull(&T::SCHEMA);
    /// Absent, `null` or a value.
    const PROPERTY: PropertySchema = PropertySchema {
        schema: &Schema::OrNull(&T::SCHEMA),
        required: false,
    };
}

impl<T: Describe> Describe for [T] {
    const SCHEMA: Schema = Schema::Array {
        items: &T::SCHEMA,
        len: None,
    };
}

impl<T: Describe> Describe for Vec<T> {
    const SCHEMA: Schema = Schema::Array {
        items: &T::SCHEMA,
        len: None,
    };
}

impl<T: Describe, const N: usize> Describe for [T; N] {
    /// Always exactly `N` items.
    const SCHEMA: Schema = Schema::Array {
        items: &T::SCHEMA,
        len: Some(N),
    };
}

impl<K: AsRef<str>, V: Describe> Describe for BTreeMap<K, V> {
    const SCHEMA: Schema = Schema::Map(&V::SCHEMA);
}

impl<K: AsRef<str>, V: Describe, H> Describe for HashMap<K, V, H> {
    const SCHEMA: Schema = Schema::Map(&V::SCHEMA);
}

#[cfg(feature = "time")]
describe_as!(r#"{"type":"string","format":"date-time"}"#: time::OffsetDateTime, time::UtcDateTime);

#[cfg(feature = "chrono")]
impl<Tz: chrono::TimeZone> Describe for chrono::DateTime<Tz> {
    const SCHEMA: Schema = Schema::Json(r#"{"type":"string","format":"date-time"}"#);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `#[derive(Properties)]` writes for `struct Address { city: String, zip: Option<u32> }`.
    struct Address;

    impl Describe for Address {
        const SCHEMA: Schema = Schema::Named {
            name: "Address",
            type_name: std::any::type_name::<Self>,
            schema: &Schema::Object(&ObjectSchema {
                layout: r#"{"description":"Where it goes.","properties":[{"name":"city"},
                    {"name":"zip","schema":{"description":"Postal code.","minimum":1000}}]}"#,
                properties: &[property::<String>, property::<Option<u32>>],
            }),
        };
    }

    /// A recursive named type: `struct Category { children: Vec<Category> }`.
    struct Category;

    impl Describe for Category {
        const SCHEMA: Schema = Schema::Named {
            name: "Category",
            type_name: std::any::type_name::<Self>,
            schema: &Schema::Object(&ObjectSchema {
                layout: r#"{"properties":[{"name":"children"}]}"#,
                properties: &[property::<Vec<Category>>],
            }),
        };
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
        let optional = s.property(property::<Option<f64>>());
        assert_eq!(
            (optional.schema, optional.required),
            (json!({"type": "number"}), false)
        );
        let nullable = s.property(property::<Nullable<bool>>());
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
            const SCHEMA: Schema = Schema::Object(&ObjectSchema {
                layout: r#"{"x-consent":["Analytics"],"properties":[{"name":"to"}]}"#,
                properties: &[property::<Address>],
            });
        }
        let described = SchemaGenerator::payload::<Once>();
        assert!(described.definitions.is_empty(), "{described:#?}");
        assert_eq!(
            described.schema,
            json!({"type": "object", "required": ["to"], "x-consent": ["Analytics"], "properties": {"to": {
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
            const SCHEMA: Schema = Schema::Object(&ObjectSchema {
                layout: r#"{"properties":[{"name":"billing"},{"name":"shipping"},{"name":"tree"}]}"#,
                properties: &[
                    property::<Address>,
                    property::<Option<Box<Address>>>,
                    property::<Category>,
                ],
            });
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
        assert_eq!(described.schema["required"], json!(["billing", "tree"]));
        assert_eq!(
            described.definitions["Category"]["properties"]["children"]["items"],
            json!({"$ref": "#/$defs/Category"})
        );
        // A named type as the payload itself is described in place.
        let address = SchemaGenerator::payload::<Address>();
        assert_eq!(
            address.schema["properties"]["city"],
            json!({"type": "string"})
        );
    }

    #[test]
    fn null_joins_types_and_enums_and_wraps_references() {
        let mut s = SchemaGenerator::new();
        let morty = Schema::StringValues {
            values: &["a"],
            description: None,
        };
        assert_eq!(
            nullable(s.schema(&morty)),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        assert_eq!(
            nullable(json!({"$ref": "#/$defs/A"})),
            json!({"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]})
        );
        assert_eq!(nullable(json!({})), json!({}));
    }

    #[test]
    fn field_types_use_their_schema_when_they_have_one() {
        #[allow(unused_imports)]
        use AnyValue as _;
        struct Blob;
        let mut s = SchemaGenerator::new();
        let optional = s.property(FieldType::<Option<Vec<u8>>>::PROPERTY());
        assert_eq!(
            (optional.schema, optional.required),
            (
                json!({"type": "array", "items": {"type": "integer", "minimum": 0}}),
                false
            )
        );
        let blob = s.property(FieldType::<Blob>::PROPERTY());
        assert_eq!((blob.schema, blob.required), (json!({}), true));
        let described = s.finish(json!({}));
        assert_eq!(described.undescribed.len(), 1);
        assert!(described.undescribed[0].ends_with("Blob"), "{described:?}");
    }

    #[test]
    fn constraints_never_loosen_an_unsigned_minimum() {
        struct Bounded;
        impl Describe for Bounded {
            const SCHEMA: Schema = Schema::Object(&ObjectSchema {
                layout: r#"{"properties":[{"name":"n","schema":{"minimum":-5,"maximum":9}}]}"#,
                properties: &[property::<u32>],
            });
        }
        assert_eq!(
            SchemaGenerator::payload::<Bounded>().schema["properties"]["n"],
            json!({"type": "integer", "minimum": 0, "maximum": 9})
        );
    }

    #[test]
    fn an_optional_layout_entry_is_never_required() {
        struct Loose;
        impl Describe for Loose {
            const SCHEMA: Schema = Schema::Object(&ObjectSchema {
                layout: r#"{"properties":[{"name":"a","optional":true},{"name":"b"}]}"#,
                properties: &[property::<String>, property::<String>],
            });
        }
        assert_eq!(
            SchemaGenerator::payload::<Loose>().schema["required"],
            json!(["b"])
        );
    }

    #[test]
    fn a_layout_that_does_not_match_its_properties_is_any_value_and_named() {
        struct Short;
        impl Describe for Short {
            const SCHEMA: Schema = Schema::Object(&ObjectSchema {
                layout: r#"{"properties":[{"name":"a"}]}"#,
                properties: &[property::<String>, property::<String>],
            });
        }
        struct Misspelt;
        impl Describe for Misspelt {
            const SCHEMA: Schema = Schema::Object(&ObjectSchema {
                layout: r#"{"properties":[{"nmae":"a"}]}"#,
                properties: &[property::<String>],
            });
        }
        for described in [
            SchemaGenerator::payload::<Short>(),
            SchemaGenerator::payload::<Misspelt>(),
        ] {
            assert_eq!(described.schema, json!({}));
            assert_eq!(described.undescribed.len(), 1, "{described:?}");
            assert!(described.undescribed[0].starts_with(r#"{"properties""#));
        }
    }

    #[test]
    fn a_custom_schema_is_built_by_its_function_with_the_same_generator() {
        struct Tagged;
        impl Describe for Tagged {
            const SCHEMA: Schema = Schema::Custom(
                |schemas| json!({"type": "object", "additionalProperties": schemas.subschema::<Address>()}),
            );
        }
        struct Twice;
        impl Describe for Twice {
            const SCHEMA: Schema = Schema::Object(&ObjectSchema {
                layout: r#"{"properties":[{"name":"a"},{"name":"b"}]}"#,
                properties: &[property::<Tagged>, property::<Address>],
            });
        }
        let described = SchemaGenerator::payload::<Twice>();
        // The custom schema's `Address` is the one shared definition both properties refer to.
        assert_eq!(
            described.schema["properties"]["a"]["additionalProperties"],
            json!({"$ref": "#/$defs/Address"})
        );
        assert_eq!(
            described.schema["properties"]["b"],
            json!({"$ref": "#/$defs/Address"})
        );
        assert_eq!(described.definitions.len(), 1);
    }

    #[test]
    fn schema_text_that_is_not_an_object_is_any_value_and_named() {
        struct Broken;
        impl Describe for Broken {
            const SCHEMA: Schema = Schema::Json(r#"{"type": "#);
        }
        let described = SchemaGenerator::payload::<Broken>();
        assert_eq!(described.schema, json!({}));
        assert_eq!(described.undescribed, [r#"{"type": "#]);
    }
}
