//! `serde::Deserialize` and `Decode` for derived types, by the same generator as `plan!` types
//! ([`crate::emit::decode`]): the struct's properties object with the same wire names, an
//! `Option<T>` field absent when its key is, a `Nullable<T>` field absent, `null` or a value.
//!
//! Field types need not implement `Deserialize`: every field type is bounded in the impl's
//! where-clause with the decoder's lifetime (`FieldTy: Deserialize<'de>`), so for a struct
//! holding, say, a `#[property(serde)]` type that only implements `Serialize`, the impl just
//! does not apply, and the struct still sends.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{parse_quote, GenericArgument, PathArguments, Type};

use super::ast::{Container, Field};
use super::Derive;
use crate::emit::decode::{
    string_enum_deserialize, DecodeField, DecodeValue, ObjectDecoder, UnknownKeys,
};
use crate::facade_path;
use crate::schema::ir::Presence;

/// The `Deserialize` and `Decode` impls of a checked container.
pub fn impls(container: &Container<'_>, krate: &syn::Path) -> TokenStream {
    let private = facade_path::private_path(krate);
    match container.derive {
        Derive::Enum => {
            let variants: Vec<(TokenStream, String)> = container
                .variants()
                .iter()
                .map(|v| {
                    let ident = v.ident;
                    (quote!(#ident), v.wire.value.clone())
                })
                .collect();
            string_enum_deserialize(krate, &private, container.ident, &variants)
        }
        _ => {
            let deserialize = object_deserialize(container, krate, &private);
            let decode = decode_impl(container, krate);
            quote!(#deserialize #decode)
        }
    }
}

fn object_deserialize(
    container: &Container<'_>,
    krate: &syn::Path,
    private: &syn::Path,
) -> TokenStream {
    let ident = container.ident;
    let mut generics = container.generics.clone();
    generics.params.insert(0, parse_quote!('de));
    let (impl_generics, visitor_generics, _) = generics.split_for_impl();
    let (_, ty_generics, _) = container.generics.split_for_impl();
    let mut where_clause = container
        .generics
        .where_clause
        .clone()
        .unwrap_or_else(|| parse_quote!(where));
    let mut fields = Vec::new();
    let mut defaults = Vec::new();
    for field in container.fields() {
        let member = field.member;
        if field.attrs.skip.is_some() {
            let ty = field.ty;
            where_clause
                .predicates
                .push(parse_quote!(#ty: #private::DefaultIn<'de>));
            defaults.push(quote!(#member));
            continue;
        }
        let (presence, wire_ty) = presence_of(field);
        where_clause
            .predicates
            .push(parse_quote!(#wire_ty: #private::serde::Deserialize<'de>));
        fields.push(DecodeField {
            wire: field.wire.value.clone(),
            value: DecodeValue::Member {
                member: quote!(#member),
                presence,
                wire_ty: quote!(#wire_ty),
                convert: None,
            },
        });
    }
    let defaults = defaults
        .into_iter()
        .map(|member| quote!(#member: <_ as #private::DefaultIn<'de>>::default_in()))
        .collect();
    ObjectDecoder {
        krate,
        private,
        name: quote!(#ident),
        impl_generics: quote!(#impl_generics),
        self_ty: quote!(#ident #ty_generics),
        where_clause: quote!(#where_clause),
        visitor_generics: (quote!(#impl_generics), quote!(#visitor_generics)),
        expecting: format!("the properties of `{ident}`"),
        fields,
        defaults,
        unknown: UnknownKeys::Ignore,
    }
    .expand()
}

/// How a field is present, and the type its value is read as: `Option<T>` may be absent,
/// `Nullable<T>` absent or `null`; anything else is required.
fn presence_of<'a>(field: &Field<'a>) -> (Presence, &'a Type) {
    match wrapper(field.ty) {
        Some(("Option", inner)) => (Presence::Optional, inner),
        Some(("Nullable", inner)) => (Presence::OptionalNullable, inner),
        _ => (Presence::Required, field.ty),
    }
}

/// (`Option` or `Nullable`, `T`) for a type spelled `Option<T>` or `Nullable<T>` (any path).
fn wrapper(ty: &Type) -> Option<(&'static str, &Type)> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    let name = match last.ident.to_string().as_str() {
        "Option" => "Option",
        "Nullable" => "Nullable",
        _ => return None,
    };
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) if args.args.len() == 1 => Some((name, inner)),
        _ => None,
    }
}

/// `Decode`: a derived event is a track message of its name; traits come with identify and
/// group; properties with page and screen.
fn decode_impl(container: &Container<'_>, krate: &syn::Path) -> TokenStream {
    let ident = container.ident;
    let (impl_generics, ty_generics, where_clause) = container.generics.split_for_impl();
    let (calls, name) = match container.derive {
        Derive::Event => {
            let name = container
                .event_name
                .as_ref()
                .map(|n| n.value.as_str())
                .unwrap_or_default();
            (
                quote!(&[#krate::CallType::Track]),
                quote!(::std::option::Option::Some(#name)),
            )
        }
        Derive::Traits => (
            quote!(&[#krate::CallType::Identify, #krate::CallType::Group]),
            quote!(::std::option::Option::None),
        ),
        _ => (
            quote!(&[#krate::CallType::Page, #krate::CallType::Screen]),
            quote!(::std::option::Option::None),
        ),
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Decode for #ident #ty_generics #where_clause {
            const CALLS: &'static [#krate::CallType] = #calls;
            const NAME: ::std::option::Option<&'static str> = #name;
        }
    }
}
