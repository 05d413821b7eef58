//! JSON Schema (the subset tracking plans use) to the typed IR.
//!
//! Each schema keyword maps as the README's JSON Schema table describes: `anyOf`/`oneOf` become
//! nullables or unions (as typify does), `allOf` one merged schema, `patternProperties` a map,
//! and constraints a type cannot hold become `violations()` checks. A keyword nothing enforces
//! is a warning, never silently dropped; what has no sound Rust type (a remote `$ref`, an
//! `allOf` whose branches contradict each other) is an error naming the JSON pointer and the
//! fix. Every error of the plan is collected.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use trackplan_plan::pii::{self, PiiMark};
use trackplan_plan::schema::{self as json_schema, RefError};
use trackplan_plan::{pointer_push, Call, Plan, PlanError, Rule};

use super::ir::*;
use crate::names::{self, Namespace, Suffix};

/// Keywords lowering reads: everything else in a schema is reported as not enforced.
const ENFORCED: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "items",
    "additionalItems",
    "enum",
    "const",
    "$ref",
    "definitions",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "format",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "dependencies",
    "dependentRequired",
];

/// Keywords that only annotate: nothing to enforce.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "$comment",
    "examples",
    "default",
    "$schema",
    "$id",
    "id",
    "readOnly",
    "writeOnly",
    "deprecated",
    "contentEncoding",
    "contentMediaType",
];

/// The result of lowering: the types, or every error; warnings either way.
pub struct Lowered {
    pub space: TypeSpace,
    pub errors: Vec<PlanError>,
    pub warnings: Vec<PlanError>,
}

/// Choices about the Rust shape that the plan does not make.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LowerOptions {
    /// Give every struct whose schema allows further properties (`additionalProperties` absent
    /// or `true`) a flattened `extra: BTreeMap<String, serde_json::Value>`, so they can be sent.
    pub extra_properties: bool,
}

/// Lower every rule of `plan` with default options. `plan_name` is what `plan_metadata()`
/// reports.
pub fn lower(plan: &Plan, plan_name: &str) -> Lowered {
    lower_with(plan, plan_name, LowerOptions::default())
}

/// Lower every rule of `plan`.
pub fn lower_with(plan: &Plan, plan_name: &str, options: LowerOptions) -> Lowered {
    let root_bases: Vec<String> = plan
        .rules
        .iter()
        .map(|r| names::type_name(&r.name, root_fallback(r.call)))
        .collect();
    let root_names = names::resolve(&root_bases, Suffix::Glued);
    let mut types = Namespace::with_reserved(root_names.iter().map(String::as_str));
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut shared = BTreeMap::new();
    for (rule, name) in plan.rules.iter().zip(root_names) {
        let mut lowering = Lowering {
            rule,
            types: &mut types,
            items: &mut items,
            errors: &mut errors,
            warnings: &mut warnings,
            refs: BTreeMap::new(),
            shared: &mut shared,
            preclaimed: None,
            options,
        };
        lowering.root(name);
    }
    let items = items.into_iter().flatten().collect();
    // Keywords beside `anyOf`/`oneOf` are lowered with every branch: report each once.
    let mut seen = std::collections::BTreeSet::new();
    warnings.retain(|w| seen.insert((w.pointer.clone(), w.message.clone())));
    Lowered {
        space: TypeSpace {
            plan_name: plan_name.to_owned(),
            items,
        },
        errors,
        warnings,
    }
}

fn root_fallback(call: Call) -> &'static str {
    match call {
        Call::Track => "Event",
        Call::Identify => "Identify",
        Call::Group => "Group",
        Call::Page => "Page",
        Call::Screen => "Screen",
    }
}

/// How a `$ref`'d definition stands in the type space.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // a handful per rule
enum RefState {
    /// Being lowered: a reference now is a cycle.
    /// Being lowered, as the type named here; the flag records a recursive reference to it.
    InProgress(String, bool),
    Done(Lowering1),
}

/// One schema, lowered.
#[derive(Debug, Clone)]
struct Lowering1 {
    ty: Ty,
    nullable: bool,
    constant: Option<Value>,
    /// Keywords of the schema nothing checks.
    unenforced: Vec<String>,
}

impl Lowering1 {
    fn of(ty: Ty) -> Self {
        Lowering1 {
            ty,
            nullable: false,
            constant: None,
            unenforced: Vec::new(),
        }
    }

    /// The lowered type as an array item, map value or union variant: nullability and a
    /// constant folded into the type.
    fn into_value_ty(self) -> Ty {
        match self.constant {
            Some(constant) => {
                let mut ty = Ty::plain(kind_of_value(&constant));
                ty.checks.allowed = Some(vec![constant]);
                ty.nullable = self.nullable;
                ty
            }
            None => Ty {
                nullable: self.nullable,
                ..self.ty
            },
        }
    }
}

struct Lowering<'a> {
    rule: &'a Rule,
    types: &'a mut Namespace,
    /// `None` is a slot reserved for a struct whose fields are still being lowered, so parents
    /// precede their children in the output.
    items: &'a mut Vec<Option<TypeDef>>,
    errors: &'a mut Vec<PlanError>,
    warnings: &'a mut Vec<PlanError>,
    refs: BTreeMap<String, RefState>,
    /// Definitions already lowered by earlier rules, by (name, schema text): rules that share a
    /// definition (the e-commerce `Product`) share its type.
    shared: &'a mut BTreeMap<(String, String), Lowering1>,
    /// The name claimed for the definition being lowered: the next type claimed takes it, so a
    /// recursive `$ref` can name the type before it exists.
    preclaimed: Option<String>,
    options: LowerOptions,
}

impl Lowering<'_> {
    /// The rule every error and warning names: `event `Order Completed``, `identify rule ``...
    fn rule_label(&self) -> String {
        match self.rule.call {
            Call::Track => format!("event `{}`", self.rule.name),
            call => format!("{} rule `{}`", call.as_str(), self.rule.name),
        }
    }

    fn error(&mut self, pointer: &str, message: String, hint: &str) {
        let what = self.rule_label();
        self.errors
            .push(PlanError::new(pointer, format!("{what}: {message}")).hint(hint));
    }

    fn root(&mut self, name: String) {
        let rule = self.rule;
        let ptr = rule.pointer.clone();
        let root = RootInfo {
            call: rule.call,
            wire_name: rule.name.clone(),
            version: rule.version,
            consent: rule.consent().into_iter().map(str::to_owned).collect(),
            pointer: ptr.clone(),
        };
        let Some(schema) = rule.payload.as_object() else {
            self.error(
                &ptr,
                "the payload schema must be a JSON object".into(),
                "write {\"type\": \"object\"}",
            );
            return;
        };
        let merged;
        let schema = if schema.contains_key("allOf") {
            match self.merge_all_of(schema, &ptr) {
                Some(m) => {
                    merged = m;
                    &merged
                }
                None => return,
            }
        } else {
            schema
        };
        self.warn_unenforced(schema, &ptr);
        for keyword in ["anyOf", "oneOf"] {
            if schema.contains_key(keyword) {
                self.error(
                    &pointer_push(&ptr, keyword),
                    format!("a payload is one struct, so `{keyword}` cannot choose between payload shapes"),
                    "split the rule into one event per shape, or move the alternatives into a property",
                );
            }
        }
        match schema_types(schema) {
            Ok(types) if types.iter().all(|t| t == "object" || t == "null") => {}
            Ok(types) => self.error(
                &pointer_push(&ptr, "type"),
                format!("the payload must be an object, not {}", types.join(" or ")),
                "set `\"type\": \"object\"`",
            ),
            Err(message) => self.error(
                &pointer_push(&ptr, "type"),
                message,
                "use JSON Schema type names",
            ),
        }
        self.lower_struct(schema, &ptr, name, rule.description.clone(), Some(root));
    }

    /// Warn of each keyword of `schema` that nothing enforces; returns their names.
    fn warn_unenforced(&mut self, schema: &Map<String, Value>, ptr: &str) -> Vec<String> {
        let mut names = Vec::new();
        for key in schema.keys() {
            let handled = ENFORCED.contains(&key.as_str()) || ANNOTATIONS.contains(&key.as_str());
            if !handled {
                self.unenforced(ptr, key, "nothing checks it");
                names.push(key.clone());
            }
        }
        if let Some(format) = schema.get("format").and_then(Value::as_str) {
            if format != "date-time" && format_pattern(format).is_none() {
                self.unenforced(
                    ptr,
                    "format",
                    &format!("`{format}` is documented, not checked"),
                );
                names.push("format".to_owned());
            }
        }
        names
    }

    fn unenforced(&mut self, ptr: &str, key: &str, why: &str) {
        let what = self.rule_label();
        self.warnings.push(PlanError::new(
            pointer_push(ptr, key),
            format!("{what}: `{key}` is not enforced by the generated type: {why}"),
        ));
    }

    /// A warning that the generated type accepts less than the schema at `ptr`.
    fn narrower(&mut self, ptr: &str, why: &str) {
        let what = self.rule_label();
        self.warnings.push(PlanError::new(
            ptr.to_owned(),
            format!("{what}: the generated type is narrower than the schema: {why}"),
        ));
    }

    /// Lower an object schema with declared properties into the struct `name`.
    fn lower_struct(
        &mut self,
        schema: &Map<String, Value>,
        ptr: &str,
        name: String,
        description: Option<String>,
        root: Option<RootInfo>,
    ) {
        let slot = self.items.len();
        self.items.push(None);
        let props_ptr = pointer_push(ptr, "properties");
        let empty = Map::new();
        let props = match schema.get("properties") {
            None => &empty,
            Some(Value::Object(props)) => props,
            Some(_) => {
                self.error(
                    &props_ptr,
                    "`properties` must be an object".into(),
                    "map each property name to its schema",
                );
                &empty
            }
        };
        let required = self.required_names(schema, ptr);
        let mut wires: Vec<&str> = props.keys().map(String::as_str).collect();
        for name in &required {
            if !props.contains_key(name.as_str()) {
                self.warnings.push(PlanError::new(
                    pointer_push(ptr, "required"),
                    format!("required property `{name}` is not declared; it becomes a required `serde_json::Value`"),
                ));
                wires.push(name);
            }
        }
        let bases: Vec<String> = wires
            .iter()
            .map(|w| names::field_name(w, "field"))
            .collect();
        let idents = names::resolve(&bases, Suffix::Underscore);
        let mut fields = Vec::new();
        for (wire, ident) in wires.iter().zip(&idents) {
            let field_ptr = pointer_push(&props_ptr, wire);
            let nested_name = format!("{name}{}", names::type_name(wire, "Field"));
            let lowered = match props.get(*wire) {
                Some(schema) => self.lower(schema, &field_ptr, &nested_name),
                None => Lowering1::of(Ty::plain(Kind::Any)),
            };
            let description = props
                .get(*wire)
                .and_then(|s| s.get("description"))
                .and_then(description_of);
            let pii = props
                .get(*wire)
                .and_then(|schema| self.pii_mark(schema, &field_ptr, &lowered.ty));
            fields.push(Field {
                ident: ident.clone(),
                wire: (*wire).to_owned(),
                presence: Presence::new(required.iter().any(|r| r == wire), lowered.nullable),
                ty: lowered.ty,
                description,
                constant: lowered.constant,
                pointer: field_ptr,
                pii,
                unenforced: lowered.unenforced,
            });
        }
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        let patterned = self.pattern_properties(schema, ptr, &name);
        let extra = match (patterned, schema.get("additionalProperties")) {
            (Some((value, key_patterns)), _) => {
                let mut field_names = Namespace::with_reserved(idents.iter().map(String::as_str));
                let ident = field_names.claim("extra", Suffix::Underscore);
                Some(Extra {
                    ident,
                    value,
                    key_patterns,
                })
            }
            (None, Some(Value::Object(extra))) if !extra.is_empty() => {
                let extra_ptr = pointer_push(ptr, "additionalProperties");
                let value = self.lower(
                    &Value::Object(extra.clone()),
                    &extra_ptr,
                    &format!("{name}Extra"),
                );
                let mut field_names = Namespace::with_reserved(idents.iter().map(String::as_str));
                let ident = field_names.claim("extra", Suffix::Underscore);
                Some(Extra {
                    ident,
                    value: unboxed(value.into_value_ty()),
                    key_patterns: Vec::new(),
                })
            }
            (None, Some(Value::Bool(false))) => None,
            _ if self.options.extra_properties => {
                let mut field_names = Namespace::with_reserved(idents.iter().map(String::as_str));
                let ident = field_names.claim("extra", Suffix::Underscore);
                Some(Extra {
                    ident,
                    value: Ty::plain(Kind::Any),
                    key_patterns: Vec::new(),
                })
            }
            _ => None,
        };
        self.items[slot] = Some(TypeDef::Struct(StructDef {
            name,
            description,
            fields,
            extra,
            root,
            closed,
            dependent_required: self.dependent_required(schema, ptr),
        }));
    }

    /// The property's `"x-pii"` mark. `"hash"` needs a string, as `#[property(pii = "hash")]`
    /// does: destinations match the hash of a normalised string.
    fn pii_mark(&mut self, schema: &Value, ptr: &str, ty: &Ty) -> Option<PiiMark> {
        let mark_ptr = pointer_push(ptr, pii::PII_KEY);
        match pii::mark(schema) {
            Ok(Some(PiiMark::Fixed("hash"))) if ty.kind != Kind::String => {
                self.error(
                    &mark_ptr,
                    format!("`\"{}\": \"hash\"` needs a string property", pii::PII_KEY),
                    "type the property as a string, or use `true` to follow the client's policy",
                );
                None
            }
            Ok(mark) => mark,
            Err(message) => {
                self.error(
                    &mark_ptr,
                    message,
                    "mark personal data with `\"x-pii\": true`",
                );
                None
            }
        }
    }

    fn required_names(&mut self, schema: &Map<String, Value>, ptr: &str) -> Vec<String> {
        match schema.get("required") {
            None => Vec::new(),
            Some(Value::Array(names)) => {
                let mut out = Vec::new();
                for (i, name) in names.iter().enumerate() {
                    match name.as_str() {
                        Some(name) if !out.iter().any(|n| n == name) => out.push(name.to_owned()),
                        Some(_) => {}
                        None => self.error(
                            &pointer_push(&pointer_push(ptr, "required"), &i.to_string()),
                            "`required` lists a non-string".into(),
                            "list property names",
                        ),
                    }
                }
                out
            }
            Some(_) => {
                self.error(
                    &pointer_push(ptr, "required"),
                    "`required` must be an array".into(),
                    "list property names",
                );
                Vec::new()
            }
        }
    }

    /// Lower any schema; `name` is the type name nested types take.
    fn lower(&mut self, schema: &Value, ptr: &str, name: &str) -> Lowering1 {
        let schema = match schema {
            Value::Bool(true) => return Lowering1::of(Ty::plain(Kind::Any)),
            Value::Object(map) => map,
            _ => {
                self.error(
                    ptr,
                    "a property schema must be a JSON object".into(),
                    "write `{}` to accept any value",
                );
                return Lowering1::of(Ty::plain(Kind::Any));
            }
        };
        if let Some(reference) = schema.get("$ref") {
            return self.lower_ref(reference, ptr);
        }
        // The merged schema holds this one's keywords: they are reported when it is lowered.
        if schema.contains_key("allOf") {
            return match self.merge_all_of(schema, ptr) {
                Some(merged) => self.lower(&Value::Object(merged), ptr, name),
                None => Lowering1::of(Ty::plain(Kind::Any)),
            };
        }
        let unenforced = self.warn_unenforced(schema, ptr);
        for keyword in ["anyOf", "oneOf"] {
            if schema.contains_key(keyword) {
                return self.lower_alternatives(keyword, schema, ptr, name);
            }
        }
        let mut lowered = self.lower_plain(schema, ptr, name);
        lowered.unenforced = unenforced;
        lowered.ty.checks.forbidden = self.forbidden(schema, ptr);
        lowered
    }

    /// Lower a schema without `$ref` or combinators.
    fn lower_plain(&mut self, schema: &Map<String, Value>, ptr: &str, name: &str) -> Lowering1 {
        if let Some(value) = schema.get("const") {
            return Lowering1 {
                constant: Some(value.clone()),
                ..Lowering1::of(Ty::plain(kind_of_value(value)))
            };
        }
        let types = match schema_types(schema) {
            Ok(types) => types,
            Err(message) => {
                self.error(
                    &pointer_push(ptr, "type"),
                    message,
                    "use string, integer, number, boolean, object, array or null",
                );
                return Lowering1::of(Ty::plain(Kind::Any));
            }
        };
        let mut nullable = types.iter().any(|t| t == "null");
        let mut concrete: Vec<&str> = types
            .iter()
            .map(String::as_str)
            .filter(|t| *t != "null")
            .collect();
        let mut allowed = None;
        if let Some(values) = schema.get("enum") {
            let Some(values) = values.as_array().filter(|v| !v.is_empty()) else {
                self.error(
                    &pointer_push(ptr, "enum"),
                    "`enum` must be a non-empty array".into(),
                    "list the allowed values",
                );
                return Lowering1::of(Ty::plain(Kind::Any));
            };
            if values.len() == 1 {
                let value = values[0].clone();
                return Lowering1 {
                    constant: Some(value.clone()),
                    ..Lowering1::of(Ty::plain(kind_of_value(&value)))
                };
            }
            nullable |= values.iter().any(Value::is_null);
            let non_null: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
            if non_null.iter().all(|v| v.is_string()) && concrete.iter().all(|t| *t == "string") {
                let wires: Vec<String> = non_null
                    .iter()
                    .filter_map(|v| v.as_str())
                    .map(str::to_owned)
                    .collect();
                return Lowering1 {
                    nullable,
                    ..Lowering1::of(self.string_enum(name, schema, wires))
                };
            }
            if concrete.is_empty() {
                let mut kinds: Vec<&str> = non_null.iter().map(|v| json_type_name(v)).collect();
                kinds.dedup();
                concrete = kinds;
            }
            allowed = Some(non_null.into_iter().cloned().collect());
        }
        let mut ty = match concrete.as_slice() {
            [] if schema.contains_key("properties") || schema.contains_key("patternProperties") => {
                self.lower_kind("object", schema, ptr, name)
            }
            [] if schema.contains_key("items") => self.lower_kind("array", schema, ptr, name),
            [] => Ty::plain(Kind::Any),
            [one] => self.lower_kind(one, schema, ptr, name),
            many => self.union(name, schema, ptr, many),
        };
        ty.checks.allowed = allowed;
        Lowering1 {
            nullable,
            ..Lowering1::of(ty)
        }
    }

    fn lower_kind(&mut self, kind: &str, schema: &Map<String, Value>, ptr: &str, name: &str) -> Ty {
        let mut checks = Checks::default();
        let kind = match kind {
            "string" => {
                match schema.get("format").and_then(Value::as_str) {
                    // The type holds the format; length and pattern would check our own
                    // formatting of it.
                    Some("date-time") => Kind::DateTime,
                    format => {
                        self.string_checks(schema, ptr, &mut checks);
                        checks.format = format
                            .filter(|f| format_pattern(f).is_some())
                            .map(str::to_owned);
                        Kind::String
                    }
                }
            }
            "integer" => {
                number_checks(schema, &mut checks);
                Kind::Integer
            }
            "number" => {
                number_checks(schema, &mut checks);
                Kind::Number
            }
            "boolean" => Kind::Bool,
            "object" => return self.object(schema, ptr, name),
            "array" => {
                checks.min_items = schema.get("minItems").and_then(Value::as_u64);
                checks.max_items = schema.get("maxItems").and_then(Value::as_u64);
                checks.unique_items = schema.get("uniqueItems") == Some(&Value::Bool(true));
                Kind::Array(Box::new(match schema.get("items") {
                    Some(items @ (Value::Object(_) | Value::Bool(true))) => {
                        let item =
                            self.lower(items, &pointer_push(ptr, "items"), &format!("{name}Item"));
                        // A constant item is just a value the array holds.
                        unboxed(item.into_value_ty())
                    }
                    Some(Value::Array(positions)) => {
                        checks.tuple = Some(self.tuple(positions, schema, ptr));
                        Ty::plain(Kind::Any)
                    }
                    // Absent `items` admits any values.
                    _ => Ty::plain(Kind::Any),
                }))
            }
            other => {
                self.error(
                    &pointer_push(ptr, "type"),
                    format!("unknown type `{other}`"),
                    "use string, integer, number, boolean, object, array or null",
                );
                Kind::Any
            }
        };
        Ty {
            kind,
            checks,
            nullable: false,
        }
    }

    fn object(&mut self, schema: &Map<String, Value>, ptr: &str, name: &str) -> Ty {
        let has_props = schema
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty());
        if has_props {
            let type_name = self.claim(name);
            let description = schema.get("description").and_then(description_of);
            self.lower_struct(schema, ptr, type_name.clone(), description, None);
            return Ty::plain(Kind::Named(type_name));
        }
        match schema.get("additionalProperties") {
            Some(extra @ Value::Object(map)) if !map.is_empty() => {
                let value = self.lower(
                    extra,
                    &pointer_push(ptr, "additionalProperties"),
                    &format!("{name}Value"),
                );
                Ty::plain(Kind::MapOf(Box::new(unboxed(value.into_value_ty()))))
            }
            _ => match self.pattern_properties(schema, ptr, name) {
                Some((value, key_patterns)) => {
                    let mut ty = Ty::plain(Kind::MapOf(Box::new(value)));
                    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
                    ty.checks.key_patterns = closed.then_some(key_patterns);
                    ty
                }
                None => Ty::plain(Kind::Map),
            },
        }
    }

    fn string_checks(&mut self, schema: &Map<String, Value>, ptr: &str, checks: &mut Checks) {
        if let Some(pattern) = schema.get("pattern") {
            match pattern.as_str() {
                Some(p) => match regress::Regex::new(p) {
                    Ok(_) => checks.pattern = Some(p.to_owned()),
                    Err(e) => self.error(
                        &pointer_push(ptr, "pattern"),
                        format!("`{p}` is not an ECMA-262 regular expression: {e}"),
                        "fix the pattern; it is checked at run time with ECMA-262 syntax",
                    ),
                },
                None => self.error(
                    &pointer_push(ptr, "pattern"),
                    "`pattern` must be a string".into(),
                    "write the regular expression as a string",
                ),
            }
        }
        checks.min_length = schema.get("minLength").and_then(Value::as_u64);
        checks.max_length = schema.get("maxLength").and_then(Value::as_u64);
    }

    fn string_enum(&mut self, name: &str, schema: &Map<String, Value>, wires: Vec<String>) -> Ty {
        let type_name = self.claim(name);
        let bases: Vec<String> = wires.iter().map(|w| names::type_name(w, "Empty")).collect();
        let idents = names::resolve(&bases, Suffix::Glued);
        let mut seen = Vec::new();
        let variants = idents
            .into_iter()
            .zip(wires)
            .filter(|(_, wire)| {
                let fresh = !seen.contains(wire);
                seen.push(wire.clone());
                fresh
            })
            .collect();
        let description = schema.get("description").and_then(description_of);
        self.items.push(Some(TypeDef::Enum(EnumDef {
            name: type_name.clone(),
            description,
            variants,
        })));
        Ty::plain(Kind::Named(type_name))
    }

    fn union(&mut self, name: &str, schema: &Map<String, Value>, ptr: &str, kinds: &[&str]) -> Ty {
        let type_name = self.claim(name);
        let slot = self.items.len();
        self.items.push(None);
        let mut variants = Vec::new();
        for kind in kinds {
            let variant = match *kind {
                "string" => "String",
                "integer" => "Integer",
                "number" => "Number",
                "boolean" => "Boolean",
                "object" => "Object",
                "array" => "Array",
                _ => "Other",
            };
            let ty = self.lower_kind(kind, schema, ptr, &format!("{type_name}{variant}"));
            variants.push((variant.to_owned(), ty));
        }
        let description = schema.get("description").and_then(description_of);
        self.items[slot] = Some(TypeDef::Union(UnionDef {
            name: type_name.clone(),
            description,
            variants,
            mode: UnionMode::Types,
        }));
        Ty::plain(Kind::Named(type_name))
    }

    /// `anyOf`/`oneOf`: `null` branches make the rest nullable; one branch left is that
    /// branch's type, several an untagged union (as typify does). Keywords beside the
    /// combinator apply to every branch, so each branch is lowered merged with them.
    fn lower_alternatives(
        &mut self,
        keyword: &str,
        schema: &Map<String, Value>,
        ptr: &str,
        name: &str,
    ) -> Lowering1 {
        let list_ptr = pointer_push(ptr, keyword);
        let Some(branches) = schema
            .get(keyword)
            .and_then(Value::as_array)
            .filter(|b| !b.is_empty())
        else {
            self.error(
                &list_ptr,
                format!("`{keyword}` must be a non-empty array of schemas"),
                "list the alternatives, or remove the keyword",
            );
            return Lowering1::of(Ty::plain(Kind::Any));
        };
        let rest: Map<String, Value> = schema
            .iter()
            .filter(|(k, _)| *k != keyword && !ANNOTATIONS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let nullable = branches.iter().any(is_null_schema);
        let kept: Vec<(String, Value)> = branches
            .iter()
            .enumerate()
            .filter(|(_, b)| !is_null_schema(b))
            .map(|(i, branch)| {
                let branch_ptr = pointer_push(&list_ptr, &i.to_string());
                let branch = if rest.is_empty() {
                    branch.clone()
                } else {
                    serde_json::json!({ "allOf": [Value::Object(rest.clone()), branch] })
                };
                (branch_ptr, branch)
            })
            .collect();
        let mut lowered = match kept.as_slice() {
            [] => Lowering1::of(Ty::plain(Kind::Any)),
            [(branch_ptr, branch)] => self.lower(branch, branch_ptr, name),
            _ => {
                let mode = if keyword == "oneOf" {
                    UnionMode::OneOf
                } else {
                    UnionMode::AnyOf
                };
                let description = schema.get("description").and_then(description_of);
                Lowering1::of(self.alternatives_union(name, description, &kept, mode))
            }
        };
        lowered.nullable |= nullable;
        lowered
    }

    /// The union of `branches` (pointer, schema), one variant per branch named from the branch.
    fn alternatives_union(
        &mut self,
        name: &str,
        description: Option<String>,
        branches: &[(String, Value)],
        mode: UnionMode,
    ) -> Ty {
        let type_name = self.claim(name);
        let slot = self.items.len();
        self.items.push(None);
        let bases: Vec<String> = branches
            .iter()
            .map(|(_, branch)| self.variant_base(branch))
            .collect();
        let variant_names = names::resolve(&bases, Suffix::Glued);
        let mut variants = Vec::new();
        for ((branch_ptr, branch), variant) in branches.iter().zip(variant_names) {
            let lowered = self.lower(branch, branch_ptr, &format!("{type_name}{variant}"));
            variants.push((variant, lowered.into_value_ty()));
        }
        // Branches of distinct JSON types cannot both match: the held value's checks decide.
        let kinds: Vec<Option<&'static str>> =
            variants.iter().map(|(_, ty)| self.json_kind(ty)).collect();
        let disjoint = kinds
            .iter()
            .enumerate()
            .all(|(i, k)| k.is_some() && kinds[..i].iter().all(|other| other != k));
        self.items[slot] = Some(TypeDef::Union(UnionDef {
            name: type_name.clone(),
            description,
            variants,
            mode: if disjoint { UnionMode::Types } else { mode },
        }));
        Ty::plain(Kind::Named(type_name))
    }

    /// A branch's variant name: its `title`, its `$ref`'s definition, the value of a constant
    /// property (a discriminator such as `"kind": {"const": "card"}`), or its type.
    fn variant_base(&self, branch: &Value) -> String {
        // A branch merged with its siblings is `{"allOf": [siblings, branch]}`: name the branch.
        let branch = branch
            .get("allOf")
            .and_then(|all| all.get(1))
            .unwrap_or(branch);
        if let Some(title) = branch.get("title").and_then(Value::as_str) {
            return names::type_name(title, "Variant");
        }
        if let Some(reference) = branch.get("$ref") {
            if let Ok((def_name, _)) = json_schema::definition(reference, &self.rule.definitions) {
                return names::type_name(def_name, "Variant");
            }
        }
        let discriminator = branch
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .find_map(|(_, property)| {
                let value = property.get("const").or_else(|| {
                    property
                        .get("enum")
                        .and_then(Value::as_array)
                        .filter(|values| values.len() == 1)
                        .and_then(|values| values.first())
                })?;
                value.as_str().map(str::to_owned)
            });
        if let Some(value) = discriminator {
            return names::type_name(&value, "Variant");
        }
        let kind = match branch.get("type").and_then(Value::as_str) {
            Some("string") => "String",
            Some("integer") => "Integer",
            Some("number") => "Number",
            Some("boolean") => "Boolean",
            Some("array") => "Array",
            Some("object") => "Object",
            _ if branch.get("properties").is_some() => "Object",
            _ if branch.get("const").is_some() || branch.get("enum").is_some() => "Value",
            _ => "Variant",
        };
        kind.to_owned()
    }

    /// The JSON type a value of `ty` always has, when there is one.
    fn json_kind(&self, ty: &Ty) -> Option<&'static str> {
        if ty.nullable {
            return None;
        }
        match &ty.kind {
            Kind::String | Kind::DateTime => Some("string"),
            Kind::Bool => Some("boolean"),
            // Integers are numbers too: both count as one kind.
            Kind::Integer | Kind::Number => Some("number"),
            Kind::Array(_) => Some("array"),
            Kind::Map | Kind::MapOf(_) => Some("object"),
            Kind::Any => None,
            Kind::Named(name) | Kind::Boxed(name) => self
                .items
                .iter()
                .flatten()
                .find(|i| i.name() == name)
                .and_then(|item| match item {
                    TypeDef::Struct(_) => Some("object"),
                    TypeDef::Enum(_) => Some("string"),
                    TypeDef::Union(_) => None,
                }),
        }
    }

    /// `allOf` (with the keywords beside it) as one schema: properties and `required` united,
    /// `type`s intersected, `$ref` branches read from `definitions`. Contradicting keywords are
    /// an error naming both pointers; `None` after an error.
    fn merge_all_of(
        &mut self,
        schema: &Map<String, Value>,
        ptr: &str,
    ) -> Option<Map<String, Value>> {
        let list_ptr = pointer_push(ptr, "allOf");
        let Some(branches) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .filter(|b| !b.is_empty())
        else {
            self.error(
                &list_ptr,
                "`allOf` must be a non-empty array of schemas".into(),
                "list the schemas to combine, or remove the keyword",
            );
            return None;
        };
        let mut parts: Vec<(String, Map<String, Value>)> = Vec::new();
        let mut rest = schema.clone();
        rest.remove("allOf");
        parts.push((ptr.to_owned(), rest));
        for (i, branch) in branches.iter().enumerate() {
            let branch_ptr = pointer_push(&list_ptr, &i.to_string());
            let (branch_ptr, branch) = self.resolve_branch(branch, branch_ptr)?;
            let branch = if branch.contains_key("allOf") {
                self.merge_all_of(&branch, &branch_ptr)?
            } else {
                branch
            };
            parts.push((branch_ptr, branch));
        }
        self.check_closed_parts(&parts)?;
        let mut merged = Map::new();
        let mut origin: BTreeMap<String, String> = BTreeMap::new();
        let mut ok = true;
        for (part_ptr, part) in parts {
            for (key, value) in part {
                let here = pointer_push(&part_ptr, &key);
                match merge_keyword(&mut merged, &key, value) {
                    Ok(()) => {
                        origin.entry(key).or_insert(here);
                    }
                    Err(why) => {
                        let there = origin.get(&key).cloned().unwrap_or_default();
                        self.error(
                            &here,
                            format!(
                                "`allOf` branches contradict each other: {why} (see also {there})"
                            ),
                            "make the schemas agree, or merge them by hand",
                        );
                        ok = false;
                    }
                }
            }
        }
        ok.then_some(merged)
    }

    /// A schema of an `allOf` (its pointer and map), through `$ref`s.
    fn resolve_branch(
        &mut self,
        branch: &Value,
        ptr: String,
    ) -> Option<(String, Map<String, Value>)> {
        let Some(reference) = branch.get("$ref") else {
            return match branch {
                Value::Object(map) => Some((ptr, map.clone())),
                Value::Bool(true) => Some((ptr, Map::new())),
                _ => {
                    self.error(
                        &ptr,
                        "an `allOf` branch must be a schema object".into(),
                        "write the schema as an object",
                    );
                    None
                }
            };
        };
        let definitions = &self.rule.definitions;
        let found =
            json_schema::definition(reference, definitions).and_then(|(name, definition)| {
                json_schema::resolve(definition, definitions).map(|resolved| {
                    let name = resolved.definition.unwrap_or(name);
                    (name.to_owned(), resolved.schema.clone())
                })
            });
        match found {
            Ok((name, Value::Object(map))) => {
                Some((format!("{}#/definitions/{name}", self.rule.pointer), map))
            }
            Ok((name, _)) => {
                self.error(
                    &pointer_push(&ptr, "$ref"),
                    format!("definition `{name}` is not a schema object"),
                    "make the definition an object schema",
                );
                None
            }
            Err(error) => {
                self.error(
                    &pointer_push(&ptr, "$ref"),
                    error.to_string(),
                    "refer to a local definition as \"#/definitions/NAME\"",
                );
                None
            }
        }
    }

    /// In `allOf`, `additionalProperties: false` applies to its own branch's properties only: a
    /// property another branch adds could then never be sent, which no struct expresses.
    fn check_closed_parts(&mut self, parts: &[(String, Map<String, Value>)]) -> Option<()> {
        let declared = |part: &Map<String, Value>| -> Vec<String> {
            part.get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default()
        };
        for (closed_ptr, closed) in parts {
            if closed.get("additionalProperties") != Some(&Value::Bool(false)) {
                continue;
            }
            let own = declared(closed);
            for (other_ptr, other) in parts {
                if let Some(extra) = declared(other).into_iter().find(|p| !own.contains(p)) {
                    self.error(
                        &pointer_push(closed_ptr, "additionalProperties"),
                        format!("`additionalProperties: false` here forbids `{extra}`, which {other_ptr} declares, so no value has both"),
                        "remove `additionalProperties: false` from the `allOf` branch, or declare every property in it",
                    );
                    return None;
                }
            }
        }
        Some(())
    }

    /// `patternProperties` as a map's value type and its key patterns.
    fn pattern_properties(
        &mut self,
        schema: &Map<String, Value>,
        ptr: &str,
        name: &str,
    ) -> Option<(Ty, Vec<String>)> {
        let patterns = schema.get("patternProperties")?.as_object()?;
        let patterns_ptr = pointer_push(ptr, "patternProperties");
        if patterns.is_empty() {
            return None;
        }
        if matches!(schema.get("additionalProperties"), Some(Value::Object(extra)) if !extra.is_empty())
        {
            self.error(
                &patterns_ptr,
                "`patternProperties` beside an `additionalProperties` schema has no single map type".into(),
                "drop one of them, or make `additionalProperties` false",
            );
            return None;
        }
        let mut keys = Vec::new();
        let mut values: Vec<Ty> = Vec::new();
        for (pattern, value_schema) in patterns {
            if let Err(e) = regress::Regex::new(pattern) {
                self.error(
                    &pointer_push(&patterns_ptr, pattern),
                    format!("`{pattern}` is not an ECMA-262 regular expression: {e}"),
                    "fix the pattern; keys are checked with ECMA-262 syntax",
                );
                return None;
            }
            keys.push(pattern.clone());
            let lowered = self.lower(
                value_schema,
                &pointer_push(&patterns_ptr, pattern),
                &format!("{name}Value"),
            );
            values.push(unboxed(lowered.into_value_ty()));
        }
        // Patterns with different value schemas: their keys may overlap, so any value.
        let value = if values.windows(2).all(|w| w[0] == w[1]) {
            values.swap_remove(0)
        } else {
            self.unenforced(
                ptr,
                "patternProperties",
                "its patterns' value schemas differ, so values are `serde_json::Value`",
            );
            Ty::plain(Kind::Any)
        };
        // Unless the object is closed, a key outside the patterns may hold any value, while
        // the map gives every key the patterns' type: narrower than the schema, so said.
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        if !closed && value.kind != Kind::Any {
            self.narrower(
                &patterns_ptr,
                "keys outside its patterns may hold any value, but the map's values all take \
                 the patterns' type; add `additionalProperties: false` to make the type exact",
            );
        }
        Some((value, keys))
    }

    /// `items: [...]`: what each position holds, checked on the JSON form.
    fn tuple(&mut self, positions: &[Value], schema: &Map<String, Value>, ptr: &str) -> Tuple {
        let items_ptr = pointer_push(ptr, "items");
        let positions = positions
            .iter()
            .enumerate()
            .map(|(i, position)| {
                let position_ptr = pointer_push(&items_ptr, &i.to_string());
                let Some(position) = position.as_object() else {
                    return ValueCheck::default();
                };
                for key in position.keys() {
                    if !["type", "enum", "const"].contains(&key.as_str())
                        && !ANNOTATIONS.contains(&key.as_str())
                    {
                        self.unenforced(
                            &position_ptr,
                            key,
                            "tuple positions check `type`, `enum` and `const` only",
                        );
                    }
                }
                let types = schema_types(position).unwrap_or_default();
                let allowed = match (position.get("const"), position.get("enum")) {
                    (Some(value), _) => Some(vec![value.clone()]),
                    (None, Some(Value::Array(values))) => Some(values.clone()),
                    _ => None,
                };
                ValueCheck { types, allowed }
            })
            .collect();
        match schema.get("additionalItems") {
            Some(Value::Object(extra)) if !extra.is_empty() => {
                self.unenforced(
                    ptr,
                    "additionalItems",
                    "items past the tuple's positions are not checked",
                );
            }
            _ => {}
        }
        Tuple {
            positions,
            closed: schema.get("additionalItems") == Some(&Value::Bool(false)),
        }
    }

    /// `not: {enum: [...]}` / `not: {const: ...}`: the values a property must not have. Other
    /// `not` schemas are reported as unenforced.
    fn forbidden(&mut self, schema: &Map<String, Value>, ptr: &str) -> Option<Vec<Value>> {
        let not = schema.get("not")?;
        let values = match (not.get("const"), not.get("enum")) {
            (Some(value), None) if not.as_object().is_some_and(|n| n.len() == 1) => {
                vec![value.clone()]
            }
            (None, Some(Value::Array(values))) if not.as_object().is_some_and(|n| n.len() == 1) => {
                values.clone()
            }
            _ => {
                self.unenforced(
                    ptr,
                    "not",
                    "only `not: {\"enum\": [...]}` and `not: {\"const\": ...}` are checked",
                );
                return None;
            }
        };
        Some(values)
    }

    /// `dependencies` (property lists) and `dependentRequired`; schema dependencies are
    /// reported as unenforced.
    fn dependent_required(
        &mut self,
        schema: &Map<String, Value>,
        ptr: &str,
    ) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        for keyword in ["dependencies", "dependentRequired"] {
            let Some(map) = schema.get(keyword).and_then(Value::as_object) else {
                continue;
            };
            for (property, dependency) in map {
                match dependency.as_array() {
                    Some(names) => out.push((
                        property.clone(),
                        names
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect(),
                    )),
                    None => self.unenforced(
                        &pointer_push(ptr, keyword),
                        property,
                        "schema dependencies are not checked; list required properties instead",
                    ),
                }
            }
        }
        out
    }

    fn lower_ref(&mut self, reference: &Value, ptr: &str) -> Lowering1 {
        let ref_ptr = pointer_push(ptr, "$ref");
        let any = Lowering1::of(Ty::plain(Kind::Any));
        let rule = self.rule;
        let definitions = &rule.definitions;
        // A chain of plain `$ref`s must reach a schema: the shared resolver's hop limit and
        // cycle rule decide (recursion through properties is the lowering's own business).
        let found =
            json_schema::definition(reference, definitions).and_then(|(name, definition)| {
                json_schema::resolve(definition, definitions).map(|_| (name.to_owned(), definition))
            });
        let (def_name, definition) = match found {
            Ok(found) => found,
            Err(error) => {
                let hint = match error {
                    RefError::NotAString => "write \"#/definitions/NAME\"",
                    RefError::NotLocal(_) => "copy the schema into the plan's `definitions` and refer to it as \"#/definitions/NAME\"",
                    RefError::Missing(_) => "add it under `definitions` or fix the name",
                    RefError::Cycle(_) | RefError::TooLong => "make one of the definitions a schema rather than a `$ref`",
                };
                self.error(&ref_ptr, error.to_string(), hint);
                return any;
            }
        };
        match self.refs.get(&def_name) {
            Some(RefState::Done(lowered)) => return lowered.clone(),
            Some(RefState::InProgress(type_name, _)) => {
                let ty = Ty::plain(Kind::Boxed(type_name.clone()));
                self.refs
                    .insert(def_name, RefState::InProgress(type_name.clone(), true));
                return Lowering1::of(ty);
            }
            None => {}
        }
        let key = (def_name.clone(), definition.to_string());
        if let Some(lowered) = self.shared.get(&key) {
            return lowered.clone();
        }
        let def_ptr = format!("{}#/definitions/{def_name}", self.rule.pointer);
        let type_name = self
            .types
            .claim(&names::type_name(&def_name, "Definition"), Suffix::Glued);
        self.refs.insert(
            def_name.clone(),
            RefState::InProgress(type_name.clone(), false),
        );
        let outer = self.preclaimed.replace(type_name.clone());
        let mut lowered = self.lower(definition, &def_ptr, &type_name);
        self.preclaimed = outer;
        let recursive = matches!(
            self.refs.get(&def_name),
            Some(RefState::InProgress(_, true))
        );
        if recursive && lowered.ty.kind != Kind::Named(type_name.clone()) {
            self.error(
                &def_ptr,
                format!("definition `{def_name}` refers to itself other than through an object's properties"),
                "make the definition an object whose properties hold the recursive `$ref`",
            );
            lowered = any;
        }
        self.refs.insert(def_name, RefState::Done(lowered.clone()));
        self.shared.insert(key, lowered.clone());
        lowered
    }

    /// A fresh type name based on `name`, or the one reserved for the definition being lowered.
    fn claim(&mut self, name: &str) -> String {
        self.preclaimed
            .take()
            .unwrap_or_else(|| self.types.claim(name, Suffix::Glued))
    }
}

/// A recursive type inside a `Vec` or map needs no `Box`: the collection already adds the
/// indirection (clippy's `vec_box`).
fn unboxed(mut ty: Ty) -> Ty {
    if let Kind::Boxed(name) = &ty.kind {
        ty.kind = Kind::Named(name.clone());
    }
    ty
}

fn number_checks(schema: &Map<String, Value>, checks: &mut Checks) {
    let num = |key: &str| schema.get(key).and_then(Value::as_f64);
    checks.minimum = num("minimum");
    checks.maximum = num("maximum");
    checks.exclusive_minimum = num("exclusiveMinimum");
    checks.exclusive_maximum = num("exclusiveMaximum");
    checks.multiple_of = num("multipleOf").filter(|m| *m > 0.0);
    // Draft 04: boolean `exclusiveMinimum` makes `minimum` exclusive.
    if schema.get("exclusiveMinimum") == Some(&Value::Bool(true)) {
        checks.exclusive_minimum = checks.minimum.take();
    }
    if schema.get("exclusiveMaximum") == Some(&Value::Bool(true)) {
        checks.exclusive_maximum = checks.maximum.take();
    }
}

/// The `type` keyword as a list of names; empty when absent.
fn schema_types(schema: &Map<String, Value>) -> Result<Vec<String>, String> {
    const KNOWN: &[&str] = &[
        "string", "integer", "number", "boolean", "object", "array", "null",
    ];
    let names = match schema.get("type") {
        None => return Ok(Vec::new()),
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => {
            let mut names = Vec::new();
            for name in many {
                match name.as_str() {
                    Some(name) if !names.iter().any(|n| n == name) => names.push(name.to_owned()),
                    Some(_) => {}
                    None => return Err(format!("`type` lists a non-string: {name}")),
                }
            }
            names
        }
        Some(other) => {
            return Err(format!(
                "`type` must be a string or an array of strings, not {other}"
            ))
        }
    };
    match names.iter().find(|n| !KNOWN.contains(&n.as_str())) {
        Some(unknown) => Err(format!("unknown type `{unknown}`")),
        None => Ok(names),
    }
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn kind_of_value(value: &Value) -> Kind {
    match json_type_name(value) {
        "boolean" => Kind::Bool,
        "integer" => Kind::Integer,
        "number" => Kind::Number,
        "string" => Kind::String,
        _ => Kind::Any,
    }
}

fn description_of(value: &Value) -> Option<String> {
    value
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `{"type": "null"}`: a branch that only allows `null`.
fn is_null_schema(schema: &Value) -> bool {
    schema.as_object().is_some_and(|map| {
        map.get("type") == Some(&Value::String("null".into()))
            && map
                .keys()
                .all(|k| k == "type" || ANNOTATIONS.contains(&k.as_str()))
    })
}

/// Fold `value` for `key` into an `allOf`'s merged schema; `Err` says how they contradict.
fn merge_keyword(merged: &mut Map<String, Value>, key: &str, value: Value) -> Result<(), String> {
    let Some(existing) = merged.get_mut(key) else {
        merged.insert(key.to_owned(), value);
        return Ok(());
    };
    if *existing == value {
        return Ok(());
    }
    match key {
        // Annotations and definitions (read from the rule) keep the first.
        _ if ANNOTATIONS.contains(&key) || key == "definitions" => Ok(()),
        "properties" => {
            let (Some(existing), Value::Object(value)) = (existing.as_object_mut(), value) else {
                return Err("`properties` must be objects".into());
            };
            for (name, schema) in value {
                match existing.get_mut(&name) {
                    // The same property in two branches: it must meet both.
                    Some(first) if *first != schema => {
                        *first = serde_json::json!({ "allOf": [first.clone(), schema] });
                    }
                    Some(_) => {}
                    None => {
                        existing.insert(name, schema);
                    }
                }
            }
            Ok(())
        }
        "required" => {
            let (Some(existing), Value::Array(value)) = (existing.as_array_mut(), value) else {
                return Err("`required` must be arrays".into());
            };
            for name in value {
                if !existing.contains(&name) {
                    existing.push(name);
                }
            }
            Ok(())
        }
        "type" => {
            let as_list = |v: &Value| -> Vec<String> {
                match v {
                    Value::String(one) => vec![one.clone()],
                    Value::Array(many) => many
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                    _ => Vec::new(),
                }
            };
            let (a, b) = (as_list(existing), as_list(&value));
            let allows = |list: &[String], t: &str| {
                list.iter()
                    .any(|x| x == t || (t == "integer" && x == "number"))
            };
            let both: Vec<String> = a
                .iter()
                .chain(&b)
                .filter(|t| allows(&a, t) && allows(&b, t))
                .fold(Vec::new(), |mut out, t| {
                    if !out.contains(t) {
                        out.push(t.clone());
                    }
                    out
                });
            match both.as_slice() {
                [] => Err(format!(
                    "`type` {existing} and {value} have no type in common"
                )),
                [one] => {
                    *existing = Value::String(one.clone());
                    Ok(())
                }
                many => {
                    *existing = Value::Array(many.iter().cloned().map(Value::String).collect());
                    Ok(())
                }
            }
        }
        // Lower bounds: the larger holds; upper bounds: the smaller.
        "minimum" | "exclusiveMinimum" | "minLength" | "minItems" => {
            keep_bound(existing, &value, |a, b| a >= b)
        }
        "maximum" | "exclusiveMaximum" | "maxLength" | "maxItems" => {
            keep_bound(existing, &value, |a, b| a <= b)
        }
        _ => Err(format!(
            "`{key}` is {existing} in one and {value} in the other"
        )),
    }
}

/// Keep whichever of two numeric bounds `tighter(a, b)` prefers.
fn keep_bound(
    existing: &mut Value,
    value: &Value,
    tighter: fn(f64, f64) -> bool,
) -> Result<(), String> {
    match (existing.as_f64(), value.as_f64()) {
        (Some(a), Some(b)) => {
            if !tighter(a, b) {
                *existing = value.clone();
            }
            Ok(())
        }
        _ => Err(format!(
            "bounds {existing} and {value} are not both numbers"
        )),
    }
}
