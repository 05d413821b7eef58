//! Attribute parsing: `#[event(...)]`, `#[traits(...)]`, `#[properties(...)]` on the item and
//! `#[property(...)]` on fields and variants (and on `#[derive(Enum)]` enums).
//!
//! Like serde_derive's `attr.rs`, nothing here returns a `Result`: every problem goes to the
//! [`Ctxt`] and parsing carries on, so all bad attributes are reported in one build. Values keep
//! their literal, so later checks point at it.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Token};

use super::ctxt::Ctxt;
use super::pii::FieldPii;
use super::symbol::*;
use super::Derive;
use trackplan_plan::conventions::Case;
use trackplan_plan::Call;

/// Options of the derived item.
#[derive(Default)]
pub struct Container {
    /// `name = "..."`: the event name (Event only).
    pub name: Option<LitStr>,
    /// `allow_name`: accept an event name that is not Title Case (Event only).
    pub allow_name: bool,
    /// `case = "..."`: the naming convention of property names (or of enum values).
    pub case: Case,
    /// `crate = "..."`: the path of the trackplan crate in generated code.
    pub krate: Option<syn::Path>,
    /// `plan = "..."`: check the item against this tracking plan (Event, Traits); its names are
    /// then the plan's, exempt from the naming conventions.
    pub plan: Option<LitStr>,
    /// `call = "identify" | "group"`: which call the traits are for: the rule they are exported
    /// as and registered for, and the plan rule they are checked against.
    pub call: Option<(Call, Span)>,
    /// `version = 2`: check against this version of the plan's rule instead of the newest.
    pub version: Option<(u64, Span)>,
    /// `consent = "Analytics"`, repeatable: the consent categories the user must have granted
    /// for the item to be sent (Event, Traits).
    pub consent: Vec<LitStr>,
    /// The item's doc comment: the exported schema's `description`.
    pub docs: Option<String>,
}

/// Options of one struct field.
#[derive(Default)]
pub struct Field {
    /// `rename = "..."`: the wire name, verbatim.
    pub rename: Option<LitStr>,
    /// `serde`: serialise with the field type's `serde::Serialize` impl.
    pub serde: bool,
    /// `skip`: leave the field out of the payload.
    pub skip: Option<Span>,
    /// `pii` or `pii = "hash"`: the field holds personal data.
    pub pii: Option<FieldPii>,
    /// `min = 1`, `pattern = "..."` and the other JSON Schema constraints.
    pub constraints: Constraints,
    /// The field's doc comment: the property's `description` in the exported schema.
    pub docs: Option<String>,
}

/// A field's constraint options, each with the span of its key (where kind errors point).
#[derive(Default)]
pub struct Constraints {
    pub min: Option<(f64, Span)>,
    pub max: Option<(f64, Span)>,
    pub exclusive_min: Option<(f64, Span)>,
    pub exclusive_max: Option<(f64, Span)>,
    pub min_length: Option<(u64, Span)>,
    pub max_length: Option<(u64, Span)>,
    pub pattern: Option<LitStr>,
    pub format: Option<LitStr>,
    pub min_items: Option<(u64, Span)>,
    pub max_items: Option<(u64, Span)>,
    pub unique_items: Option<Span>,
}

impl Constraints {
    /// The span of the first number bound, string check and sequence check given, in that
    /// order: what each kind's trait bound is spelled with.
    pub fn number_span(&self) -> Option<Span> {
        [self.min, self.max, self.exclusive_min, self.exclusive_max]
            .into_iter()
            .flatten()
            .map(|(_, span)| span)
            .next()
    }

    pub fn string_span(&self) -> Option<Span> {
        [self.min_length, self.max_length]
            .into_iter()
            .flatten()
            .map(|(_, span)| span)
            .chain(self.pattern.iter().chain(&self.format).map(LitStr::span))
            .next()
    }

    pub fn array_span(&self) -> Option<Span> {
        [self.min_items, self.max_items]
            .into_iter()
            .flatten()
            .map(|(_, span)| span)
            .chain(self.unique_items)
            .next()
    }

    pub fn is_empty(&self) -> bool {
        self.number_span().is_none() && self.string_span().is_none() && self.array_span().is_none()
    }
}

/// Options of one enum variant.
#[derive(Default)]
pub struct Variant {
    /// `rename = "..."`: the wire value, verbatim.
    pub rename: Option<LitStr>,
}

impl Derive {
    /// The attribute that holds this derive's item options.
    pub fn container_attr(self) -> Symbol {
        match self {
            Derive::Event => EVENT,
            Derive::Traits => TRAITS,
            Derive::Properties => PROPERTIES,
            Derive::Enum => PROPERTY,
        }
    }

    fn container_keys(self) -> &'static [Symbol] {
        match self {
            Derive::Event => &[NAME, ALLOW_NAME, CASE, PLAN, VERSION, CONSENT, CRATE],
            Derive::Traits => &[CASE, PLAN, CALL, VERSION, CONSENT, CRATE],
            Derive::Properties | Derive::Enum => &[CASE, CRATE],
        }
    }
}

impl Container {
    pub fn from_ast(cx: &Ctxt, derive: Derive, attrs: &[Attribute]) -> Self {
        let attr_name = derive.container_attr();
        let mut name = Attr::new(cx, attr_name, NAME);
        let mut allow_name = Attr::new(cx, attr_name, ALLOW_NAME);
        let mut case = Attr::new(cx, attr_name, CASE);
        let mut krate = Attr::new(cx, attr_name, CRATE);
        let mut plan = Attr::new(cx, attr_name, PLAN);
        let mut call = Attr::new(cx, attr_name, CALL);
        let mut version = Attr::new(cx, attr_name, VERSION);
        let mut consent: Vec<LitStr> = Vec::new();

        for attr in attrs {
            if derive != Derive::Enum && attr.path() == PROPERTY {
                cx.error_spanned_by(
                    attr,
                    format!(
                        "`#[property(...)]` goes on fields; options of the whole {} go in `#[{attr_name}(...)]`",
                        derive.item_noun()
                    ),
                );
                continue;
            }
            if attr.path() != attr_name {
                continue;
            }
            parse_nested(cx, attr, attr_name, derive.container_keys(), |key, meta| {
                match key {
                    NAME => {
                        if let Some(lit) = string_value(cx, meta, r#"name = "Order Completed""#)? {
                            name.set(&meta.path, lit);
                        }
                    }
                    ALLOW_NAME => {
                        flag(cx, meta)?;
                        allow_name.set(&meta.path, ());
                    }
                    CASE => {
                        if let Some(lit) = string_value(cx, meta, r#"case = "camelCase""#)? {
                            match Case::from_name(&lit.value()) {
                                Some(value) => case.set(&meta.path, value),
                                None => cx.error_spanned_by(
                                    &lit,
                                    format!(
                                        "unknown naming convention {:?}; use one of {}",
                                        lit.value(),
                                        Case::all_names()
                                    ),
                                ),
                            }
                        }
                    }
                    CRATE => {
                        if let Some(lit) = string_value(cx, meta, r#"crate = "::trackplan""#)? {
                            match crate::facade_path::parse(&lit.value()) {
                                Ok(path) => krate.set(&meta.path, path),
                                Err(message) => cx.error_spanned_by(&lit, message),
                            }
                        }
                    }
                    PLAN => {
                        if let Some(lit) = string_value(cx, meta, r#"plan = "schemas/plan.json""#)?
                        {
                            if lit.value().trim().is_empty() {
                                cx.error_spanned_by(
                                    &lit,
                                    "the plan path is empty; give the plan file relative to Cargo.toml, as in `plan = \"schemas/plan.json\"`",
                                );
                            } else {
                                plan.set(&meta.path, lit);
                            }
                        }
                    }
                    CALL => {
                        if let Some(lit) = string_value(cx, meta, r#"call = "group""#)? {
                            match lit.value().as_str() {
                                "identify" => call.set(&meta.path, (Call::Identify, lit.span())),
                                "group" => call.set(&meta.path, (Call::Group, lit.span())),
                                other => cx.error_spanned_by(
                                    &lit,
                                    format!("unknown call {other:?}; traits are sent with \"identify\" or \"group\""),
                                ),
                            }
                        }
                    }
                    VERSION => {
                        if let Some(lit) = int_value(cx, meta, "version = 2")? {
                            match lit.base10_parse::<u64>() {
                                Ok(value) => version.set(&meta.path, (value, lit.span())),
                                Err(_) => cx.error_spanned_by(
                                    &lit,
                                    "a rule version is a whole number, as in `version = 2`",
                                ),
                            }
                        }
                    }
                    CONSENT => {
                        if let Some(lit) = string_value(cx, meta, r#"consent = "Analytics""#)? {
                            let category = lit.value();
                            if category.trim().is_empty() {
                                cx.error_spanned_by(
                                    &lit,
                                    "the consent category is empty; name one as your consent manager does, as in `consent = \"Analytics\"`",
                                );
                            } else if category.trim() != category {
                                cx.error_spanned_by(
                                    &lit,
                                    format!("consent category {category:?} has leading or trailing spaces; categories are matched exactly"),
                                );
                            } else if consent.iter().any(|seen| seen.value() == category) {
                                cx.error_spanned_by(
                                    &lit,
                                    format!("consent category {category:?} is listed twice"),
                                );
                            } else {
                                consent.push(lit);
                            }
                        }
                    }
                    _ => unreachable_key(cx, meta),
                }
                Ok(())
            });
        }

        let container = Container {
            name: name.get(),
            allow_name: allow_name.get().is_some(),
            case: case.get().unwrap_or_default(),
            krate: krate.get(),
            plan: plan.get(),
            call: call.get(),
            version: version.get(),
            consent,
            docs: doc_comment(attrs),
        };
        if let (Some((_, span)), None) = (container.version, &container.plan) {
            cx.error_at(
                span,
                "`version` selects the version of the plan rule to check against: add `plan = \"...\"`, or remove `version`",
            );
        }
        container
    }
}

impl Field {
    pub fn from_ast(cx: &Ctxt, derive: Derive, attrs: &[Attribute]) -> Self {
        let mut rename = Attr::new(cx, PROPERTY, RENAME);
        let mut serde = Attr::new(cx, PROPERTY, SERDE);
        let mut skip = Attr::new(cx, PROPERTY, SKIP);
        let mut pii = Attr::new(cx, PROPERTY, PII);
        let mut min = Attr::new(cx, PROPERTY, MIN);
        let mut max = Attr::new(cx, PROPERTY, MAX);
        let mut exclusive_min = Attr::new(cx, PROPERTY, EXCLUSIVE_MIN);
        let mut exclusive_max = Attr::new(cx, PROPERTY, EXCLUSIVE_MAX);
        let mut min_length = Attr::new(cx, PROPERTY, MIN_LENGTH);
        let mut max_length = Attr::new(cx, PROPERTY, MAX_LENGTH);
        let mut pattern = Attr::new(cx, PROPERTY, PATTERN);
        let mut format = Attr::new(cx, PROPERTY, FORMAT);
        let mut min_items = Attr::new(cx, PROPERTY, MIN_ITEMS);
        let mut max_items = Attr::new(cx, PROPERTY, MAX_ITEMS);
        let mut unique_items = Attr::new(cx, PROPERTY, UNIQUE_ITEMS);
        let keys = [
            RENAME,
            SERDE,
            SKIP,
            PII,
            MIN,
            MAX,
            EXCLUSIVE_MIN,
            EXCLUSIVE_MAX,
            MIN_LENGTH,
            MAX_LENGTH,
            PATTERN,
            FORMAT,
            MIN_ITEMS,
            MAX_ITEMS,
            UNIQUE_ITEMS,
        ];

        for attr in attrs {
            reject_container_attr_on_member(cx, derive, attr, "fields");
            if attr.path() != PROPERTY {
                continue;
            }
            parse_nested(cx, attr, PROPERTY, &keys, |key, meta| {
                match key {
                    RENAME => {
                        if let Some(lit) = string_value(cx, meta, r#"rename = "order_id""#)? {
                            rename.set(&meta.path, lit);
                        }
                    }
                    SERDE => {
                        flag(cx, meta)?;
                        serde.set(&meta.path, ());
                    }
                    SKIP => {
                        flag(cx, meta)?;
                        skip.set(&meta.path, meta.path.span());
                    }
                    MIN | MAX | EXCLUSIVE_MIN | EXCLUSIVE_MAX => {
                        if let Some(value) = number_value(cx, meta, key)? {
                            let slot = match key {
                                MIN => &mut min,
                                MAX => &mut max,
                                EXCLUSIVE_MIN => &mut exclusive_min,
                                _ => &mut exclusive_max,
                            };
                            slot.set(&meta.path, (value, meta.path.span()));
                        }
                    }
                    MIN_LENGTH | MAX_LENGTH | MIN_ITEMS | MAX_ITEMS => {
                        let example = format!("{key} = 3");
                        if let Some(lit) = int_value(cx, meta, &example)? {
                            let slot = match key {
                                MIN_LENGTH => &mut min_length,
                                MAX_LENGTH => &mut max_length,
                                MIN_ITEMS => &mut min_items,
                                _ => &mut max_items,
                            };
                            match lit.base10_parse::<u64>() {
                                Ok(value) => slot.set(&meta.path, (value, meta.path.span())),
                                Err(_) => cx.error_spanned_by(
                                    &lit,
                                    format!("`{key}` is a count, a whole number: `{example}`"),
                                ),
                            }
                        }
                    }
                    PATTERN => {
                        if let Some(lit) = string_value(cx, meta, r#"pattern = "^[A-Z]{3}$""#)? {
                            pattern.set(&meta.path, lit);
                        }
                    }
                    FORMAT => {
                        if let Some(lit) = string_value(cx, meta, r#"format = "email""#)? {
                            format.set(&meta.path, lit);
                        }
                    }
                    UNIQUE_ITEMS => {
                        flag(cx, meta)?;
                        unique_items.set(&meta.path, meta.path.span());
                    }
                    PII => {
                        // `pii` alone, or `pii = "<policy>"`.
                        let policy = if meta.input.peek(Token![=]) {
                            match string_value(cx, meta, r#"pii = "hash""#)? {
                                Some(lit) => Some(lit),
                                None => return Ok(()),
                            }
                        } else {
                            None
                        };
                        if let Some(value) = super::pii::field_pii(cx, &meta.path, policy) {
                            pii.set(&meta.path, value);
                        }
                    }
                    _ => unreachable_key(cx, meta),
                }
                Ok(())
            });
        }

        let field = Field {
            rename: rename.get(),
            serde: serde.get().is_some(),
            skip: skip.get(),
            pii: pii.get(),
            constraints: Constraints {
                min: min.get(),
                max: max.get(),
                exclusive_min: exclusive_min.get(),
                exclusive_max: exclusive_max.get(),
                min_length: min_length.get(),
                max_length: max_length.get(),
                pattern: pattern.get(),
                format: format.get(),
                min_items: min_items.get(),
                max_items: max_items.get(),
                unique_items: unique_items.get(),
            },
            docs: doc_comment(attrs),
        };
        if let Some(span) = field.skip {
            if field.rename.is_some() || field.serde || !field.constraints.is_empty() {
                cx.error_at(
                    span,
                    "a `skip` field is not sent, so `rename`, `serde` and constraints do not apply: remove them or `skip`",
                );
            }
            if let Some(pii) = field.pii {
                cx.error_at(
                    pii.span,
                    "a `skip` field is not sent, so no PII policy applies to it: remove `pii` or `skip`",
                );
            }
        }
        field
    }
}

impl Variant {
    pub fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut rename = Attr::new(cx, PROPERTY, RENAME);
        for attr in attrs {
            if attr.path() != PROPERTY {
                continue;
            }
            parse_nested(cx, attr, PROPERTY, &[RENAME], |key, meta| {
                match key {
                    RENAME => {
                        if let Some(lit) = string_value(cx, meta, r#"rename = "free""#)? {
                            rename.set(&meta.path, lit);
                        }
                    }
                    _ => unreachable_key(cx, meta),
                }
                Ok(())
            });
        }
        Variant {
            rename: rename.get(),
        }
    }
}

/// `#[event(...)]` and friends describe the item, not a field or variant.
fn reject_container_attr_on_member(cx: &Ctxt, derive: Derive, attr: &Attribute, members: &str) {
    let own = derive.container_attr();
    if own != PROPERTY && attr.path() == own {
        cx.error_spanned_by(
            attr,
            format!(
                "`#[{own}(...)]` goes on the {}; options of {members} go in `#[property(...)]`",
                derive.item_noun()
            ),
        );
    }
}

/// One attribute option that may be given at most once; a second setting is an error on it.
struct Attr<'c, T> {
    cx: &'c Ctxt,
    attr: Symbol,
    key: Symbol,
    value: Option<T>,
}

impl<'c, T> Attr<'c, T> {
    fn new(cx: &'c Ctxt, attr: Symbol, key: Symbol) -> Self {
        Attr {
            cx,
            attr,
            key,
            value: None,
        }
    }

    fn set(&mut self, at: &syn::Path, value: T) {
        if self.value.is_some() {
            self.cx.error_spanned_by(
                at,
                format!(
                    "duplicate `{}` in `#[{}(...)]`: give it once",
                    self.key, self.attr
                ),
            );
        } else {
            self.value = Some(value);
        }
    }

    fn get(self) -> Option<T> {
        self.value
    }
}

/// Walk `#[attr(key, key = value, ...)]`, handing each known key to `on_key` and reporting
/// unknown ones (whose values are skipped so the walk goes on).
fn parse_nested(
    cx: &Ctxt,
    attr: &Attribute,
    attr_name: Symbol,
    keys: &[Symbol],
    mut on_key: impl FnMut(Symbol, &ParseNestedMeta) -> syn::Result<()>,
) {
    let result = attr.parse_nested_meta(|meta| match keys.iter().find(|key| meta.path == **key) {
        Some(key) => on_key(*key, &meta),
        None => {
            let expected = keys
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            cx.error_spanned_by(
                &meta.path,
                format!(
                    "unknown `#[{attr_name}(...)]` option `{}`; expected one of {expected}",
                    path_text(&meta.path)
                ),
            );
            skip_value(&meta)
        }
    });
    if let Err(err) = result {
        cx.syn_error(err);
    }
}

/// The string value of `key = "..."`; reports a missing or non-string value and returns `None`.
fn string_value(cx: &Ctxt, meta: &ParseNestedMeta, example: &str) -> syn::Result<Option<LitStr>> {
    literal_value(
        cx,
        meta,
        example,
        ("a string", "a string literal"),
        |lit| match lit {
            Lit::Str(lit) => Some(lit),
            _ => None,
        },
    )
}

/// The integer value of `key = 2`; reports a missing or non-integer value and returns `None`.
fn int_value(cx: &Ctxt, meta: &ParseNestedMeta, example: &str) -> syn::Result<Option<syn::LitInt>> {
    literal_value(
        cx,
        meta,
        example,
        ("a number", "a number"),
        |lit| match lit {
            Lit::Int(lit) => Some(lit),
            _ => None,
        },
    )
}

/// The literal of `key = <literal>` that `pick` accepts. `(takes, expected)` name the kind in
/// the errors for a missing value (`` `key` takes a string ``) and a wrong one.
fn literal_value<T>(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    example: &str,
    (takes, expected): (&str, &str),
    pick: impl FnOnce(Lit) -> Option<T>,
) -> syn::Result<Option<T>> {
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{}` takes {takes}: `{example}`", path_text(&meta.path)),
        );
        return Ok(None);
    }
    let value: Expr = meta.value()?.parse()?;
    let wrong = match value {
        Expr::Lit(ExprLit { lit, .. }) => match pick(lit.clone()) {
            Some(value) => return Ok(Some(value)),
            None => lit.into_token_stream(),
        },
        other => other.into_token_stream(),
    };
    cx.error_spanned_by(wrong, format!("expected {expected}: `{example}`"));
    Ok(None)
}

/// The number of `key = 1`, `key = -2.5`; reports anything else and returns `None`.
fn number_value(cx: &Ctxt, meta: &ParseNestedMeta, key: Symbol) -> syn::Result<Option<f64>> {
    let example = format!("{key} = 0");
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(&meta.path, format!("`{key}` takes a number: `{example}`"));
        return Ok(None);
    }
    let value: Expr = meta.value()?.parse()?;
    let (negative, literal) = match &value {
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => (true, &**expr),
        other => (false, other),
    };
    let parsed = match literal {
        Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        }) => lit.base10_parse::<f64>().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Float(lit),
            ..
        }) => lit.base10_parse::<f64>().ok(),
        _ => None,
    };
    match parsed.filter(|n| n.is_finite()) {
        Some(n) => Ok(Some(if negative { -n } else { n })),
        None => {
            cx.error_spanned_by(value, format!("expected a number: `{example}`"));
            Ok(None)
        }
    }
}

/// The `///` lines of an item, each without the one space rustdoc puts after `///`, trimmed as a
/// whole; `None` when there are none.
fn doc_comment(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value()),
            _ => None,
        })
        .flat_map(|text| {
            text.lines()
                .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// A key without a value, such as `allow_name`; reports and skips a value if one is given.
fn flag(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        let name = path_text(&meta.path);
        cx.error_spanned_by(
            &meta.path,
            format!("`{name}` takes no value: write just `{name}`"),
        );
        skip_value(meta)?;
    }
    Ok(())
}

fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

/// Keys are matched against the same list that `parse_nested` was given; a key reaching here is
/// a bug in this module, reported rather than panicked on.
fn unreachable_key(cx: &Ctxt, meta: &ParseNestedMeta) {
    cx.error_spanned_by(
        &meta.path,
        "trackplan derive: unhandled attribute option (a bug)",
    );
}

fn path_text(path: &syn::Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}
