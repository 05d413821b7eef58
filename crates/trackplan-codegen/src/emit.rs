//! The typed IR as Rust tokens: structs, enums and unions implementing trackplan's payload
//! traits.
//!
//! Wire strings (names, keys, enum values) reach the output only as string literals; JSON keys
//! are pre-quoted here so the generated `write_properties` copies bytes. Every path is absolute
//! (`::trackplan::...`, `::std::...`), so plan names such as `Option` or `Result` cannot shadow
//! what the generated code uses.

use std::collections::BTreeMap;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use crate::facade_path;
use crate::schema::ir::*;
use trackplan_plan::Call;

mod ctor;
pub(crate) mod decode;

/// The generator version written into `plan_metadata()`.
pub const GENERATOR_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Emit every item of `space`; `krate` is the facade's path (see [`facade_path`]).
pub fn emit(space: &TypeSpace, krate: &syn::Path) -> TokenStream {
    let emitter = Emitter::new(space, krate);
    let items = space.items.iter().map(|item| match item {
        TypeDef::Struct(s) => emitter.structure(s),
        TypeDef::Enum(e) => emitter.string_enum(e),
        TypeDef::Union(u) => emitter.union(u),
    });
    quote! { #(#items)* }
}

/// The structs whose values have constraints somewhere inside (a fixpoint over nesting).
fn checked_types(space: &TypeSpace) -> BTreeMap<String, bool> {
    let mut checked: BTreeMap<String, bool> = space
        .items
        .iter()
        .map(|i| (i.name().to_owned(), false))
        .collect();
    loop {
        let mut changed = false;
        for item in &space.items {
            let has = match item {
                TypeDef::Struct(s) => {
                    s.fields
                        .iter()
                        .any(|f| f.constant.is_none() && ty_has_checks(&f.ty, &checked))
                        || s.extra.as_ref().is_some_and(|e| {
                            ty_has_checks(&e.value, &checked)
                                || (s.closed && !e.key_patterns.is_empty())
                        })
                        || !s.dependent_required.is_empty()
                }
                TypeDef::Union(u) => {
                    u.mode != UnionMode::Types
                        || u.variants.iter().any(|(_, ty)| ty_has_checks(ty, &checked))
                }
                TypeDef::Enum(_) => false,
            };
            if has && !checked[item.name()] {
                checked.insert(item.name().to_owned(), true);
                changed = true;
            }
        }
        if !changed {
            return checked;
        }
    }
}

fn ty_has_checks(ty: &Ty, checked: &BTreeMap<String, bool>) -> bool {
    !ty.checks.is_empty()
        || match &ty.kind {
            Kind::Named(n) | Kind::Boxed(n) => checked.get(n).copied().unwrap_or(false),
            Kind::Array(item) | Kind::MapOf(item) => ty_has_checks(item, checked),
            _ => false,
        }
}

/// `fn plan_metadata(&self)` reporting a plan rule: generated types, and hand-written derives
/// checked against a plan. `krate` is the path of the trackplan crate.
pub(crate) fn plan_metadata_method(
    krate: &syn::Path,
    plan_name: &str,
    event_version: Option<u64>,
) -> TokenStream {
    let plan = Literal::string(plan_name);
    let version = match event_version {
        Some(v) => {
            let v = Literal::u64_unsuffixed(v);
            quote!(::std::option::Option::Some(#v))
        }
        None => quote!(::std::option::Option::None),
    };
    let generator = Literal::string(GENERATOR_VERSION);
    quote! {
        fn plan_metadata(&self) -> ::std::option::Option<#krate::PlanMetadata> {
            ::std::option::Option::Some(#krate::PlanMetadata {
                plan: #plan,
                event_version: #version,
                generator_version: #generator,
            })
        }
    }
}

/// `fn required_consent(&self)` naming the consent categories an item needs: generated types of
/// rules with `x-consent`, and derives with `consent = "..."`.
pub(crate) fn required_consent_method<S: AsRef<str>>(categories: &[S]) -> TokenStream {
    let categories = categories.iter().map(|c| Literal::string(c.as_ref()));
    quote! {
        fn required_consent(&self) -> &'static [&'static str] {
            &[#(#categories),*]
        }
    }
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// `"key":` as a string literal: the JSON-escaped key and its colon.
fn quoted_key(wire: &str) -> Literal {
    let json = serde_json::Value::String(wire.to_owned()).to_string();
    Literal::string(&format!("{json}:"))
}

/// The RFC 6901 token for `wire`, as a literal.
fn pointer_token(wire: &str) -> Literal {
    Literal::string(&wire.replace('~', "~0").replace('/', "~1"))
}

fn docs(description: Option<&str>, extra: &[String]) -> TokenStream {
    let mut lines: Vec<String> = Vec::new();
    if let Some(description) = description {
        lines.extend(description.lines().map(|l| format!(" {}", doc_text(l))));
    }
    if !extra.is_empty() {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.extend(extra.iter().map(|l| format!(" {l}")));
    }
    let lines = lines.iter().map(|l| Literal::string(l));
    quote! { #(#[doc = #lines])* }
}

/// A description line as plain rustdoc text: never an indented or fenced code block (which
/// `cargo test` would compile as a doctest).
fn doc_text(line: &str) -> String {
    line.trim_start().replace("```", "\\`\\`\\`")
}

/// `` `a` or `b` `` for doc lines.
fn key_pattern_list(patterns: &[String]) -> String {
    let list: Vec<String> = patterns
        .iter()
        .map(|p| format!("`{}`", p.replace('`', "\\`")))
        .collect();
    list.join(" or ")
}

/// Doc lines for constraints the type cannot hold.
fn check_docs(ty: &Ty) -> Vec<String> {
    let c = &ty.checks;
    let mut out = Vec::new();
    if let Some(format) = &c.format {
        out.push(format!(
            "Must be a valid `{format}` (checked by `violations()`)."
        ));
    }
    if let Some(p) = &c.pattern {
        out.push(format!(
            "Must match the pattern `{}` (checked by `violations()`).",
            p.replace('`', "\\`")
        ));
    }
    for (value, what) in [
        (c.min_length, "at least {} characters"),
        (c.max_length, "at most {} characters"),
        (c.min_items, "at least {} items"),
        (c.max_items, "at most {} items"),
    ] {
        if let Some(v) = value {
            out.push(format!(
                "Must have {} (checked by `violations()`).",
                what.replace("{}", &v.to_string())
            ));
        }
    }
    for (value, op) in [
        (c.minimum, ">="),
        (c.maximum, "<="),
        (c.exclusive_minimum, ">"),
        (c.exclusive_maximum, "<"),
    ] {
        if let Some(v) = value {
            out.push(format!("Must be {op} {v} (checked by `violations()`)."));
        }
    }
    if let Some(values) = &c.allowed {
        let list: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        out.push(format!(
            "Must be one of {} (checked by `violations()`).",
            list.join(", ")
        ));
    }
    if let Some(m) = c.multiple_of {
        out.push(format!(
            "Must be a multiple of {m} (checked by `violations()`)."
        ));
    }
    if c.unique_items {
        out.push("Items must be unique (checked by `violations()`).".to_owned());
    }
    if let Some(tuple) = &c.tuple {
        let positions: Vec<String> = tuple
            .positions
            .iter()
            .map(|p| match (&p.allowed, p.types.as_slice()) {
                (Some(values), _) => values
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" | "),
                (None, []) => "any".to_owned(),
                (None, types) => types.join(" | "),
            })
            .collect();
        let more = if tuple.closed { "" } else { ", then any items" };
        out.push(format!(
            "A tuple of [{}]{more} (checked by `violations()`).",
            positions.join(", ")
        ));
    }
    if let Some(values) = &c.forbidden {
        let list: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        out.push(format!(
            "Must not be {} (checked by `violations()`).",
            list.join(" or ")
        ));
    }
    if let Some(patterns) = &c.key_patterns {
        out.push(format!(
            "Keys must match {} (checked by `violations()`).",
            key_pattern_list(patterns)
        ));
    }
    if matches!(ty.kind, Kind::DateTime) {
        out.push("Sent as an RFC 3339 timestamp with milliseconds, in UTC.".to_owned());
    }
    out
}

pub(crate) struct Emitter<'a> {
    space: &'a TypeSpace,
    checked: BTreeMap<String, bool>,
    /// The facade, for the traits and types users see.
    krate: syn::Path,
    /// The facade's versioned private module, for what only generated code uses.
    private: syn::Path,
}

impl<'a> Emitter<'a> {
    pub(crate) fn new(space: &'a TypeSpace, krate: &syn::Path) -> Self {
        Emitter {
            space,
            checked: checked_types(space),
            krate: krate.clone(),
            private: facade_path::private_path(krate),
        }
    }
}

impl Emitter<'_> {
    fn is_checked(&self, name: &str) -> bool {
        self.checked.get(name).copied().unwrap_or(false)
    }

    fn ty(&self, ty: &Ty) -> TokenStream {
        let private = &self.private;
        let inner = match &ty.kind {
            Kind::String => quote!(::std::string::String),
            Kind::Bool => quote!(bool),
            Kind::Integer => quote!(i64),
            Kind::Number => quote!(f64),
            Kind::Any => quote!(#private::serde_json::Value),
            Kind::Map => quote!(
                #private::serde_json::Map<::std::string::String, #private::serde_json::Value>
            ),
            Kind::DateTime => quote!(#private::time::OffsetDateTime),
            Kind::Named(name) => {
                let name = ident(name);
                quote!(#name)
            }
            Kind::Boxed(name) => {
                let name = ident(name);
                quote!(::std::boxed::Box<#name>)
            }
            Kind::Array(item) => {
                let item = self.ty(item);
                quote!(::std::vec::Vec<#item>)
            }
            Kind::MapOf(value) => {
                let value = self.ty(value);
                quote!(::std::collections::BTreeMap<::std::string::String, #value>)
            }
        };
        if ty.nullable {
            quote!(::std::option::Option<#inner>)
        } else {
            inner
        }
    }

    fn field_ty(&self, field: &Field) -> TokenStream {
        let krate = &self.krate;
        let ty = self.ty(&field.ty);
        match field.presence {
            Presence::Required => ty,
            Presence::RequiredNullable | Presence::Optional => quote!(::std::option::Option<#ty>),
            Presence::OptionalNullable => quote!(#krate::Nullable<#ty>),
        }
    }

    fn structure(&self, s: &StructDef) -> TokenStream {
        let krate = &self.krate;
        let name = ident(&s.name);
        let mut doc_extra = Vec::new();
        if let Some(root) = &s.root {
            let what = match root.call {
                Call::Track => "Track event",
                Call::Identify => "Identify traits",
                Call::Group => "Group traits",
                Call::Page => "Page properties",
                Call::Screen => "Screen properties",
            };
            let version = root
                .version
                .map(|v| format!(", version {v}"))
                .unwrap_or_default();
            doc_extra.push(format!(
                "{what} `{}`{version} of the plan (`{}`).",
                root.wire_name.escape_debug(),
                root.pointer
            ));
        }
        let doc = docs(s.description.as_deref(), &doc_extra);
        let fields = s.fields.iter().filter(|f| f.constant.is_none()).map(|f| {
            let mut lines = check_docs(&f.ty);
            if f.ident != f.wire {
                lines.insert(0, format!("Sent as `{}`.", f.wire.escape_debug()));
            }
            for keyword in &f.unenforced {
                lines.push(format!("The plan's `{keyword}` is not checked."));
            }
            let doc = docs(f.description.as_deref(), &lines);
            let ident = ident(&f.ident);
            let ty = self.field_ty(f);
            quote! { #doc pub #ident: #ty, }
        });
        let extra = s.extra.as_ref().map(|e| {
            let ident = ident(&e.ident);
            let ty = self.ty(&e.value);
            let doc = if e.key_patterns.is_empty() {
                " Further properties the plan allows (`additionalProperties`).".to_owned()
            } else {
                format!(
                    " Further properties whose names match {} (`patternProperties`).",
                    key_pattern_list(&e.key_patterns)
                )
            };
            quote! {
                #[doc = #doc]
                pub #ident: ::std::collections::BTreeMap<::std::string::String, #ty>,
            }
        });
        let derive_default = s
            .fields
            .iter()
            .all(|f| f.constant.is_some() || f.presence != Presence::Required);
        let derives = if derive_default {
            quote!(#[derive(Debug, Clone, PartialEq, Default)])
        } else {
            quote!(#[derive(Debug, Clone, PartialEq)])
        };
        let write_body = self.write_body(s);
        let checked = self.is_checked(&s.name);
        let violations_fn = checked.then(|| self.violations_fn(s));
        let violations = checked.then(|| {
            quote! {
                fn violations(&self) -> ::std::vec::Vec<#krate::Violation> {
                    let mut out = ::std::vec::Vec::new();
                    self.__trackplan_violations("", &mut out);
                    out
                }
            }
        });
        let metadata = s
            .root
            .as_ref()
            .map(|root| plan_metadata_method(&self.krate, &self.space.plan_name, root.version));
        let consent = s
            .root
            .as_ref()
            .filter(|root| !root.consent.is_empty())
            .map(|root| required_consent_method(&root.consent));
        let payload_impl = match s.root.as_ref().map(|r| r.call) {
            Some(Call::Identify | Call::Group) => quote! {
                impl #krate::Traits for #name {
                    fn write_traits(&self, out: &mut ::std::vec::Vec<u8>) -> ::std::result::Result<(), #krate::EncodeError> {
                        #write_body
                    }
                    #violations
                    #metadata
                    #consent
                }
            },
            _ => quote! {
                impl #krate::Properties for #name {
                    fn write_properties(&self, out: &mut ::std::vec::Vec<u8>) -> ::std::result::Result<(), #krate::EncodeError> {
                        #write_body
                    }
                    #violations
                    #metadata
                    #consent
                }
            },
        };
        let root_impls = s.root.as_ref().map(|root| {
            let wire = Literal::string(&root.wire_name);
            let event = (root.call == Call::Track).then(|| {
                quote! {
                    impl #krate::Event for #name {
                        fn event_name(&self) -> &str {
                            #wire
                        }
                    }
                }
            });
            let const_doc = match root.call {
                Call::Track => " The event name, byte-exact as the plan spells it.",
                Call::Page | Call::Screen => {
                    " The page or screen name the plan gives this rule (may be empty)."
                }
                Call::Identify | Call::Group => " The rule's name in the plan (empty for traits).",
            };
            quote! {
                impl #name {
                    #[doc = #const_doc]
                    pub const NAME: &'static str = #wire;
                }
                #event
            }
        });
        let value_impl = s.root.is_none().then(|| self.struct_property_value(s));
        let constructor = ctor::constructor(self, s);
        let deserialize = self.struct_deserialize(s);
        let decode_impl = s.root.as_ref().map(|root| self.decode_impl(&name, root));
        quote! {
            #doc
            #derives
            pub struct #name {
                #(#fields)*
                #extra
            }
            #root_impls
            #constructor
            #payload_impl
            #value_impl
            #violations_fn
            #deserialize
            #decode_impl
        }
    }

    /// `Decode` for a rule's type: the messages that carry it.
    fn decode_impl(&self, name: &Ident, root: &RootInfo) -> TokenStream {
        let krate = &self.krate;
        let call = match root.call {
            Call::Track => quote!(Track),
            Call::Identify => quote!(Identify),
            Call::Group => quote!(Group),
            Call::Page => quote!(Page),
            Call::Screen => quote!(Screen),
        };
        let named = matches!(root.call, Call::Track | Call::Page | Call::Screen)
            && !root.wire_name.is_empty();
        let wire_name = named.then(|| {
            let wire = Literal::string(&root.wire_name);
            quote!(::std::option::Option::Some(#wire))
        });
        let wire_name = wire_name.unwrap_or_else(|| quote!(::std::option::Option::None));
        quote! {
            impl #krate::Decode for #name {
                const CALLS: &'static [#krate::CallType] = &[#krate::CallType::#call];
                const NAME: ::std::option::Option<&'static str> = #wire_name;
            }
        }
    }

    /// The body of `write_properties` / `write_traits`: one `ObjectWriter` call per property.
    fn write_body(&self, s: &StructDef) -> TokenStream {
        let krate = &self.krate;
        let private = &self.private;
        let writes = s.fields.iter().map(|f| {
            let key = quoted_key(&f.wire);
            if let Some(constant) = &f.constant {
                let json = Literal::string(&constant.to_string());
                return quote! { w.raw_field(#key, #json); };
            }
            let field = ident(&f.ident);
            let value = self.wire_value(f, quote!(self.#field));
            match (f.presence, f.pii) {
                (Presence::RequiredNullable, None) => {
                    quote! { w.serde_field(#key, &#private::AsProperty(&#value))?; }
                }
                (_, None) => quote! { w.field(#key, &#value)?; },
                (presence, Some(mark)) => {
                    let value = Self::null_kept(presence, private, value);
                    let policy = crate::pii::policy_tokens(krate, private, mark);
                    quote! { w.pii_field(#key, #value, #policy)?; }
                }
            }
        });
        let extra = s.extra.as_ref().map(|e| {
            let field = ident(&e.ident);
            let declared = s.fields.iter().map(|f| Literal::string(&f.wire));
            let value = self.convert(&e.value, quote!(value));
            quote! {
                for (key, value) in &self.#field {
                    if [#(#declared),*].contains(&key.as_str()) {
                        return ::std::result::Result::Err(#krate::EncodeError::new(
                            "property",
                            ::std::format!("extra property `{key}` repeats a declared property"),
                        ));
                    }
                    let quoted = #private::serde_json::to_string(key)
                        .map_err(|e| #krate::EncodeError::new("property", e.to_string()))?;
                    w.field(&::std::format!("{quoted}:"), &#value)?;
                }
            }
        });
        let binding = if s.fields.is_empty() && s.extra.is_none() {
            quote!(let w)
        } else {
            quote!(let mut w)
        };
        quote! {
            #binding = #private::ObjectWriter::new(out);
            #(#writes)*
            #extra
            w.end();
            ::std::result::Result::Ok(())
        }
    }

    /// `PropertyValue` for a nested struct: written directly by its `write_properties` as a
    /// field, and as a serde map with the same keys inside serde contexts.
    fn struct_property_value(&self, s: &StructDef) -> TokenStream {
        let krate = &self.krate;
        let private = &self.private;
        let name = ident(&s.name);
        let entries = s.fields.iter().map(|f| {
            let key = Literal::string(&f.wire);
            if let Some(constant) = &f.constant {
                let json = Literal::string(&constant.to_string());
                return quote! {
                    let value: #private::serde_json::Value =
                        #private::serde_json::from_str(#json).map_err(S::Error::custom)?;
                    map.serialize_entry(#key, &value)?;
                };
            }
            let field = ident(&f.ident);
            let value = self.wire_value(f, quote!(self.#field));
            if let Some(mark) = f.pii {
                let value = Self::null_kept(f.presence, private, value);
                let policy = crate::pii::policy_tokens(krate, private, mark);
                return quote! { #private::serialize_pii_entry(&mut map, #key, #value, #policy)?; };
            }
            match f.presence {
                Presence::Required | Presence::RequiredNullable => {
                    quote! { map.serialize_entry(#key, &#private::AsProperty(&#value))?; }
                }
                Presence::Optional | Presence::OptionalNullable => quote! {
                    let value = &#value;
                    if !#krate::PropertyValue::is_absent(&value) {
                        map.serialize_entry(#key, &#private::AsProperty(&value))?;
                    }
                },
            }
        });
        let extra = s.extra.as_ref().map(|e| {
            let field = ident(&e.ident);
            let value = self.convert(&e.value, quote!(value));
            quote! {
                for (key, value) in &self.#field {
                    map.serialize_entry(key, &#private::AsProperty(&#value))?;
                }
            }
        });
        let uses_error = s.fields.iter().any(|f| f.constant.is_some());
        let error_import = uses_error.then(|| {
            quote!(
                use #private::serde::ser::Error as _;
            )
        });
        let binding = if s.fields.is_empty() && s.extra.is_none() {
            quote!(let map)
        } else {
            quote!(let mut map)
        };
        let violations_at = self.violations_at_method(&s.name);
        quote! {
            impl #krate::PropertyValue for #name {
                fn serialize_property<S: #private::serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::std::result::Result<S::Ok, S::Error> {
                    use #private::serde::ser::SerializeMap as _;
                    #error_import
                    #binding = serializer.serialize_map(::std::option::Option::None)?;
                    #(#entries)*
                    #extra
                    map.end()
                }

                fn write_json(&self, out: &mut ::std::vec::Vec<u8>) -> ::std::result::Result<(), #krate::EncodeError> {
                    #krate::Properties::write_properties(self, out)
                }
                #violations_at
            }
        }
    }

    /// A reference to a personal-data field's value for `pii_field`, which leaves absent values
    /// out: a required nullable `None` is wrapped so that it is still sent as `null`.
    fn null_kept(presence: Presence, private: &syn::Path, value: TokenStream) -> TokenStream {
        match presence {
            Presence::RequiredNullable => {
                quote!(&#private::SerdeProperty(&#private::AsProperty(&#value)))
            }
            _ => quote!(&#value),
        }
    }

    /// The field as a `PropertyValue`: itself, or a converted copy when it holds date-times.
    fn wire_value(&self, f: &Field, expr: TokenStream) -> TokenStream {
        if !contains_datetime(&f.ty) {
            return quote!(#expr);
        }
        let inner = self.convert(&f.ty, quote!(v));
        match f.presence {
            Presence::Required => {
                let conv = self.convert(&f.ty, quote!((&#expr)));
                quote!((#conv))
            }
            Presence::RequiredNullable | Presence::Optional => {
                quote!((#expr.as_ref().map(|v| #inner)))
            }
            Presence::OptionalNullable => quote!((#expr.as_ref().map(|v| #inner))),
        }
    }

    /// `value` (a reference of type `&ty`) with date-times formatted as strings.
    fn convert(&self, ty: &Ty, value: TokenStream) -> TokenStream {
        let private = &self.private;
        if !contains_datetime(ty) {
            return quote!(#value);
        }
        let inner = match &ty.kind {
            Kind::DateTime => quote!(#private::format_timestamp(*v)),
            Kind::Array(item) => {
                let item = self.convert(item, quote!(v));
                quote!(v.iter().map(|v| #item).collect::<::std::vec::Vec<_>>())
            }
            Kind::MapOf(value) => {
                let value = self.convert(value, quote!(v));
                quote!(v.iter().map(|(k, v)| (k.clone(), #value)).collect::<::std::collections::BTreeMap<_, _>>())
            }
            _ => quote!(v),
        };
        if ty.nullable {
            quote!(#value.as_ref().map(|v| #inner))
        } else {
            let bind = rebind(&value);
            quote!({ #bind #inner })
        }
    }

    fn violations_fn(&self, s: &StructDef) -> TokenStream {
        let krate = &self.krate;
        let name = ident(&s.name);
        let checks = s
            .fields
            .iter()
            .filter(|f| f.constant.is_none())
            .filter_map(|f| {
                let field = ident(&f.ident);
                let token = pointer_token(&f.wire);
                let body = self.check(&f.ty, quote!(v), quote!(&path))?;
                let body = quote! {
                    let path = ::std::format!("{}/{}", path, #token);
                    #body
                };
                Some(match f.presence {
                    Presence::Required => quote!({ let v = &self.#field; #body }),
                    Presence::RequiredNullable | Presence::Optional => {
                        quote!(if let ::std::option::Option::Some(v) = &self.#field { #body })
                    }
                    Presence::OptionalNullable => {
                        quote!(if let #krate::Nullable::Value(v) = &self.#field { #body })
                    }
                })
            });
        let extra = s.extra.as_ref().and_then(|e| {
            let field = ident(&e.ident);
            let body = self.check(&e.value, quote!(v), quote!(&path));
            let keys = (s.closed && !e.key_patterns.is_empty())
                .then(|| self.key_check(&e.key_patterns, quote!(key), quote!(path)));
            if body.is_none() && keys.is_none() {
                return None;
            }
            Some(quote! {
                for (key, v) in &self.#field {
                    let path = ::std::format!("{}/{}", path, key.replace('~', "~0").replace('/', "~1"));
                    #keys
                    #body
                }
            })
        });
        let dependencies = s.dependent_required.iter().map(|(property, needed)| {
            let present = self.presence_test(s, property);
            let rules = needed.iter().map(|other| {
                let other_present = self.presence_test(s, other);
                // Bound first: negating `x.is_some()` would trip clippy's `nonminimal_bool`.
                let message = Literal::string(&format!(
                    "`{property}` is present, so `{other}` must be too"
                ));
                quote! {
                    let present: bool = #other_present;
                    if !present {
                        out.push(#krate::Violation { path: path.to_owned(), rule: "dependencies", message: ::std::string::String::from(#message) });
                    }
                }
            });
            quote! {
                if #present {
                    #(#rules)*
                }
            }
        });
        quote! {
            impl #name {
                #[doc(hidden)]
                pub fn __trackplan_violations(&self, path: &str, out: &mut ::std::vec::Vec<#krate::Violation>) {
                    #(#checks)*
                    #extra
                    #(#dependencies)*
                }
            }
        }
    }

    /// An expression: whether the struct's property `wire` is sent.
    fn presence_test(&self, s: &StructDef, wire: &str) -> TokenStream {
        let krate = &self.krate;
        match s.fields.iter().find(|f| f.wire == wire) {
            Some(f) if f.constant.is_some() => quote!(true),
            Some(f) => {
                let field = ident(&f.ident);
                match f.presence {
                    Presence::Required | Presence::RequiredNullable => quote!(true),
                    Presence::Optional => quote!(self.#field.is_some()),
                    Presence::OptionalNullable => {
                        quote!(!#krate::Nullable::is_absent(&self.#field))
                    }
                }
            }
            None => match &s.extra {
                Some(e) => {
                    let field = ident(&e.ident);
                    let wire = Literal::string(wire);
                    quote!(self.#field.contains_key(#wire))
                }
                None => quote!(false),
            },
        }
    }

    /// Statements reporting `key` (a `&str`/`&String`) at `path` unless it matches a pattern.
    fn key_check(&self, patterns: &[String], key: TokenStream, path: TokenStream) -> TokenStream {
        let krate = &self.krate;
        let matches = key_matches(&self.private, patterns, &key);
        let text = format!("matches none of {}", key_pattern_list(patterns));
        quote! {
            if !#matches {
                out.push(#krate::Violation {
                    path: #path.to_owned(),
                    rule: "additionalProperties",
                    message: ::std::format!("key {:?} {}", #key, #text),
                });
            }
        }
    }

    /// Statements checking `v` (a `&T`) at JSON path `path` (a `&str`), or `None` when the type
    /// has nothing to check.
    fn check(&self, ty: &Ty, v: TokenStream, path: TokenStream) -> Option<TokenStream> {
        let own = self.own_checks(ty, quote!(v), quote!(path));
        let nested = match &ty.kind {
            Kind::Named(n) | Kind::Boxed(n) if self.is_checked(n) => Some(quote! { v.__trackplan_violations(path, out); }),
            Kind::Array(item) => self.check(item, quote!(item), quote!(&path)).map(|body| {
                quote! {
                    for (i, item) in v.iter().enumerate() {
                        let path = ::std::format!("{}/{}", path, i);
                        #body
                    }
                }
            }),
            Kind::MapOf(value) => self.check(value, quote!(item), quote!(&path)).map(|body| {
                quote! {
                    for (key, item) in v {
                        let path = ::std::format!("{}/{}", path, key.replace('~', "~0").replace('/', "~1"));
                        #body
                    }
                }
            }),
            _ => None,
        };
        if own.is_empty() && nested.is_none() {
            return None;
        }
        let body = quote! { #(#own)* #nested };
        let body = if ty.nullable {
            quote!(if let ::std::option::Option::Some(v) = v { #body })
        } else {
            body
        };
        let bind = rebind(&v);
        Some(quote! {
            {
                #bind
                let path: &str = #path;
                #body
            }
        })
    }

    /// Statements pushing a `Violation` onto `out` for each of `ty`'s own constraints that `v`
    /// breaks. Also what derived types' `violations()` runs (`derive/constraint.rs`).
    pub(crate) fn own_checks(
        &self,
        ty: &Ty,
        v: TokenStream,
        path: TokenStream,
    ) -> Vec<TokenStream> {
        let krate = &self.krate;
        let private = &self.private;
        let c = &ty.checks;
        let mut out = Vec::new();
        let violation = |rule: &str, message: TokenStream| {
            quote! {
                out.push(#krate::Violation { path: #path.to_owned(), rule: #rule, message: #message });
            }
        };
        if let Some(pattern) = &c.pattern {
            let lit = Literal::string(pattern);
            let message = quote!(::std::format!("{:?} does not match the pattern {}", #v, #lit));
            out.push(regex_check(
                private,
                &v,
                pattern,
                violation("pattern", message),
            ));
        }
        if let Some((format, pattern)) = c
            .format
            .as_deref()
            .and_then(|f| Some((f, format_pattern(f)?)))
        {
            let text = format!("is not a valid `{format}`");
            let message = quote!(::std::format!("{:?} {}", #v, #text));
            out.push(regex_check(
                private,
                &v,
                pattern,
                violation("format", message),
            ));
        }
        let is_string = matches!(ty.kind, Kind::String | Kind::DateTime);
        if is_string {
            for (bound, rule, op) in [
                (c.min_length, "minLength", quote!(<)),
                (c.max_length, "maxLength", quote!(>)),
            ] {
                if let Some(n) = bound {
                    let n = Literal::u64_unsuffixed(n);
                    let push = violation(
                        rule,
                        quote!(::std::format!("has {} characters, limit {}", count, #n)),
                    );
                    out.push(quote! {
                        let count = #v.chars().count() as u64;
                        if count #op #n { #push }
                    });
                }
            }
        }
        if matches!(ty.kind, Kind::Array(_)) {
            for (bound, rule, op) in [
                (c.min_items, "minItems", quote!(<)),
                (c.max_items, "maxItems", quote!(>)),
            ] {
                if let Some(n) = bound {
                    let n = Literal::u64_unsuffixed(n);
                    let push = violation(
                        rule,
                        quote!(::std::format!("has {} items, limit {}", count, #n)),
                    );
                    out.push(quote! {
                        let count = #v.len() as u64;
                        if count #op #n { #push }
                    });
                }
            }
        }
        if matches!(ty.kind, Kind::Integer | Kind::Number) {
            // Each bound as (limit, keyword, what it requires, the comparison that breaks it).
            let bounds = [
                (c.minimum, "minimum", ">=", quote!(<)),
                (c.maximum, "maximum", "<=", quote!(>)),
                (c.exclusive_minimum, "exclusiveMinimum", ">", quote!(<=)),
                (c.exclusive_maximum, "exclusiveMaximum", "<", quote!(>=)),
            ];
            for (bound, rule, requires, breaks) in bounds {
                if let Some(limit) = bound.filter(|b| b.is_finite()) {
                    let lit = Literal::f64_suffixed(limit);
                    let text = format!("must be {requires} {limit}");
                    let push = violation(rule, quote!(::std::format!("{} {}", #v, #text)));
                    out.push(quote! {
                        #[allow(clippy::cast_precision_loss, clippy::unnecessary_cast)]
                        let x = *#v as f64;
                        if x #breaks #lit || x.is_nan() { #push }
                    });
                }
            }
        }
        if let Some(allowed) = &c.allowed {
            let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
            let text = format!("must be one of {}", list.join(", "));
            let push = violation("enum", quote!(::std::format!("{} {}", text, #text)));
            let test = match ty.kind {
                Kind::Integer | Kind::Number => {
                    let numbers = allowed
                        .iter()
                        .filter_map(|v| v.as_f64())
                        .map(Literal::f64_suffixed);
                    quote!([#(#numbers),*].contains(&(*#v as f64)))
                }
                _ => {
                    let texts = list.iter().map(|t| Literal::string(t));
                    quote!({
                        let text = #private::serde_json::to_string(&#private::AsProperty(#v)).unwrap_or_default();
                        [#(#texts),*].contains(&text.as_str())
                    })
                }
            };
            out.push(quote! {
                #[allow(clippy::float_cmp, clippy::cast_precision_loss)]
                let ok = #test;
                if !ok {
                    let text = #private::serde_json::to_string(&#private::AsProperty(#v)).unwrap_or_default();
                    #push
                }
            });
        }
        if let Some(m) = c.multiple_of.filter(|m| m.is_finite() && *m > 0.0) {
            if matches!(ty.kind, Kind::Integer | Kind::Number) {
                let lit = Literal::f64_suffixed(m);
                let text = format!("must be a multiple of {m}");
                let push = violation("multipleOf", quote!(::std::format!("{} {}", #v, #text)));
                // As jsonschema decides it: the quotient's fraction, within float error.
                out.push(quote! {
                    #[allow(clippy::cast_precision_loss, clippy::unnecessary_cast)]
                    let fraction = (*#v as f64 / #lit).fract().abs();
                    if fraction.is_nan() || (f64::EPSILON..1.0 - f64::EPSILON).contains(&fraction) { #push }
                });
            }
        }
        if c.unique_items && matches!(ty.kind, Kind::Array(_)) {
            let push = violation(
                "uniqueItems",
                quote!(::std::format!("items {} and {} are equal", first, second)),
            );
            out.push(quote! {
                let texts: ::std::vec::Vec<::std::string::String> = #v
                    .iter()
                    .map(|item| #private::serde_json::to_string(&#private::AsProperty(item)).unwrap_or_default())
                    .collect();
                if let ::std::option::Option::Some((first, second)) = (0..texts.len())
                    .flat_map(|i| (i + 1..texts.len()).map(move |j| (i, j)))
                    .find(|&(i, j)| texts[i] == texts[j])
                {
                    #push
                }
            });
        }
        if let Some(tuple) = &c.tuple {
            out.push(self.tuple_checks(tuple, &v, &path));
        }
        if let Some(values) = c
            .forbidden
            .as_ref()
            .filter(|_| !matches!(ty.kind, Kind::DateTime))
        {
            let texts = values.iter().map(|v| Literal::string(&v.to_string()));
            let push = violation(
                "not",
                quote!(::std::format!("{} is a value the plan rules out", text)),
            );
            out.push(quote! {
                let text = #private::serde_json::to_string(&#private::AsProperty(#v)).unwrap_or_default();
                if [#(#texts),*].contains(&text.as_str()) { #push }
            });
        }
        if let (Some(patterns), Kind::MapOf(_)) = (&c.key_patterns, &ty.kind) {
            let check = self.key_check(patterns, quote!(key), quote!(key_path));
            out.push(quote! {
                for key in #v.keys() {
                    let key_path = ::std::format!("{}/{}", #path, key.replace('~', "~0").replace('/', "~1"));
                    #check
                }
            });
        }
        out
    }

    /// Checks of a tuple `v` (a `&Vec<serde_json::Value>`) position by position, on the JSON
    /// form of each item.
    fn tuple_checks(&self, tuple: &Tuple, v: &TokenStream, path: &TokenStream) -> TokenStream {
        let krate = &self.krate;
        let private = &self.private;
        let positions = tuple.positions.iter().enumerate().map(|(i, check)| {
            let index = Literal::usize_unsuffixed(i);
            let type_test = (!check.types.is_empty()).then(|| {
                let tests = check.types.iter().map(|t| json_type_test(t, quote!(item)));
                let expected = check.types.join(" or ");
                quote! {
                    if !(#(#tests)||*) {
                        out.push(#krate::Violation { path: item_path.clone(), rule: "type", message: ::std::format!("{} is not {}", item, #expected) });
                    }
                }
            });
            let allowed_test = check.allowed.as_ref().map(|values| {
                let texts = values.iter().map(|v| Literal::string(&v.to_string()));
                let list: Vec<String> = values.iter().map(ToString::to_string).collect();
                let text = format!("must be one of {}", list.join(", "));
                quote! {
                    let allowed = [#(#texts),*];
                    if !allowed.iter().any(|a| #private::serde_json::from_str::<#private::serde_json::Value>(a).ok().as_ref() == ::std::option::Option::Some(item)) {
                        out.push(#krate::Violation { path: item_path.clone(), rule: "enum", message: ::std::format!("{} {}", item, #text) });
                    }
                }
            });
            if type_test.is_none() && allowed_test.is_none() {
                return TokenStream::new();
            }
            let item = if i == 0 {
                quote!(#v.first())
            } else {
                quote!(#v.get(#index))
            };
            quote! {
                if let ::std::option::Option::Some(item) = #item {
                    let item_path = ::std::format!("{}/{}", #path, #index);
                    #type_test
                    #allowed_test
                }
            }
        });
        let closed = tuple.closed.then(|| {
            let n = Literal::usize_unsuffixed(tuple.positions.len());
            quote! {
                if #v.len() > #n {
                    out.push(#krate::Violation {
                        path: (#path).to_owned(),
                        rule: "additionalItems",
                        message: ::std::format!("has {} items, the tuple has {} positions", #v.len(), #n),
                    });
                }
            }
        });
        quote! { #(#positions)* #closed }
    }

    fn string_enum(&self, e: &EnumDef) -> TokenStream {
        let krate = &self.krate;
        let private = &self.private;
        let name = ident(&e.name);
        let doc = docs(e.description.as_deref(), &[]);
        let variants = e.variants.iter().map(|(variant, wire)| {
            let variant = ident(variant);
            let doc = Literal::string(&format!(" `{}`", wire.escape_debug()));
            quote! { #[doc = #doc] #variant, }
        });
        let arms = e.variants.iter().map(|(variant, wire)| {
            let variant = ident(variant);
            let wire = Literal::string(wire);
            quote! { #name::#variant => #wire, }
        });
        let wires = e.variants.iter().map(|(_, wire)| Literal::string(wire));
        let deserialize = self.enum_deserialize(&e.name, &e.variants);
        let all = e.variants.iter().map(|(variant, _)| {
            let variant = ident(variant);
            quote!(#name::#variant)
        });
        quote! {
            #doc
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum #name {
                #(#variants)*
            }
            impl #name {
                /// Every value, in the plan's order.
                pub const ALL: &'static [#name] = &[#(#all),*];

                /// The value as sent, byte-exact.
                pub const fn as_str(self) -> &'static str {
                    match self {
                        #(#arms)*
                    }
                }
            }
            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
            impl #krate::PropertyValue for #name {
                fn serialize_property<S: #private::serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::std::result::Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.as_str())
                }
                fn write_json(
                    &self,
                    out: &mut ::std::vec::Vec<u8>,
                ) -> ::std::result::Result<(), #krate::EncodeError> {
                    #krate::PropertyValue::write_json(self.as_str(), out)
                }
            }
            impl #krate::StringProperty for #name {}
            impl #krate::StringEnum for #name {
                const VALUES: &'static [&'static str] = &[#(#wires),*];
            }
            #deserialize
        }
    }

    fn union(&self, u: &UnionDef) -> TokenStream {
        let krate = &self.krate;
        let private = &self.private;
        let name = ident(&u.name);
        let mode_doc = match u.mode {
            UnionMode::Types => Vec::new(),
            UnionMode::AnyOf => vec![
                "One of the plan's `anyOf` branches, sent as that branch; decoding takes the first branch that accepts the value, and `violations()` checks that at least one branch matches.".to_owned(),
            ],
            UnionMode::OneOf => vec![
                "Exactly one of the plan's `oneOf` branches, sent as that branch; decoding takes the first branch that accepts the value, and `violations()` checks that exactly one branch matches.".to_owned(),
            ],
        };
        let doc = docs(u.description.as_deref(), &mode_doc);
        let variants = u.variants.iter().map(|(variant, ty)| {
            let variant = ident(variant);
            let ty = self.ty(ty);
            quote! { #variant(#ty), }
        });
        let deserialize = self.union_deserialize(u);
        let violations = self.is_checked(&u.name).then(|| self.union_violations(u));
        let violations_at = self.violations_at_method(&u.name);
        let arms = u.variants.iter().map(|(variant, ty)| {
            let variant = ident(variant);
            let value = self.convert(ty, quote!(v));
            quote! { #name::#variant(v) => #krate::PropertyValue::serialize_property(&#value, serializer), }
        });
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq)]
            pub enum #name {
                #(#variants)*
            }
            impl #krate::PropertyValue for #name {
                fn serialize_property<S: #private::serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::std::result::Result<S::Ok, S::Error> {
                    match self {
                        #(#arms)*
                    }
                }
                #violations_at
            }
            #deserialize
            #violations
        }
    }

    /// `PropertyValue::violations_at` of a checked object or union: its checks under `path`, so a
    /// derived type holding it reports them too. `None` (nothing, the default) when unchecked.
    fn violations_at_method(&self, name: &str) -> Option<TokenStream> {
        let krate = &self.krate;
        self.is_checked(name).then(|| {
            quote! {
                fn violations_at(&self, path: &str, out: &mut ::std::vec::Vec<#krate::Violation>) {
                    self.__trackplan_violations(path, out);
                }
            }
        })
    }

    /// `violations()` of a union. For `type: [A, B]` (and branches of distinct JSON types) the
    /// held value's checks are the verdict. For `anyOf`/`oneOf` whose branches may overlap, the
    /// value's JSON form is tried against every branch, as a validator would: none matching
    /// reports the held branch's violations, and for `oneOf` more than one is a violation.
    fn union_violations(&self, u: &UnionDef) -> TokenStream {
        let krate = &self.krate;
        let private = &self.private;
        let name = ident(&u.name);
        let held_arms = u.variants.iter().map(|(variant, ty)| {
            let variant = ident(variant);
            let body = self.check(ty, quote!(v), quote!(path));
            quote!(#name::#variant(v) => { #body })
        });
        let held = quote! {
            #[allow(clippy::match_single_binding, unused_variables)]
            match self {
                #(#held_arms)*
            }
        };
        let body = match u.mode {
            UnionMode::Types => held,
            UnionMode::AnyOf | UnionMode::OneOf => {
                let tries = u.variants.iter().map(|(_, ty)| {
                    let wire_ty = self.wire_ty(ty);
                    let field_ty = self.ty(ty);
                    let value = match self.wire_to_field(ty) {
                        Some(convert) => quote!(#convert),
                        None => quote!(v),
                    };
                    let check = self.check(ty, quote!(v), quote!(path));
                    quote! {
                        if let ::std::result::Result::Ok(v) = <#wire_ty as #private::serde::Deserialize>::deserialize(&json) {
                            let v: #field_ty = #value;
                            #[allow(unused_variables)]
                            let v = &v;
                            let mut found: ::std::vec::Vec<#krate::Violation> = ::std::vec::Vec::new();
                            {
                                #[allow(unused_variables)]
                                let out = &mut found;
                                #check
                            }
                            if found.is_empty() {
                                matched += 1;
                            }
                        }
                    }
                });
                let keyword = if u.mode == UnionMode::OneOf {
                    "oneOf"
                } else {
                    "anyOf"
                };
                let exclusive = (u.mode == UnionMode::OneOf).then(|| {
                    quote! {
                        if matched > 1 {
                            out.push(#krate::Violation {
                                path: path.to_owned(),
                                rule: "oneOf",
                                message: ::std::format!("matches {} branches of `oneOf`, exactly one allowed", matched),
                            });
                        }
                    }
                });
                quote! {
                    let json = #private::serde_json::to_value(#private::AsProperty(self)).unwrap_or_default();
                    let mut matched = 0usize;
                    #(#tries)*
                    if matched == 0 {
                        let before = out.len();
                        #held
                        if out.len() == before {
                            out.push(#krate::Violation {
                                path: path.to_owned(),
                                rule: #keyword,
                                message: ::std::string::String::from("matches none of the branches"),
                            });
                        }
                    }
                    #exclusive
                }
            }
        };
        quote! {
            impl #name {
                #[doc(hidden)]
                pub fn __trackplan_violations(&self, path: &str, out: &mut ::std::vec::Vec<#krate::Violation>) {
                    #body
                }
            }
        }
    }
}

/// Push `violation` unless the string `v` matches the ECMA-262 `pattern` (unanchored), compiled
/// once per process.
fn regex_check(
    private: &syn::Path,
    v: &TokenStream,
    pattern: &str,
    violation: TokenStream,
) -> TokenStream {
    let lit = Literal::string(pattern);
    quote! {{
        static PATTERN: ::std::sync::OnceLock<::std::option::Option<#private::regress::Regex>> =
            ::std::sync::OnceLock::new();
        if let ::std::option::Option::Some(re) = PATTERN.get_or_init(|| #private::regress::Regex::new(#lit).ok()) {
            if re.find(#v).is_none() {
                #violation
            }
        }
    }}
}

/// An expression: whether `key` matches one of the ECMA-262 `patterns` (compiled once per
/// process).
fn key_matches(private: &syn::Path, patterns: &[String], key: &TokenStream) -> TokenStream {
    let lits = patterns.iter().map(|p| Literal::string(p));
    quote! {{
        static PATTERNS: ::std::sync::OnceLock<::std::vec::Vec<#private::regress::Regex>> =
            ::std::sync::OnceLock::new();
        PATTERNS
            .get_or_init(|| [#(#lits),*].iter().filter_map(|p| #private::regress::Regex::new(p).ok()).collect())
            .iter()
            .any(|re| re.find(#key).is_some())
    }}
}

/// An expression: whether the `serde_json::Value` `item` is of the JSON Schema type `name`
/// (an integer is a number without a fraction, as JSON Schema counts it).
fn json_type_test(name: &str, item: TokenStream) -> TokenStream {
    match name {
        "string" => quote!(#item.is_string()),
        "integer" => {
            quote!((#item.is_i64() || #item.is_u64() || #item.as_f64().is_some_and(|f| f.fract() == 0.0)))
        }
        "number" => quote!(#item.is_number()),
        "boolean" => quote!(#item.is_boolean()),
        "object" => quote!(#item.is_object()),
        "array" => quote!(#item.is_array()),
        "null" => quote!(#item.is_null()),
        _ => quote!(true),
    }
}

/// `let v = <expr>;`, or nothing when the expression already is `v`.
fn rebind(value: &TokenStream) -> TokenStream {
    if value.to_string() == "v" {
        TokenStream::new()
    } else {
        quote!(let v = #value;)
    }
}

fn contains_datetime(ty: &Ty) -> bool {
    match &ty.kind {
        Kind::DateTime => true,
        Kind::Array(item) | Kind::MapOf(item) => contains_datetime(item),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_json_quoted_with_their_colon() {
        assert_eq!(quoted_key("a").to_string(), r#""\"a\":""#);
        let torture = "42_--terrible==\\\"event'++name~!3";
        let key = quoted_key(torture);
        let lit: syn::LitStr = syn::parse2(quote!(#key)).unwrap();
        assert_eq!(
            lit.value(),
            format!("{}:", serde_json::to_string(torture).unwrap())
        );
    }

    #[test]
    fn pointer_tokens_escape_tilde_and_slash() {
        let token = pointer_token("a/b~c");
        let lit: syn::LitStr = syn::parse2(quote!(#token)).unwrap();
        assert_eq!(lit.value(), "a~1b~0c");
    }

    #[test]
    fn descriptions_never_become_code_blocks() {
        assert_eq!(doc_text("    indented code?"), "indented code?");
        assert_eq!(doc_text("```rust"), "\\`\\`\\`rust");
        let tokens = docs(Some("line one\n    line two"), &["Sent as `x`.".to_owned()]).to_string();
        assert!(tokens.contains(r#"" line two""#), "{tokens}");
        assert!(
            tokens.contains(r#""""#),
            "a blank line separates the description from notes: {tokens}"
        );
    }
}
