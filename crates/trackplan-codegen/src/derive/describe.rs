//! `impl Describe` (and `DescribeEvent` for events): the JSON Schema of a derived type, composed
//! from its field types' own `Describe` impls, so each Rust type maps to one schema, decided in
//! core's `describe.rs`.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{parse_quote, WhereClause};

use super::ast::{Container, Field};
use super::constraint::schema_keywords;
use super::expand::{mentions_any, option_inner};
use super::Derive;
use crate::facade_path;
use serde_json::Value;
use trackplan_plan::pii::PII_KEY;
use trackplan_plan::CONSENT_KEY;

pub fn expand(container: &Container<'_>, krate: &syn::Path) -> TokenStream {
    let private = facade_path::private_path(krate);
    let ident = container.ident;
    let (impl_generics, ty_generics, _) = container.generics.split_for_impl();
    let where_clause = where_clause(container, krate);
    let description = optional_str(&private, container.attrs.docs.as_deref());
    let body = match container.derive {
        Derive::Enum => quote! {
            #private::describe::string_enum(
                <Self as #krate::StringEnum>::VALUES,
                #description,
            )
        },
        _ => {
            let properties = container
                .sent_fields()
                .map(|field| property(&private, field));
            // Only one of the two traits is picked per field: the other import is unused by
            // design.
            let keywords = item_keywords(container);
            quote! {
                #[allow(unused_imports)]
                use #private::describe::{ViaAnyValue as _, ViaDescribe as _};
                #private::describe::with_keywords(
                    #private::describe::ObjectSchema::from_properties(
                        __schemas,
                        #description,
                        &[#(#properties),*],
                    ),
                    #keywords,
                )
            }
        }
    };
    // Named objects are shared under `$defs` when a payload uses them twice.
    let shared_name = (container.derive == Derive::Properties).then(|| {
        let name = ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name);
        quote! {
            fn shared_name() -> #private::Option<&'static str> {
                #private::Some(#name)
            }
        }
    });
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
            // The borrows of the autoref specialisation are spanned on the user's field types.
            #[allow(clippy::needless_borrow)]
            fn describe(
                __schemas: &mut #private::describe::SchemaGenerator,
            ) -> #private::serde_json::Value {
                #body
            }
            #shared_name
        }
        #event
    }
}

/// The `PropertyEntry` of one sent field.
fn property(private: &syn::Path, field: &Field<'_>) -> TokenStream {
    let wire = &field.wire.value;
    let description = optional_str(private, field.attrs.docs.as_deref());
    let keywords = field_keywords(field);
    // A serde field is left out when `None`, like other fields: its `Option` is the derive's,
    // and the type inside may not describe itself.
    let (ty, optional) = match (field.attrs.serde, option_inner(field.ty)) {
        (true, Some(inner)) => (inner, true),
        _ => (field.ty, false),
    };
    // The borrows are the autoref specialisation (core's `FieldType`), spanned on the user's type.
    let schema = quote_spanned! {ty.span()=>
        (&&#private::describe::FieldType::<#ty>::new()).field_schema_fn()
    };
    quote! {
        #private::describe::PropertyEntry {
            wire_name: #wire,
            description: #description,
            constraints: #keywords,
            optional: #optional,
            schema: #schema,
        }
    }
}

/// The keywords written onto a field's schema beyond its type, as JSON object text (empty when
/// none): its constraints, and `"x-pii"` for personal data, as a plan marks it.
fn field_keywords(field: &Field<'_>) -> String {
    let mut keywords = schema_keywords(&field.attrs.constraints);
    if let Some(pii) = &field.attrs.pii {
        keywords.insert(PII_KEY.to_owned(), pii.mark.to_json());
    }
    if keywords.is_empty() {
        String::new()
    } else {
        Value::Object(keywords).to_string()
    }
}

/// The rule-level keywords of an event's or traits' schema as JSON object text (empty when
/// none): `"x-consent"`, the categories its messages need.
fn item_keywords(container: &Container<'_>) -> String {
    let consent: Vec<String> = container
        .attrs
        .consent
        .iter()
        .map(syn::LitStr::value)
        .collect();
    if consent.is_empty() {
        String::new()
    } else {
        serde_json::json!({ CONSENT_KEY: consent }).to_string()
    }
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
