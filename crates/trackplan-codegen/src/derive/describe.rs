//! `impl Describe` (and `DescribeEvent` for events): the JSON Schema of a derived type, as
//! constant data composed from its field types' own `Describe` impls (core's `describe.rs`
//! decides each Rust type's schema and builds the JSON). A constant, not a function: describing
//! a type adds nothing to compile but a table.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{parse_quote, WhereClause};

use super::ast::{Container, Field};
use super::constraint::schema_keywords;
use super::expand::{mentions_any, option_inner};
use super::Derive;
use crate::facade_path;
use serde_json::{json, Map, Value};
use trackplan_plan::pii::PII_KEY;
use trackplan_plan::CONSENT_KEY;

pub fn expand(container: &Container<'_>, krate: &syn::Path) -> TokenStream {
    let private = facade_path::private_path(krate);
    let describe = quote!(#private::describe);
    let ident = container.ident;
    let (impl_generics, ty_generics, _) = container.generics.split_for_impl();
    let where_clause = where_clause(container, krate);
    let schema = match container.derive {
        Derive::Enum => {
            let description = optional_str(&private, container.attrs.docs.as_deref());
            quote! {
                #describe::Schema::StringValues {
                    values: <Self as #krate::StringEnum>::VALUES,
                    description: #description,
                }
            }
        }
        _ => {
            let layout = object_layout(container);
            let properties = container.sent_fields().map(|field| {
                // Spanned on the user's type, so an error about it points there.
                let ty = described_type(field);
                quote_spanned!(ty.span()=> #describe::FieldType::<#ty>::PROPERTY)
            });
            let object = quote! {
                #describe::Schema::Object(&#describe::ObjectSchema {
                    layout: #layout,
                    properties: &[#(#properties),*],
                })
            };
            // Named objects are shared under `$defs` when a payload uses them twice.
            let object = if container.derive == Derive::Properties {
                let name = ident.to_string();
                let name = name.strip_prefix("r#").unwrap_or(&name);
                quote! {
                    #describe::Schema::Named {
                        name: #name,
                        type_name: #private::type_name::<Self>,
                        schema: &#object,
                    }
                }
            } else {
                object
            };
            // A field's schema is the inherent `FieldType::PROPERTY` when its type describes
            // itself, this trait's `{}` otherwise: the import is unused when every field does.
            quote! {{
                #[allow(unused_imports)]
                use #describe::AnyValue as _;
                #object
            }}
        }
    };
    let event = container.event_name.as_ref().map(|name| {
        let name = &name.value;
        quote! {
            #[automatically_derived]
            impl #impl_generics #krate::DescribeEvent for #ident #ty_generics #where_clause {
                const EVENT_NAME: &'static str = #name;
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Describe for #ident #ty_generics #where_clause {
            const SCHEMA: #describe::Schema = #schema;
        }
        #event
    }
}

/// The type a field's schema is taken from: a serde field's `Option` is the derive's (the field
/// is left out when `None`, like other fields), and the type inside may not describe itself.
fn described_type<'f>(field: &Field<'f>) -> &'f syn::Type {
    match (field.attrs.serde, option_inner(field.ty)) {
        (true, Some(inner)) => inner,
        _ => field.ty,
    }
}

/// The `ObjectSchema` layout of a struct (see core's `describe.rs`), as JSON text: its doc
/// comment and the consent it needs, and per sent field the wire name, the keywords written onto
/// its schema (doc comment, constraints, `"x-pii"` as a plan marks personal data), and whether a
/// serde field's `Option` makes it optional.
fn object_layout(container: &Container<'_>) -> String {
    let mut layout = Map::new();
    if let Some(docs) = &container.attrs.docs {
        layout.insert("description".to_owned(), json!(docs));
    }
    let consent: Vec<String> = container
        .attrs
        .consent
        .iter()
        .map(syn::LitStr::value)
        .collect();
    if !consent.is_empty() {
        layout.insert(CONSENT_KEY.to_owned(), json!(consent));
    }
    let properties = container.sent_fields().map(|field| {
        let mut keywords = schema_keywords(&field.attrs.constraints);
        if let Some(pii) = &field.attrs.pii {
            keywords.insert(PII_KEY.to_owned(), pii.mark.to_json());
        }
        if let Some(docs) = &field.attrs.docs {
            keywords.insert("description".to_owned(), json!(docs));
        }
        let mut property = Map::new();
        property.insert("name".to_owned(), json!(field.wire.value));
        if !keywords.is_empty() {
            property.insert("schema".to_owned(), Value::Object(keywords));
        }
        if field.attrs.serde && option_inner(field.ty).is_some() {
            property.insert("optional".to_owned(), json!(true));
        }
        Value::Object(property)
    });
    layout.insert("properties".to_owned(), properties.collect());
    Value::Object(layout).to_string()
}

fn optional_str(private: &syn::Path, text: Option<&str>) -> TokenStream {
    match text {
        Some(text) => quote!(#private::Some(#text)),
        None => quote!(#private::None),
    }
}

/// The item's where clause plus `FieldType: Describe` for each described field type that
/// mentions a type parameter.
fn where_clause(container: &Container<'_>, krate: &syn::Path) -> Option<WhereClause> {
    let generics = container.generics;
    let params: Vec<&Ident> = generics.type_params().map(|param| &param.ident).collect();
    let mut clause = generics.where_clause.clone();
    if params.is_empty() {
        return clause;
    }
    // Generic fields take their schema only under these bounds (see core's `FieldType`).
    for field in container.sent_fields().filter(|f| !f.attrs.serde) {
        let ty = field.ty;
        if mentions_any(ty.to_token_stream(), &params) {
            clause
                .get_or_insert_with(|| parse_quote!(where))
                .predicates
                .push(parse_quote!(#ty: #krate::Describe));
        }
    }
    clause
}
