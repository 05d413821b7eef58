//! The typed intermediate representation between a plan's JSON Schemas and Rust tokens.
//!
//! Every decision about the Rust shape of a schema is made while lowering into these types;
//! emitting them is mechanical.

use serde_json::Value;

use trackplan_plan::pii::PiiMark;
use trackplan_plan::Call;

/// All the Rust items one plan becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeSpace {
    /// The plan's name as sent in `context.trackplan`.
    pub plan_name: String,
    /// Items in emission order: each rule's root struct, then the types it needs.
    pub items: Vec<TypeDef>,
}

/// One generated type.
// Built once per plan and walked once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum TypeDef {
    Struct(StructDef),
    Enum(EnumDef),
    Union(UnionDef),
}

impl TypeDef {
    pub fn name(&self) -> &str {
        match self {
            TypeDef::Struct(s) => &s.name,
            TypeDef::Enum(e) => &e.name,
            TypeDef::Union(u) => &u.name,
        }
    }
}

/// What makes a struct a payload: the rule it was generated from.
#[derive(Debug, Clone, PartialEq)]
pub struct RootInfo {
    pub call: Call,
    /// The wire name, byte-exact.
    pub wire_name: String,
    pub version: Option<u64>,
    /// The consent categories the rule's messages need (`x-consent`).
    pub consent: Vec<String>,
    /// JSON pointer of the payload in the plan file.
    pub pointer: String,
}

/// A struct: a rule's payload or a nested object with declared properties.
#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    pub name: String,
    pub description: Option<String>,
    /// Properties in the order the plan lists them (byte order of their names).
    pub fields: Vec<Field>,
    /// `additionalProperties: {schema}`: a flattened map of further properties.
    pub extra: Option<Extra>,
    /// `Some` for a rule's payload.
    pub root: Option<RootInfo>,
    /// `additionalProperties: false`: undeclared keys are refused when decoding.
    pub closed: bool,
    /// `dependencies` (property form) and `dependentRequired`: when the first property is
    /// present, each of the others must be (checked by `violations()`).
    pub dependent_required: Vec<(String, Vec<String>)>,
}

/// The map of additional properties a struct carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Extra {
    /// The Rust field name (normally `extra`).
    pub ident: String,
    pub value: Ty,
    /// `patternProperties`: the ECMA-262 patterns the keys match (empty for
    /// `additionalProperties`). A key matching none is a violation when the schema is closed.
    pub key_patterns: Vec<String>,
}

/// Required or optional, nullable or not: the four cases of the README's
/// *Plans* section (required, required nullable, optional, optional nullable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// `T`.
    Required,
    /// `Option<T>`; `None` is sent as `null`.
    RequiredNullable,
    /// `Option<T>`; `None` leaves the key out.
    Optional,
    /// `Nullable<T>`: absent, `null` or a value.
    OptionalNullable,
}

impl Presence {
    pub fn new(required: bool, nullable: bool) -> Self {
        match (required, nullable) {
            (true, false) => Presence::Required,
            (true, true) => Presence::RequiredNullable,
            (false, false) => Presence::Optional,
            (false, true) => Presence::OptionalNullable,
        }
    }
}

/// One property of a struct.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The Rust field name.
    pub ident: String,
    /// The property's wire name, byte-exact.
    pub wire: String,
    pub presence: Presence,
    pub ty: Ty,
    pub description: Option<String>,
    /// A one-value `enum` or `const`: always sent, not a struct field.
    pub constant: Option<Value>,
    /// JSON pointer of the property's schema in the plan file.
    pub pointer: String,
    /// `"x-pii"`: the property holds personal data.
    pub pii: Option<PiiMark>,
    /// Keywords of the property's schema that nothing checks, for its documentation.
    pub unenforced: Vec<String>,
}

/// A Rust type with the constraints its values must meet.
#[derive(Debug, Clone, PartialEq)]
pub struct Ty {
    pub kind: Kind,
    pub checks: Checks,
    /// For array items and map values: `null` allowed (`Option<T>`).
    pub nullable: bool,
}

impl Ty {
    pub fn plain(kind: Kind) -> Self {
        Ty {
            kind,
            checks: Checks::default(),
            nullable: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    String,
    Bool,
    Integer,
    Number,
    /// No `type`: any JSON value.
    Any,
    /// An object without declared properties.
    Map,
    /// `format: date-time`.
    DateTime,
    /// A generated struct, enum or union.
    Named(String),
    /// A generated type reached through a `$ref` cycle.
    Boxed(String),
    Array(Box<Ty>),
    /// An object of `additionalProperties` values only.
    MapOf(Box<Ty>),
}

/// Constraints a value's type cannot hold, checked by the generated `violations()`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checks {
    /// ECMA-262 regular expression, unanchored.
    pub pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    /// A non-string `enum`: the allowed values.
    pub allowed: Option<Vec<Value>>,
    /// A string `format` with a check ([`format_pattern`]); `date-time` is a type instead.
    pub format: Option<String>,
    pub multiple_of: Option<f64>,
    pub unique_items: bool,
    /// `items: [...]`: what each position of a tuple must hold.
    pub tuple: Option<Tuple>,
    /// `not: {enum: [...]}` or `not: {const: ...}`: values the property must not have.
    pub forbidden: Option<Vec<Value>>,
    /// A map's keys must each match one of these ECMA-262 patterns (`patternProperties` with
    /// `additionalProperties: false`).
    pub key_patterns: Option<Vec<String>>,
}

/// A tuple's positions (`items: [...]`), each holding any JSON value the position allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuple {
    pub positions: Vec<ValueCheck>,
    /// `additionalItems: false`: no items past the positions.
    pub closed: bool,
}

/// What one JSON value must be, checked on its JSON form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValueCheck {
    /// JSON Schema type names; empty: any type.
    pub types: Vec<String>,
    /// `enum` or `const`: the allowed values.
    pub allowed: Option<Vec<Value>>,
}

/// The string formats [`format_pattern`] checks, for the derive's `format = "..."` to accept.
pub const CHECKED_FORMATS: &[&str] = &["date", "time", "email", "uuid", "uri", "ipv4", "hostname"];

/// The ECMA-262 pattern `violations()` checks a string `format` with, for the formats plans
/// use; other formats are documented but not checked.
pub fn format_pattern(format: &str) -> Option<&'static str> {
    Some(match format {
        "date" => r"^\d{4}-\d{2}-\d{2}$",
        "time" => r"^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|z|[+-]\d{2}:\d{2})?$",
        "email" => r"^[^@\s]+@[^@\s]+$",
        "uuid" => r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        "uri" => r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$",
        "ipv4" => r"^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$",
        "hostname" => {
            r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
        }
        _ => return None,
    })
}

impl Checks {
    pub fn is_empty(&self) -> bool {
        *self == Checks::default()
    }
}

/// A string enum.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub name: String,
    pub description: Option<String>,
    /// (Rust variant, wire value) in the plan's order.
    pub variants: Vec<(String, String)>,
}

/// `type: [A, B]`, `anyOf` or `oneOf`: an untagged union, each variant written as its branch.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionDef {
    pub name: String,
    pub description: Option<String>,
    /// (Rust variant, type) per member type or branch.
    pub variants: Vec<(String, Ty)>,
    pub mode: UnionMode,
}

/// How a union's branches relate, which decides what `violations()` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnionMode {
    /// `type: [A, B]`: the JSON type picks the branch; the held value's checks are the verdict.
    Types,
    /// `anyOf`: the value must meet at least one branch.
    AnyOf,
    /// `oneOf`: the value must meet exactly one branch.
    OneOf,
}

#[cfg(test)]
mod tests {
    use super::{format_pattern, CHECKED_FORMATS};

    fn matches(format: &str, text: &str) -> bool {
        let pattern = format_pattern(format).unwrap();
        regress::Regex::new(pattern).unwrap().find(text).is_some()
    }

    #[test]
    fn every_checked_format_has_a_pattern() {
        for format in CHECKED_FORMATS {
            assert!(format_pattern(format).is_some(), "{format}");
        }
    }

    #[test]
    fn format_patterns_accept_and_reject() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("date", &["2026-01-31"], &["2026-1-31", "x2026-01-31"]),
            (
                "time",
                &["12:30:00", "12:30:00.5Z", "12:30:00+02:00"],
                &["12:30", "noon"],
            ),
            ("email", &["a@b.co"], &["a@", "a b@c", "@b"]),
            (
                "uuid",
                &["123e4567-e89b-12d3-a456-426614174000"],
                &["123e4567e89b12d3a456426614174000"],
            ),
            (
                "uri",
                &["https://x.y/z", "mailto:a@b"],
                &["/relative", "no scheme"],
            ),
            (
                "ipv4",
                &["127.0.0.1", "255.255.255.255"],
                &["256.0.0.1", "1.2.3"],
            ),
            (
                "hostname",
                &["api.segment.io", "localhost"],
                &["-bad.example", "a..b"],
            ),
        ];
        for (format, good, bad) in cases {
            for text in *good {
                assert!(matches(format, text), "{format} should accept {text}");
            }
            for text in *bad {
                assert!(!matches(format, text), "{format} should reject {text}");
            }
        }
        assert!(
            format_pattern("date-time").is_none(),
            "date-time is a type, not a check"
        );
        assert!(format_pattern("color").is_none());
    }
}
