//! Constraint attributes (`#[property(min = 1, pattern = "...")]`) as code: the keywords the
//! field's schema gets, and the derived `violations()`.
//!
//! The checks are the generated types' own (`Emitter::own_checks`, driven by `schema::ir::Checks`):
//! this module only builds `Checks` from the attributes and hands `own_checks` the value to check,
//! which core's `NumberConstraint`, `StringConstraint` and `ArrayConstraint` extract. Those trait
//! calls are spelled with the attribute's span, so a constraint on the wrong kind of field fails
//! to compile on the attribute.

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use serde_json::{json, Map, Value};

use super::ast::{Container, Field};
use super::attr::Constraints;
use crate::emit::Emitter;
use crate::facade_path;
use crate::schema::ir::{Checks, Kind, Ty, TypeSpace};

/// The JSON Schema keywords of a field's constraints (`{"minimum": 1}`).
pub fn schema_keywords(constraints: &Constraints) -> Map<String, Value> {
    let c = constraints;
    let mut keywords = Map::new();
    let numbers = [
        ("minimum", c.min),
        ("maximum", c.max),
        ("exclusiveMinimum", c.exclusive_min),
        ("exclusiveMaximum", c.exclusive_max),
    ];
    for (keyword, bound) in numbers {
        if let Some((value, _)) = bound {
            keywords.insert(keyword.to_owned(), json_number(value));
        }
    }
    let counts = [
        ("minLength", c.min_length),
        ("maxLength", c.max_length),
        ("minItems", c.min_items),
        ("maxItems", c.max_items),
    ];
    for (keyword, count) in counts {
        if let Some((value, _)) = count {
            keywords.insert(keyword.to_owned(), json!(value));
        }
    }
    for (keyword, text) in [("pattern", &c.pattern), ("format", &c.format)] {
        if let Some(lit) = text {
            keywords.insert(keyword.to_owned(), json!(lit.value()));
        }
    }
    if c.unique_items.is_some() {
        keywords.insert("uniqueItems".to_owned(), json!(true));
    }
    keywords
}

/// A whole bound as a JSON integer (`1`, not `1.0`), as plans write them.
fn json_number(value: f64) -> Value {
    // Whole and inside the range where f64 holds integers exactly.
    if value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// `fn violations(&self)` for a struct with constrained fields or fields that may hold objects
/// with constraints of their own, `None` when it has neither (the trait's default, nothing).
pub fn violations_fn(container: &Container<'_>, krate: &syn::Path) -> Option<TokenStream> {
    let space = TypeSpace {
        plan_name: String::new(),
        items: Vec::new(),
    };
    let emitter = Emitter::new(&space, krate);
    let private = facade_path::private_path(krate);
    // Field by field, as generated types check: its own constraints, then those of the objects
    // nested in it, under the field's pointer.
    let mut checks = Vec::new();
    for field in container.sent_fields() {
        if !field.attrs.constraints.is_empty() {
            checks.push(field_checks(&emitter, &private, field));
        }
        if !field.attrs.serde && may_hold_constraints(field.ty) {
            let member = &field.member;
            let pointer = field_pointer(field);
            let ty = field.ty;
            // Nothing when the type is no property value: that is reported where it is written.
            checks.push(quote! {{
                #[allow(unused_imports)]
                use #private::NoNestedChecks as _;
                (#private::NestedChecks::<#ty>::AT)(&self.#member, #pointer, &mut out);
            }});
        }
    }
    if checks.is_empty() {
        return None;
    }
    Some(quote! {
        fn violations(&self) -> #private::Vec<#krate::Violation> {
            let mut out = #private::Vec::new();
            #(#checks)*
            out
        }
    })
}

/// Whether a field of type `ty` may hold an object with constraints: anything but the scalar
/// and string types trackplan sends, and sequences, maps and options of them. Read from the
/// type's spelling, so a field of a type named like a scalar is taken to be one (its nested
/// checks, if it had any, would be missed; nothing fails to compile).
fn may_hold_constraints(ty: &syn::Type) -> bool {
    const LEAVES: &[&str] = &[
        "String",
        "str",
        "bool",
        "char",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "isize",
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "usize",
        "f32",
        "f64",
        "Value",
        "Cow",
        "OffsetDateTime",
        "UtcDateTime",
        "DateTime",
    ];
    const CONTAINERS: &[&str] = &[
        "Option", "Vec", "Box", "Nullable", "BTreeMap", "HashMap", "Rc", "Arc",
    ];
    match ty {
        syn::Type::Reference(reference) => may_hold_constraints(&reference.elem),
        syn::Type::Array(array) => may_hold_constraints(&array.elem),
        syn::Type::Slice(slice) => may_hold_constraints(&slice.elem),
        syn::Type::Paren(paren) => may_hold_constraints(&paren.elem),
        syn::Type::Group(group) => may_hold_constraints(&group.elem),
        syn::Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return true;
            };
            let name = last.ident.to_string();
            if LEAVES.contains(&name.as_str()) {
                return false;
            }
            if !CONTAINERS.contains(&name.as_str()) {
                return true;
            }
            match &last.arguments {
                syn::PathArguments::AngleBracketed(args) => args.args.iter().any(
                    |arg| matches!(arg, syn::GenericArgument::Type(ty) if may_hold_constraints(ty)),
                ),
                _ => true,
            }
        }
        _ => true,
    }
}

/// The field's JSON pointer inside its object (`/wire`, RFC 6901 escapes).
fn field_pointer(field: &Field<'_>) -> Literal {
    Literal::string(&format!(
        "/{}",
        field.wire.value.replace('~', "~0").replace('/', "~1")
    ))
}

/// The checks of one field, each kind of constraint on the value its trait extracts.
fn field_checks(emitter: &Emitter<'_>, private: &syn::Path, field: &Field<'_>) -> TokenStream {
    let c = &field.attrs.constraints;
    let pointer = field_pointer(field);
    let mut blocks = Vec::new();
    if let Some(span) = c.number_span() {
        let checks = Checks {
            minimum: c.min.map(|(v, _)| v),
            maximum: c.max.map(|(v, _)| v),
            exclusive_minimum: c.exclusive_min.map(|(v, _)| v),
            exclusive_maximum: c.exclusive_max.map(|(v, _)| v),
            ..Checks::default()
        };
        let own = own_checks(emitter, Kind::Number, checks);
        let extract = extract(private, field, span, "number_constraint");
        blocks.push(quote! {
            if let #private::Some(v) = #extract {
                let v = &v;
                #(#own)*
            }
        });
    }
    if let Some(span) = c.string_span() {
        let checks = Checks {
            min_length: c.min_length.map(|(v, _)| v),
            max_length: c.max_length.map(|(v, _)| v),
            pattern: c.pattern.as_ref().map(syn::LitStr::value),
            format: c.format.as_ref().map(syn::LitStr::value),
            ..Checks::default()
        };
        let own = own_checks(emitter, Kind::String, checks);
        let extract = extract(private, field, span, "string_constraint");
        blocks.push(quote! {
            if let #private::Some(v) = #extract {
                #(#own)*
            }
        });
    }
    if let Some(span) = c.array_span() {
        let checks = Checks {
            min_items: c.min_items.map(|(v, _)| v),
            max_items: c.max_items.map(|(v, _)| v),
            unique_items: c.unique_items.is_some(),
            ..Checks::default()
        };
        let own = own_checks(emitter, Kind::Array(Box::new(Ty::plain(Kind::Any))), checks);
        let extract = extract(private, field, span, "array_constraint");
        blocks.push(quote! {
            if let #private::Some(v) = #extract {
                #(#own)*
            }
        });
    }
    quote! {{
        let path: &str = #pointer;
        #(#blocks)*
    }}
}

fn own_checks(emitter: &Emitter<'_>, kind: Kind, checks: Checks) -> Vec<TokenStream> {
    let ty = Ty {
        kind,
        checks,
        nullable: false,
    };
    emitter.own_checks(&ty, quote!(v), quote!(path))
}

/// `__private01::<extractor>::<FieldType>(&self.field)`, spelled with the attribute's span (the
/// field type's tokens too) so its trait bound fails on the attribute.
fn extract(private: &syn::Path, field: &Field<'_>, span: Span, extractor: &str) -> TokenStream {
    let ty = respan(field.ty.to_token_stream(), span);
    let mut member = field.member.clone();
    member.set_span(span);
    let extractor = syn::Ident::new(extractor, span);
    quote_spanned!(span=> #private::#extractor::<#ty>(&self.#member))
}

fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fields_that_may_hold_objects_report_nested_violations() {
        let nests = |ty: syn::Type| may_hold_constraints(&ty);
        for leaf in [
            syn::parse_quote!(String),
            syn::parse_quote!(Option<Vec<f64>>),
            syn::parse_quote!(&'a str),
            syn::parse_quote!(std::collections::BTreeMap<String, Option<u32>>),
            syn::parse_quote!([bool; 3]),
            syn::parse_quote!(trackplan::Nullable<serde_json::Value>),
        ] {
            assert!(!nests(leaf));
        }
        for object in [
            syn::parse_quote!(Product),
            syn::parse_quote!(Vec<Product>),
            syn::parse_quote!(Option<Box<shop::Product>>),
            syn::parse_quote!(HashMap<String, Product>),
            syn::parse_quote!(T),
        ] {
            assert!(nests(object));
        }
    }

    #[test]
    fn keywords_are_json_schema_with_whole_bounds_as_integers() {
        let span = Span::call_site();
        let constraints = Constraints {
            min: Some((1.0, span)),
            exclusive_max: Some((9.5, span)),
            max_length: Some((3, span)),
            pattern: Some(syn::LitStr::new("^a", span)),
            unique_items: Some(span),
            ..Constraints::default()
        };
        assert_eq!(
            Value::Object(schema_keywords(&constraints)),
            json!({"minimum": 1, "exclusiveMaximum": 9.5, "maxLength": 3, "pattern": "^a", "uniqueItems": true})
        );
        assert!(schema_keywords(&Constraints::default()).is_empty());
    }
}
