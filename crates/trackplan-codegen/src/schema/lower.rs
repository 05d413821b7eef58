//! JSON Schema (the subset tracking plans use) to the typed IR.
//!
//! Each schema keyword maps as the README's JSON Schema table describes. Keywords with no
//! faithful Rust mapping (`allOf`, `anyOf`, `oneOf`, `not`, conditionals, remote `$ref`s...) are
//! errors naming the JSON pointer and the fix; every error of the plan is collected.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use trackplan_plan::schema::{self as json_schema, RefError};
use trackplan_plan::{pointer_push, Call, Plan, PlanError, Rule};

use super::ir::*;
use crate::names::{self, Namespace, Suffix};

/// Keywords we cannot map to Rust types, with what to write instead.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("allOf", "merge the schemas into one `properties` list"),
    (
        "anyOf",
        "use a `type` list such as [\"string\", \"integer\"] (a union), or split the property",
    ),
    (
        "oneOf",
        "use a `type` list such as [\"string\", \"integer\"] (a union), or split the property",
    ),
    (
        "not",
        "remove `not` and describe the allowed values with `enum` or `pattern`",
    ),
    (
        "if",
        "remove the conditional; split the event in two if its shape really varies",
    ),
    (
        "then",
        "remove the conditional; split the event in two if its shape really varies",
    ),
    (
        "else",
        "remove the conditional; split the event in two if its shape really varies",
    ),
    (
        "patternProperties",
        "declare the properties by name, or use `additionalProperties` with a schema",
    ),
    (
        "dependencies",
        "remove `dependencies`; make the properties required or optional",
    ),
    (
        "dependentSchemas",
        "remove `dependentSchemas`; make the properties required or optional",
    ),
    (
        "dependentRequired",
        "remove `dependentRequired`; make the properties required or optional",
    ),
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
}

impl Lowering1 {
    fn of(ty: Ty) -> Self {
        Lowering1 {
            ty,
            nullable: false,
            constant: None,
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
    fn error(&mut self, pointer: &str, message: String, hint: &str) {
        let what = match self.rule.call {
            Call::Track => format!("event `{}`", self.rule.name),
            call => format!("{} rule `{}`", call.as_str(), self.rule.name),
        };
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
        self.check_unsupported(schema, &ptr);
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

    fn check_unsupported(&mut self, schema: &Map<String, Value>, ptr: &str) {
        for (key, hint) in UNSUPPORTED {
            if schema.contains_key(*key) {
                self.error(
                    &pointer_push(ptr, key),
                    format!("`{key}` is not supported"),
                    hint,
                );
            }
        }
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
            fields.push(Field {
                ident: ident.clone(),
                wire: (*wire).to_owned(),
                presence: Presence::new(required.iter().any(|r| r == wire), lowered.nullable),
                ty: lowered.ty,
                description,
                constant: lowered.constant,
                pointer: field_ptr,
            });
        }
        let extra = match schema.get("additionalProperties") {
            Some(Value::Object(extra)) if !extra.is_empty() => {
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
                    value: unboxed(Ty {
                        nullable: value.nullable,
                        ..value.ty
                    }),
                })
            }
            Some(Value::Bool(false)) => None,
            _ if self.options.extra_properties => {
                let mut field_names = Namespace::with_reserved(idents.iter().map(String::as_str));
                let ident = field_names.claim("extra", Suffix::Underscore);
                Some(Extra {
                    ident,
                    value: Ty::plain(Kind::Any),
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
            closed: schema.get("additionalProperties") == Some(&Value::Bool(false)),
        }));
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
        self.check_unsupported(schema, ptr);
        if let Some(reference) = schema.get("$ref") {
            return self.lower_ref(reference, ptr);
        }
        if let Some(value) = schema.get("const") {
            return Lowering1 {
                ty: Ty::plain(kind_of_value(value)),
                nullable: false,
                constant: Some(value.clone()),
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
                    ty: Ty::plain(kind_of_value(&value)),
                    nullable: false,
                    constant: Some(value),
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
                    ty: self.string_enum(name, schema, wires),
                    nullable,
                    constant: None,
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
            [] if schema.contains_key("properties") => self.lower_kind("object", schema, ptr, name),
            [] if schema.contains_key("items") => self.lower_kind("array", schema, ptr, name),
            [] => Ty::plain(Kind::Any),
            [one] => self.lower_kind(one, schema, ptr, name),
            many => self.union(name, schema, ptr, many),
        };
        ty.checks.allowed = allowed;
        Lowering1 {
            ty,
            nullable,
            constant: None,
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
                Kind::Array(Box::new(match schema.get("items") {
                    Some(items @ (Value::Object(_) | Value::Bool(true))) => {
                        let item =
                            self.lower(items, &pointer_push(ptr, "items"), &format!("{name}Item"));
                        if let Some(constant) = item.constant {
                            // A constant item is just a value the array holds.
                            let mut ty = Ty::plain(kind_of_value(&constant));
                            ty.checks.allowed = Some(vec![constant]);
                            ty
                        } else {
                            unboxed(Ty {
                                nullable: item.nullable,
                                ..item.ty
                            })
                        }
                    }
                    // Tuples and absent `items` admit any values.
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
                Ty::plain(Kind::MapOf(Box::new(unboxed(Ty {
                    nullable: value.nullable,
                    ..value.ty
                }))))
            }
            _ => Ty::plain(Kind::Map),
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
        }));
        Ty::plain(Kind::Named(type_name))
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
