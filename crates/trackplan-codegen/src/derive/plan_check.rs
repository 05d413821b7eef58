//! `#[event(plan = "...")]` / `#[traits(plan = "...")]`: a hand-written derive checked against a
//! tracking plan at compile time. The derive collects the item's wire names and types into a
//! [`PlanCheckInput`]; [`check`] compares them with the plan's rule.
//!
//! What is checked, each a compile error on the field (or the item) naming the plan file and the
//! JSON pointer:
//! - the event (track) or the traits rule (identify/group) exists in the plan;
//! - every field is a property of the rule, unless the rule's `additionalProperties` is `true` or
//!   a schema (an absent `additionalProperties` counts as closed: a plan lists its properties);
//! - every required property has a field, and that field is not an `Option` unless the property
//!   is nullable;
//! - the field's type fits the property's JSON type, read from the type's syntax: strings,
//!   booleans, integers, floats, sequences (and their items), maps, `serde_json::Value` and
//!   date-times. Other named types (your `#[derive(Enum)]` and `#[derive(Properties)]` types)
//!   are opaque to the syntax; a plain `String` field fits a string enum.
//! - a named type standing for a string `enum` property (or its items) must be a
//!   `trackplan::StringEnum` (`#[derive(Enum)]` or a generated enum) whose every value the plan
//!   lists. The variants of a separate type are not visible to the event's derive, so this one is
//!   emitted as a `const` assertion that rustc evaluates, with the error on the field.
//! - `#[property(serde)]` fields are checked for presence only.
//! - a property the plan marks `"x-pii"` is a `#[property(pii)]` field, with the policy the plan
//!   fixes if it fixes one.
//! - the item's `consent = "..."` categories are exactly the rule's `x-consent`.

use proc_macro2::{Span, TokenStream};
use quote::{quote_spanned, ToTokens};
use serde_json::{Map, Value};

use trackplan_plan::conventions::closest_name;
use trackplan_plan::pii::{self, PiiMark};
use trackplan_plan::schema::{self, Resolved};
use trackplan_plan::{self as plan, pointer_push, Call, LoadOptions, Rule};

use super::ctxt::Ctxt;
use crate::plan_path::{plan_errors_to_syn, PlanPath};

/// What the derive knows about the item being checked.
pub struct PlanCheckInput<'a> {
    /// The `plan = "..."` literal: relative to `CARGO_MANIFEST_DIR`; diagnostics about the file
    /// point here.
    pub plan_path: &'a syn::LitStr,
    /// `Track` for `#[derive(Event)]`; `Identify` or `Group` for `#[derive(Traits)]`.
    pub call: Call,
    /// The event's wire name and the span of where it was given (track only).
    pub name: Option<(&'a str, Span)>,
    /// The item's fields, in declaration order.
    pub fields: Vec<PlanCheckField<'a>>,
    /// The item's identifier, for errors about the item as a whole (such as a missing required
    /// property).
    pub item_span: Span,
    /// The trackplan crate's path in generated code (`::trackplan` unless renamed).
    pub krate: &'a syn::Path,
    /// `version = N`: check against that version of the rule instead of the newest.
    pub version: Option<u64>,
    /// `consent = "..."` literals: must name exactly the rule's `x-consent` categories.
    pub consent: &'a [syn::LitStr],
}

/// One field of the item being checked.
pub struct PlanCheckField<'a> {
    /// The property's wire name after renames.
    pub wire_name: &'a str,
    /// The field's Rust type.
    pub ty: &'a syn::Type,
    /// Where errors about this field go.
    pub span: Span,
    /// `#[property(serde)]`: the type is opaque, only presence is checked.
    pub serde: bool,
    /// `#[property(pii)]` / `#[property(pii = "...")]`.
    pub pii: Option<PiiMark>,
}

/// A successful check: what the expansion adds.
pub struct PlanChecked {
    /// Tokens that make rustc rebuild the item when the plan file changes.
    pub tracker: TokenStream,
    /// The plan's name as `plan_metadata()` reports it (the plan's own, else the file stem), the
    /// same as a `plan!` type of that rule reports.
    pub plan_name: String,
    /// The rule's `version`, sent as `context.protocols.event_version`.
    pub event_version: Option<u64>,
}

/// Check the item against its plan, every problem going to `cx`. Returns what the expansion adds
/// (a rebuild tracker and the rule's identity for `plan_metadata()`) once the rule is found; the
/// expansion is used only if `cx` ends up without errors.
pub fn check(cx: &Ctxt, input: &PlanCheckInput<'_>) -> Option<PlanChecked> {
    check_item(cx, input)
        .map_err(|error| cx.syn_error(error))
        .ok()
}

/// [`check`]: a bad plan path, an unreadable plan or a missing rule ends the check (the `Err`);
/// problems with the fields go to `cx`, so all of them are reported.
fn check_item(cx: &Ctxt, input: &PlanCheckInput<'_>) -> Result<PlanChecked, syn::Error> {
    let lit = input.plan_path;
    let path = PlanPath::resolve(lit)?;
    let mut opts = LoadOptions::default().file_name(path.written.clone());
    if let Some(version) = input.version {
        let name = input.name.map_or("", |(name, _)| name);
        opts = opts.pin(input.call, name, version);
    }
    let plan = plan::load_with(&path.absolute, &opts).map_err(|e| plan_errors_to_syn(lit, &e))?;
    let file = &path.written;
    let rule = find_rule(&plan.rules, input, file)?;
    let mut enum_checks = TokenStream::new();
    let schema = rule.payload.as_object().cloned().unwrap_or_default();
    let empty = Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let props_ptr = pointer_push(&rule.pointer, "properties");
    let open = matches!(
        schema.get("additionalProperties"),
        Some(Value::Bool(true) | Value::Object(_))
    );
    for field in &input.fields {
        let Some(prop) = props.get(field.wire_name) else {
            if !open {
                let known: Vec<&str> = props.keys().map(String::as_str).collect();
                cx.error_at(
                    field.span,
                    format!(
                        "property `{}` is not in plan `{file}` at `{props_ptr}`; the plan knows {}",
                        field.wire_name,
                        list(&known)
                    ),
                );
            }
            continue;
        };
        let ptr = pointer_push(&props_ptr, field.wire_name);
        if let Some(message) = pii_mismatch(field, prop) {
            cx.error_at(
                field.span,
                format!(
                    "property `{}` is personal data in plan `{file}` at `{ptr}`: {message}",
                    field.wire_name
                ),
            );
        }
        let required = is_required(&schema, field.wire_name);
        if field.serde {
            continue;
        }
        let (ty, optional) = strip_option(field.ty);
        let expected = SchemaType::of(prop, &rule.definitions);
        if optional && required && !expected.nullable {
            cx.error_at(
                field.span,
                format!(
                    "property `{}` is required and not nullable in plan `{file}` at `{ptr}`, but the field is an `Option`; make it a plain field",
                    field.wire_name
                ),
            );
        }
        if let Err(message) = fits(ty, prop, &rule.definitions) {
            cx.error_at(
                field.span,
                format!(
                    "property `{}` in plan `{file}` at `{ptr}`: {message}",
                    field.wire_name
                ),
            );
        } else if let Some(planned) = planned_enum(ty, prop, &rule.definitions) {
            let at = format!("property `{}` in plan `{file}` at `{ptr}`", field.wire_name);
            enum_checks.extend(planned.assertion(input.krate, field.span, &at));
        }
    }
    for name in required_names(&schema) {
        if !input.fields.iter().any(|f| f.wire_name == name) {
            cx.error_at(
                input.item_span,
                format!(
                    "required property `{name}` of plan `{file}` at `{}` has no field; add one (renamed with `#[property(rename = \"{name}\")]` if needed)",
                    pointer_push(&props_ptr, &name)
                ),
            );
        }
    }
    check_consent(cx, input, rule, file);
    let mut tracker = path.rebuild_tracker(lit);
    tracker.extend(enum_checks);
    Ok(PlanChecked {
        tracker,
        plan_name: crate::generate::plan_name(&plan, file),
        event_version: rule.version,
    })
}

fn find_rule<'p>(
    rules: &'p [Rule],
    input: &PlanCheckInput<'_>,
    file: &str,
) -> Result<&'p Rule, syn::Error> {
    match (input.call, input.name) {
        (Call::Track, Some((name, span))) => rules
            .iter()
            .find(|r| r.call == Call::Track && r.name == name)
            .ok_or_else(|| {
                let tracks = rules.iter().filter(|r| r.call == Call::Track);
                let similar = closest_name(name, tracks.map(|r| r.name.as_str()))
                    .map(|planned| format!("; did you mean `{planned}`?"))
                    .unwrap_or_else(|| {
                        "; add it to the plan or fix `#[event(name = \"...\")]`".to_owned()
                    });
                syn::Error::new(
                    span,
                    format!("event `{name}` is not in plan `{file}`{similar}"),
                )
            }),
        (Call::Track, None) => Err(syn::Error::new(
            input.item_span,
            "a plan-checked event needs its name",
        )),
        (call, _) => rules.iter().find(|r| r.call == call).ok_or_else(|| {
            syn::Error::new(
                input.item_span,
                format!("plan `{file}` has no {} rule", call.as_str()),
            )
        }),
    }
}

/// What to change when the plan marks the property `"x-pii"` and the field does not say the
/// same. A field may be marked where the plan is not: keeping more private is always allowed.
fn pii_mismatch(field: &PlanCheckField<'_>, prop: &Value) -> Option<String> {
    // A malformed mark is codegen's error to report; here it counts as no mark.
    let planned = pii::mark(prop).ok().flatten()?;
    match (planned, field.pii) {
        (PiiMark::ClientPolicy, None) => {
            Some("mark the field `#[property(pii)]` so the client's PII policy applies".to_owned())
        }
        (PiiMark::Fixed(policy), marked) if marked != Some(planned) => Some(format!(
            "the plan fixes its policy (`\"{}\": \"{policy}\"`): mark the field `#[property(pii = \"{policy}\")]`",
            pii::PII_KEY
        )),
        _ => None,
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        return "no properties".to_owned();
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

fn required_names(schema: &Map<String, Value>) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn is_required(schema: &Map<String, Value>, name: &str) -> bool {
    required_names(schema).iter().any(|r| r == name)
}

/// The JSON types a schema admits, resolved through local `$ref`s.
#[derive(Debug, Default)]
struct SchemaType {
    types: Vec<String>,
    nullable: bool,
}

impl SchemaType {
    fn of(schema: &Value, definitions: &Map<String, Value>) -> Self {
        let schema = resolve(schema, definitions);
        let mut out = SchemaType::default();
        match schema.get("type") {
            Some(Value::String(t)) => out.types.push(t.clone()),
            Some(Value::Array(ts)) => out
                .types
                .extend(ts.iter().filter_map(Value::as_str).map(str::to_owned)),
            _ => {}
        }
        if let Some(Value::Array(values)) = schema.get("enum") {
            out.nullable |= values.iter().any(Value::is_null);
            let strings = values.iter().filter(|v| !v.is_null()).all(Value::is_string);
            if out.types.is_empty() && strings {
                out.types.push("string".to_owned());
            }
        }
        out.nullable |= out.types.iter().any(|t| t == "null");
        out.types.retain(|t| t != "null");
        if out.types.is_empty() && schema.get("properties").is_some() {
            out.types.push("object".to_owned());
        }
        out
    }
}

/// `schema` through its `$ref`s; one that leads nowhere admits anything, as codegen's lowering
/// (which reports it) would have the plan say.
fn resolve<'a>(schema: &'a Value, definitions: &'a Map<String, Value>) -> &'a Value {
    schema::resolve(schema, definitions)
        .unwrap_or(Resolved::unresolved(schema))
        .schema
}

/// `Option<T>` (and `trackplan::event::Nullable<T>`) → (`T`, true); anything else → (it, false).
fn strip_option(ty: &syn::Type) -> (&syn::Type, bool) {
    match single_generic(ty, &["Option", "Nullable"]) {
        Some(inner) => (inner, true),
        None => (ty, false),
    }
}

/// The generic argument of `Wrapper<T>` when `ty`'s last path segment is one of `wrappers`.
fn single_generic<'t>(ty: &'t syn::Type, wrappers: &[&str]) -> Option<&'t syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if !wrappers.iter().any(|w| last.ident == w) {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// What a Rust type sends, read from its syntax.
#[derive(Debug, PartialEq, Eq)]
enum RustJson {
    String,
    Boolean,
    Integer,
    Number,
    DateTime,
    Array(Option<Box<RustJson>>),
    Object,
    /// `serde_json::Value`: anything.
    Any,
    /// A type we cannot see into (the user's enums and structs).
    Opaque,
}

fn rust_json(ty: &syn::Type) -> RustJson {
    match ty {
        syn::Type::Reference(r) => return rust_json(&r.elem),
        syn::Type::Paren(p) => return rust_json(&p.elem),
        syn::Type::Group(g) => return rust_json(&g.elem),
        syn::Type::Slice(s) => return RustJson::Array(Some(Box::new(rust_json(&s.elem)))),
        syn::Type::Array(a) => return RustJson::Array(Some(Box::new(rust_json(&a.elem)))),
        _ => {}
    }
    let syn::Type::Path(path) = ty else {
        return RustJson::Opaque;
    };
    let Some(last) = path.path.segments.last() else {
        return RustJson::Opaque;
    };
    let name = last.ident.to_string();
    match name.as_str() {
        "String" | "str" | "Cow" => RustJson::String,
        "bool" => RustJson::Boolean,
        "i8" | "i16" | "i32" | "i64" | "isize" | "u8" | "u16" | "u32" | "u64" | "usize" => {
            RustJson::Integer
        }
        "f32" | "f64" => RustJson::Number,
        "OffsetDateTime" | "UtcDateTime" | "DateTime" => RustJson::DateTime,
        "Value" => RustJson::Any,
        "Map" | "HashMap" | "BTreeMap" => RustJson::Object,
        "Box" | "Rc" | "Arc" | "Option" | "Nullable" => {
            match single_generic(ty, &[name.as_str()]) {
                Some(inner) => rust_json(inner),
                None => RustJson::Opaque,
            }
        }
        "Vec" | "VecDeque" | "BTreeSet" | "HashSet" => RustJson::Array(
            single_generic(ty, &[name.as_str()]).map(|inner| Box::new(rust_json(inner))),
        ),
        _ => RustJson::Opaque,
    }
}

/// A named type standing for a string `enum` of the plan: its values must be among `planned`.
#[derive(Debug)]
struct PlannedEnum<'t> {
    ty: &'t syn::TypePath,
    planned: Vec<String>,
    /// Whether the enum is the property's array items rather than the property itself.
    of_items: bool,
}

impl PlannedEnum<'_> {
    /// A `const` that fails to evaluate, on the field, when the type has a value the plan does
    /// not list (and fails to type-check when the type is not a `StringEnum`).
    fn assertion(&self, krate: &syn::Path, span: Span, at: &str) -> TokenStream {
        let ty = self.ty;
        let planned = &self.planned;
        let shown = ty.to_token_stream().to_string().replace(' ', "");
        let items = if self.of_items { " (its items)" } else { "" };
        let before = format!("{at}{items}: `{shown}` can be sent as \"");
        const SHOWN: usize = 20;
        let mut allowed: Vec<String> = planned
            .iter()
            .take(SHOWN)
            .map(|v| format!("{v:?}"))
            .collect();
        if planned.len() > SHOWN {
            allowed.push(format!("and {} more", planned.len() - SHOWN));
        }
        let after = format!(
            "\", which the plan does not list; it allows {}",
            allowed.join(", ")
        );
        // Every token on the field, the crate path's too: rustc places the evaluation error on
        // the `#[track_caller]` call, whose span starts at that path.
        let private: TokenStream = crate::facade_path::private_path(krate)
            .to_token_stream()
            .into_iter()
            .map(|mut token| {
                token.set_span(span);
                token
            })
            .collect();
        quote_spanned! {span=>
            const _: () = if let #private::Some(__value) =
                #private::unplanned_enum_value::<#ty>(&[#(#planned),*])
            {
                #private::refuse_unplanned_enum_value(#before, __value, #after)
            };
        }
    }
}

/// The enum check a field needs: when `schema` (or its array items) is a string `enum` and the
/// field's type is a named type without generic arguments (the only kind a `const` outside the
/// item can name).
fn planned_enum<'t>(
    ty: &'t syn::Type,
    schema: &Value,
    definitions: &Map<String, Value>,
) -> Option<PlannedEnum<'t>> {
    let schema = resolve(schema, definitions);
    if let (Some(items), Some(item)) = (
        schema.get("items").filter(|items| items.is_object()),
        sequence_item(ty),
    ) {
        return planned_enum(item, items, definitions).map(|found| PlannedEnum {
            of_items: true,
            ..found
        });
    }
    let ty = see_through(ty);
    let values = schema.get("enum")?.as_array()?;
    let planned: Vec<String> = values
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<_>>()?;
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let plain = path.qself.is_none()
        && path
            .path
            .segments
            .iter()
            .all(|s| matches!(s.arguments, syn::PathArguments::None));
    (plain && !planned.is_empty() && rust_json(ty) == RustJson::Opaque).then_some(PlannedEnum {
        ty: path,
        planned,
        of_items: false,
    })
}

/// The item type of a sequence field (`Vec<T>`, `VecDeque`, sets, slices, arrays, behind
/// references or boxes), without its `Option`.
fn sequence_item(ty: &syn::Type) -> Option<&syn::Type> {
    let ty = see_through(ty);
    let item = match ty {
        syn::Type::Slice(s) => &*s.elem,
        syn::Type::Array(a) => &*a.elem,
        _ => single_generic(ty, &["Vec", "VecDeque", "BTreeSet", "HashSet"])?,
    };
    Some(strip_option(item).0)
}

/// `ty` without references, parentheses and `Box`/`Rc`/`Arc`.
fn see_through(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Reference(r) => see_through(&r.elem),
        syn::Type::Paren(p) => see_through(&p.elem),
        syn::Type::Group(g) => see_through(&g.elem),
        _ => match single_generic(ty, &["Box", "Rc", "Arc"]) {
            Some(inner) => see_through(inner),
            None => ty,
        },
    }
}

/// Whether a field of type `ty` can hold what `schema` describes.
fn fits(ty: &syn::Type, schema: &Value, definitions: &Map<String, Value>) -> Result<(), String> {
    let expected = SchemaType::of(schema, definitions);
    let actual = rust_json(ty);
    if expected.types.is_empty() || matches!(actual, RustJson::Any | RustJson::Opaque) {
        return Ok(());
    }
    let accepts = |t: &str| expected.types.iter().any(|e| e == t);
    let ok = match &actual {
        RustJson::String => accepts("string"),
        RustJson::DateTime => accepts("string"),
        RustJson::Boolean => accepts("boolean"),
        RustJson::Integer => accepts("integer") || accepts("number"),
        RustJson::Number => accepts("number"),
        RustJson::Object => accepts("object"),
        RustJson::Array(_) => accepts("array"),
        RustJson::Any | RustJson::Opaque => true,
    };
    let rust = quote::ToTokens::to_token_stream(ty)
        .to_string()
        .replace(' ', "");
    if !ok {
        let fix = match expected.types.first().map(String::as_str) {
            Some("string") => "String",
            Some("integer") => "i64",
            Some("number") => "f64",
            Some("boolean") => "bool",
            Some("array") => "Vec<_>",
            Some("object") => "a #[derive(Properties)] struct or serde_json::Map",
            _ => "serde_json::Value",
        };
        return Err(format!(
            "the plan says {}, but the field is `{rust}`; use {fix}",
            expected.types.join(" or ")
        ));
    }
    if let RustJson::Array(Some(_)) = actual {
        let resolved = resolve(schema, definitions);
        if let (Some(items), Some(item)) = (
            resolved.get("items").filter(|items| items.is_object()),
            sequence_item(ty),
        ) {
            return fits(item, items, definitions).map_err(|e| format!("items: {e}"));
        }
    }
    Ok(())
}

/// The item's `consent = "..."` must name the rule's `x-consent` categories, no more, no less:
/// the plan is where the privacy review happened.
fn check_consent(cx: &Ctxt, input: &PlanCheckInput<'_>, rule: &Rule, file: &str) {
    let planned = rule.consent();
    for category in &planned {
        if !input.consent.iter().any(|lit| lit.value() == *category) {
            cx.error_at(
                input.item_span,
                format!(
                    "plan `{file}` requires consent category `{category}` for this rule (its `x-consent`); add `consent = \"{category}\"`"
                ),
            );
        }
    }
    for lit in input.consent {
        if !planned.contains(&lit.value().as_str()) {
            cx.error_spanned_by(
                lit,
                format!(
                    "consent category `{}` is not in the rule's `x-consent` in plan `{file}` (it lists {}); add it to the plan or remove it here",
                    lit.value(),
                    if planned.is_empty() { "none".to_owned() } else { list(&planned) }
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ty(text: &str) -> syn::Type {
        syn::parse_str(text).unwrap()
    }

    #[test]
    fn types_fit_their_schemas() {
        let defs = Map::new();
        assert!(fits(&ty("String"), &json!({"type": "string"}), &defs).is_ok());
        assert!(fits(&ty("i64"), &json!({"type": "number"}), &defs).is_ok());
        assert!(fits(&ty("f64"), &json!({"type": "integer"}), &defs).is_err());
        assert!(fits(
            &ty("Vec<String>"),
            &json!({"type": "array", "items": {"type": "string"}}),
            &defs
        )
        .is_ok());
        let err = fits(
            &ty("Vec<bool>"),
            &json!({"type": "array", "items": {"type": "string"}}),
            &defs,
        )
        .unwrap_err();
        assert!(
            err.starts_with("items: the plan says string, but the field is `bool`"),
            "{err}"
        );
        // Slices and arrays, behind references too, have their items checked as `Vec`s do.
        for sequence in ["&[bool]", "[bool; 2]", "&Vec<Option<bool>>", "Box<[bool]>"] {
            let err = fits(
                &ty(sequence),
                &json!({"type": "array", "items": {"type": "string"}}),
                &defs,
            )
            .unwrap_err();
            assert!(err.starts_with("items: "), "{sequence}: {err}");
        }
        assert!(fits(
            &ty("MyEnum"),
            &json!({"type": "string", "enum": ["a", "b"]}),
            &defs
        )
        .is_ok());
        assert!(fits(&ty("serde_json::Value"), &json!({"type": "integer"}), &defs).is_ok());
        assert!(fits(
            &ty("&'static str"),
            &json!({"type": ["string", "null"]}),
            &defs
        )
        .is_ok());
        assert!(fits(
            &ty("time::OffsetDateTime"),
            &json!({"type": "string", "format": "date-time"}),
            &defs
        )
        .is_ok());
        let err = fits(&ty("String"), &json!({"type": "boolean"}), &defs).unwrap_err();
        assert_eq!(
            err,
            "the plan says boolean, but the field is `String`; use bool"
        );
    }

    #[test]
    fn named_types_for_string_enums_are_checked_through_options_boxes_and_arrays() {
        let defs: Map<String, Value> = [("tier".to_owned(), json!({"enum": ["free", "pro"]}))]
            .into_iter()
            .collect();
        let enum_schema = json!({"type": "string", "enum": ["a", "b", null]});
        let tier = ty("Tier");
        let found = planned_enum(&tier, &enum_schema, &defs).unwrap();
        assert_eq!(
            (found.planned.as_slice(), found.of_items),
            (&["a".to_owned(), "b".to_owned()][..], false)
        );
        assert!(planned_enum(&ty("Box<crate::Tier>"), &enum_schema, &defs).is_some());
        assert!(planned_enum(&ty("&'a Tier"), &enum_schema, &defs).is_some());
        let by_ref = planned_enum(&tier, &json!({"$ref": "#/definitions/tier"}), &defs).unwrap();
        assert_eq!(by_ref.planned, ["free", "pro"]);
        let items = json!({"type": "array", "items": {"$ref": "#/definitions/tier"}});
        for array in ["Vec<Tier>", "Vec<Option<Tier>>", "&[Tier]", "[Tier; 2]"] {
            let found = planned_enum(&ty(array), &items, &defs).map(|found| found.of_items);
            assert_eq!(found, Some(true), "{array}");
        }
        // Nothing to check: strings fit any string enum, generic types cannot be named from a
        // `const`, non-string enums and plain strings have no values to compare.
        assert!(planned_enum(&ty("String"), &enum_schema, &defs).is_none());
        assert!(planned_enum(&ty("Tier<'a>"), &enum_schema, &defs).is_none());
        assert!(planned_enum(&ty("Tier"), &json!({"enum": [1, 2]}), &defs).is_none());
        assert!(planned_enum(&ty("Tier"), &json!({"type": "string"}), &defs).is_none());
        assert!(planned_enum(&ty("Tier"), &json!({"enum": []}), &defs).is_none());
    }

    #[test]
    fn refs_are_followed() {
        let defs: Map<String, Value> = [("money".to_owned(), json!({"type": "number"}))]
            .into_iter()
            .collect();
        assert!(fits(&ty("f64"), &json!({"$ref": "#/definitions/money"}), &defs).is_ok());
        assert!(fits(&ty("String"), &json!({"$ref": "#/$defs/money"}), &defs).is_err());
    }

    #[test]
    fn options_are_seen_through() {
        assert!(strip_option(&ty("Option<String>")).1);
        assert!(strip_option(&ty("std::option::Option<u8>")).1);
        assert!(!strip_option(&ty("String")).1);
        assert!(SchemaType::of(&json!({"type": ["string", "null"]}), &Map::new()).nullable);
        assert!(SchemaType::of(&json!({"enum": ["a", null, "b"]}), &Map::new()).nullable);
    }
}
