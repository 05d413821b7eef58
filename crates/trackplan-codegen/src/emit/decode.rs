//! `serde::Deserialize` for payload objects, the inverse of their `write_properties`: one
//! generator for the types `plan!`/`trackplan generate` emit and for the derives, so both decode
//! by the same rules.
//!
//! - Keys are matched against the wire names, byte-exact, as serde_derive's identifier visitor
//!   does (one `match` on the key text).
//! - Presence mirrors encoding: a required property must be there, an optional one may be absent
//!   (and is `null` only where the type is nullable: `Option` for a required nullable property,
//!   [`Nullable`](trackplan_core::Nullable) for an optional one).
//! - A constant (a one-value `enum` or `const`, sent but not stored) must have its value.
//! - Keys the type does not declare go to its `extra` map, are ignored, or (for a schema with
//!   `additionalProperties: false`) are an error, as the plan's schema says.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{ident, Emitter};
use crate::schema::ir::{Field, Kind, Presence, StructDef, Ty, UnionDef};

/// One object type's decoding, however it was declared.
pub(crate) struct ObjectDecoder<'a> {
    /// The facade, and its private module.
    pub krate: &'a syn::Path,
    pub private: &'a syn::Path,
    /// The struct's name, as a struct expression spells it.
    pub name: TokenStream,
    /// `impl<'de, ...>`: the item's generics with `'de` added.
    pub impl_generics: TokenStream,
    /// The type being implemented, with its generics (`Foo<T>`).
    pub self_ty: TokenStream,
    /// The where-clause of the impl (and of its visitor).
    pub where_clause: TokenStream,
    /// The visitor's generics (`<'de, T>`) as declared and as used.
    pub visitor_generics: (TokenStream, TokenStream),
    /// For error messages: "the properties of `OrderCompleted`".
    pub expecting: String,
    pub fields: Vec<DecodeField>,
    /// Initialisers (`member: value`) of fields that are not properties (a derive's `skip`).
    pub defaults: Vec<TokenStream>,
    pub unknown: UnknownKeys,
}

/// One property of an object.
pub(crate) struct DecodeField {
    /// The wire name, byte-exact.
    pub wire: String,
    pub value: DecodeValue,
}

pub(crate) enum DecodeValue {
    /// A struct field: its member, presence, the type read from JSON, and how the read value
    /// (`v`) becomes the field's (`None`: as it is).
    Member {
        member: TokenStream,
        presence: Presence,
        wire_ty: TokenStream,
        convert: Option<TokenStream>,
    },
    /// A constant: its JSON text, and whether it must be present.
    Constant { json: String, required: bool },
}

/// What an undeclared key means.
pub(crate) enum UnknownKeys {
    Ignore,
    Deny,
    /// Into this map field, values read as `wire_ty` and converted by `convert` (of `v`).
    Collect {
        member: TokenStream,
        wire_ty: TokenStream,
        convert: Option<TokenStream>,
        /// `patternProperties`: only keys for which this expression (of `__key`) holds; the
        /// others are refused when `deny_others`, else ignored.
        only: Option<(TokenStream, bool)>,
    },
}

impl ObjectDecoder<'_> {
    /// The `Deserialize` impl and its helper items (to be placed where they cannot clash:
    /// inside a `const _: () = { ... };`).
    pub fn expand(&self) -> TokenStream {
        let (krate, private) = (self.krate, self.private);
        let serde = quote!(#private::serde);
        let name = &self.name;
        let (impl_generics, self_ty, where_clause) =
            (&self.impl_generics, &self.self_ty, &self.where_clause);
        let (visitor_decl, visitor_use) = &self.visitor_generics;
        let keys: Vec<_> = (0..self.fields.len())
            .map(|i| format_ident!("__k{}", i))
            .collect();
        let slots: Vec<_> = (0..self.fields.len())
            .map(|i| format_ident!("__v{}", i))
            .collect();
        let wires: Vec<Literal> = self
            .fields
            .iter()
            .map(|f| Literal::string(&f.wire))
            .collect();
        let deny = quote!(_ => ::std::result::Result::Err(#serde::de::Error::unknown_field(__key, &[#(#wires),*])),);
        let (other_variant, other_arm) = match &self.unknown {
            UnknownKeys::Collect { only: None, .. } => (
                quote!(__other(::std::string::String),),
                quote!(_ => ::std::result::Result::Ok(__Key::__other(::std::borrow::ToOwned::to_owned(__key))),),
            ),
            UnknownKeys::Collect {
                only: Some((matches, deny_others)),
                ..
            } => {
                let others = if *deny_others {
                    deny.clone()
                } else {
                    quote!(_ => ::std::result::Result::Ok(__Key::__ignored),)
                };
                (
                    quote!(__other(::std::string::String), __ignored,),
                    quote! {
                        _ if #matches => ::std::result::Result::Ok(__Key::__other(::std::borrow::ToOwned::to_owned(__key))),
                        #others
                    },
                )
            }
            UnknownKeys::Ignore => (
                quote!(__other,),
                quote!(_ => ::std::result::Result::Ok(__Key::__other),),
            ),
            UnknownKeys::Deny => (TokenStream::new(), deny),
        };
        let slot_decls = self.fields.iter().zip(&slots).map(|(f, slot)| match &f.value {
            DecodeValue::Member {
                presence: Presence::RequiredNullable,
                wire_ty,
                ..
            } => quote!(let mut #slot: ::std::option::Option<::std::option::Option<#wire_ty>> = ::std::option::Option::None;),
            DecodeValue::Member {
                presence: Presence::OptionalNullable,
                wire_ty,
                ..
            } => quote!(let mut #slot: ::std::option::Option<#krate::Nullable<#wire_ty>> = ::std::option::Option::None;),
            DecodeValue::Member { wire_ty, .. } => {
                quote!(let mut #slot: ::std::option::Option<#wire_ty> = ::std::option::Option::None;)
            }
            DecodeValue::Constant { .. } => quote!(let mut #slot = false;),
        });
        let arms = self.fields.iter().zip(keys.iter().zip(&slots)).map(|(f, (key, slot))| {
            let wire = Literal::string(&f.wire);
            match &f.value {
                DecodeValue::Member { .. } => quote! {
                    __Key::#key => {
                        if #slot.is_some() {
                            return ::std::result::Result::Err(#serde::de::Error::duplicate_field(#wire));
                        }
                        #slot = ::std::option::Option::Some(__map.next_value()?);
                    }
                },
                DecodeValue::Constant { json, .. } => {
                    let json = Literal::string(json);
                    quote! {
                        __Key::#key => {
                            let __value: #private::serde_json::Value = __map.next_value()?;
                            if #private::serde_json::to_string(&__value).ok().as_deref() != ::std::option::Option::Some(#json) {
                                return ::std::result::Result::Err(#serde::de::Error::custom(::std::format_args!(
                                    "`{}` must be {}, found {}", #wire, #json, __value
                                )));
                            }
                            #slot = true;
                        }
                    }
                }
            }
        });
        let other = match &self.unknown {
            UnknownKeys::Collect {
                member,
                wire_ty,
                only,
                ..
            } => {
                let ignored = only.is_some().then(|| {
                    quote! {
                        __Key::__ignored => {
                            __map.next_value::<#serde::de::IgnoredAny>()?;
                        }
                    }
                });
                quote! {
                    __Key::__other(__key) => {
                        let __value: #wire_ty = __map.next_value()?;
                        #member.insert(__key, __value);
                    }
                    #ignored
                }
            }
            UnknownKeys::Ignore => quote! {
                __Key::__other => {
                    __map.next_value::<#serde::de::IgnoredAny>()?;
                }
            },
            UnknownKeys::Deny => TokenStream::new(),
        };
        let collect_decl = match &self.unknown {
            UnknownKeys::Collect {
                member, wire_ty, ..
            } => Some(quote! {
                let mut #member: ::std::collections::BTreeMap<::std::string::String, #wire_ty> =
                    ::std::collections::BTreeMap::new();
            }),
            _ => None,
        };
        let mut inits = Vec::new();
        let mut checks = Vec::new();
        for (f, slot) in self.fields.iter().zip(&slots) {
            let wire = Literal::string(&f.wire);
            let missing = quote!(#serde::de::Error::missing_field(#wire));
            match &f.value {
                DecodeValue::Constant { required: true, .. } => checks.push(quote! {
                    if !#slot {
                        return ::std::result::Result::Err(#missing);
                    }
                }),
                DecodeValue::Constant { .. } => {}
                DecodeValue::Member {
                    member,
                    presence,
                    convert,
                    ..
                } => {
                    let converted = |value: TokenStream| match convert {
                        Some(convert) => quote!(#value.map(|v| #convert)),
                        None => value,
                    };
                    let value = match presence {
                        Presence::Required => {
                            let value = quote!(#slot.ok_or_else(|| #missing)?);
                            match convert {
                                Some(convert) => quote!({ let v = #value; #convert }),
                                None => value,
                            }
                        }
                        Presence::RequiredNullable => {
                            converted(quote!(#slot.ok_or_else(|| #missing)?))
                        }
                        Presence::Optional => converted(quote!(#slot)),
                        Presence::OptionalNullable => {
                            converted(quote!(#slot.unwrap_or(#krate::Nullable::Absent)))
                        }
                    };
                    inits.push(quote!(#member: #value,));
                }
            }
        }
        let collect_init = match &self.unknown {
            UnknownKeys::Collect {
                member,
                convert: Some(convert),
                ..
            } => Some(quote!(#member: #member.into_iter().map(|(k, v)| (k, #convert)).collect(),)),
            UnknownKeys::Collect { member, .. } => Some(quote!(#member,)),
            _ => None,
        };
        let defaults = &self.defaults;
        let expecting = Literal::string(&self.expecting);
        let map_binding = if self.fields.is_empty() && matches!(self.unknown, UnknownKeys::Deny) {
            quote!(__map)
        } else {
            quote!(mut __map)
        };
        quote! {
            #[allow(non_camel_case_types)]
            enum __Key {
                #(#keys,)*
                #other_variant
            }
            impl<'de> #serde::Deserialize<'de> for __Key {
                fn deserialize<__D: #serde::Deserializer<'de>>(__deserializer: __D) -> ::std::result::Result<Self, __D::Error> {
                    struct __KeyVisitor;
                    impl #serde::de::Visitor<'_> for __KeyVisitor {
                        type Value = __Key;
                        fn expecting(&self, __f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                            __f.write_str("a property name")
                        }
                        // A struct without properties matches every key with `_`.
                        #[allow(clippy::match_single_binding)]
                        fn visit_str<__E: #serde::de::Error>(self, __key: &str) -> ::std::result::Result<__Key, __E> {
                            match __key {
                                #(#wires => ::std::result::Result::Ok(__Key::#keys),)*
                                #other_arm
                            }
                        }
                    }
                    __deserializer.deserialize_identifier(__KeyVisitor)
                }
            }
            struct __Visitor #visitor_decl #where_clause {
                marker: ::std::marker::PhantomData<fn() -> (#self_ty, &'de ())>,
            }
            impl #visitor_decl #serde::de::Visitor<'de> for __Visitor #visitor_use #where_clause {
                type Value = #self_ty;
                fn expecting(&self, __f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    __f.write_str(#expecting)
                }
                fn visit_map<__A: #serde::de::MapAccess<'de>>(self, #map_binding: __A) -> ::std::result::Result<Self::Value, __A::Error> {
                    #(#slot_decls)*
                    #collect_decl
                    while let ::std::option::Option::Some(__key) = __map.next_key::<__Key>()? {
                        match __key {
                            #(#arms)*
                            #other
                        }
                    }
                    #(#checks)*
                    ::std::result::Result::Ok(#name {
                        #(#inits)*
                        #collect_init
                        #(#defaults,)*
                    })
                }
            }
            #[automatically_derived]
            impl #impl_generics #serde::Deserialize<'de> for #self_ty #where_clause {
                fn deserialize<__D: #serde::Deserializer<'de>>(__deserializer: __D) -> ::std::result::Result<Self, __D::Error> {
                    __deserializer.deserialize_map(__Visitor { marker: ::std::marker::PhantomData })
                }
            }
        }
    }
}

/// Whether `ty` holds date-times or integers, which are read through a wire type.
fn reads_converted(ty: &Ty) -> bool {
    match &ty.kind {
        Kind::DateTime | Kind::Integer => true,
        Kind::Array(item) | Kind::MapOf(item) => reads_converted(item),
        _ => false,
    }
}

impl Emitter<'_> {
    /// The type `ty` is read from JSON as: itself, with date-times as RFC 3339 text and
    /// integers as JSON Schema counts them.
    pub(super) fn wire_ty(&self, ty: &Ty) -> TokenStream {
        if !reads_converted(ty) {
            return self.ty(ty);
        }
        let private = &self.private;
        let inner = match &ty.kind {
            Kind::DateTime => quote!(#private::Rfc3339),
            Kind::Integer => quote!(#private::Integer),
            Kind::Array(item) => {
                let item = self.wire_ty(item);
                quote!(::std::vec::Vec<#item>)
            }
            Kind::MapOf(value) => {
                let value = self.wire_ty(value);
                quote!(::std::collections::BTreeMap<::std::string::String, #value>)
            }
            _ => return self.ty(ty),
        };
        if ty.nullable {
            quote!(::std::option::Option<#inner>)
        } else {
            inner
        }
    }

    /// How a value `v` read as [`wire_ty`](Self::wire_ty) becomes a `ty`; `None` when it
    /// already is one.
    pub(super) fn wire_to_field(&self, ty: &Ty) -> Option<TokenStream> {
        if !reads_converted(ty) {
            return None;
        }
        let inner = match &ty.kind {
            Kind::DateTime | Kind::Integer => quote!(v.0),
            Kind::Array(item) => {
                let item = self.wire_to_field(item)?;
                quote!(v.into_iter().map(|v| #item).collect())
            }
            Kind::MapOf(value) => {
                let value = self.wire_to_field(value)?;
                quote!(v.into_iter().map(|(k, v)| (k, #value)).collect())
            }
            _ => return None,
        };
        Some(if ty.nullable {
            quote!(v.map(|v| #inner))
        } else {
            inner
        })
    }

    /// `Deserialize` for a generated struct, from its properties object.
    pub(super) fn struct_deserialize(&self, s: &StructDef) -> TokenStream {
        let name = ident(&s.name);
        let fields = s.fields.iter().map(|f| self.decode_field(f)).collect();
        let unknown = match &s.extra {
            Some(extra) => UnknownKeys::Collect {
                member: {
                    let member = ident(&extra.ident);
                    quote!(#member)
                },
                wire_ty: self.wire_ty(&extra.value),
                convert: self.wire_to_field(&extra.value),
                only: (!extra.key_patterns.is_empty()).then(|| {
                    let matches =
                        super::key_matches(&self.private, &extra.key_patterns, &quote!(__key));
                    (matches, s.closed)
                }),
            },
            None if s.closed => UnknownKeys::Deny,
            None => UnknownKeys::Ignore,
        };
        let what = match &s.root {
            Some(root) => format!("the properties of `{}`", root.wire_name.escape_debug()),
            None => format!("a `{}` object", s.name),
        };
        let decoder = ObjectDecoder {
            krate: &self.krate,
            private: &self.private,
            name: quote!(#name),
            impl_generics: quote!(<'de>),
            self_ty: quote!(#name),
            where_clause: TokenStream::new(),
            visitor_generics: (quote!(<'de>), quote!(<'de>)),
            expecting: what,
            fields,
            defaults: Vec::new(),
            unknown,
        }
        .expand();
        quote! {
            const _: () = {
                #decoder
            };
        }
    }

    fn decode_field(&self, f: &Field) -> DecodeField {
        let value = match &f.constant {
            Some(constant) => DecodeValue::Constant {
                json: constant.to_string(),
                required: f.presence == Presence::Required,
            },
            None => {
                let member = ident(&f.ident);
                DecodeValue::Member {
                    member: quote!(#member),
                    presence: f.presence,
                    wire_ty: self.wire_ty(&f.ty),
                    convert: self.wire_to_field(&f.ty),
                }
            }
        };
        DecodeField {
            wire: f.wire.clone(),
            value,
        }
    }

    /// `Deserialize` for a union: the JSON value is read once, then each variant tried in the
    /// plan's order; the first that accepts it wins.
    pub(super) fn union_deserialize(&self, u: &UnionDef) -> TokenStream {
        let private = &self.private;
        let serde = quote!(#private::serde);
        let name = ident(&u.name);
        let attempts = u.variants.iter().map(|(variant, ty)| {
            let variant = ident(variant);
            let wire_ty = self.wire_ty(ty);
            let value = self.wire_to_field(ty).unwrap_or_else(|| quote!(v));
            quote! {
                if let ::std::result::Result::Ok(v) = <#wire_ty as #serde::Deserialize>::deserialize(&__value) {
                    return ::std::result::Result::Ok(#name::#variant(#value));
                }
            }
        });
        let message = Literal::string(&format!("matches no variant of `{}`", u.name));
        quote! {
            impl<'de> #serde::Deserialize<'de> for #name {
                fn deserialize<__D: #serde::Deserializer<'de>>(__deserializer: __D) -> ::std::result::Result<Self, __D::Error> {
                    let __value = <#private::serde_json::Value as #serde::Deserialize>::deserialize(__deserializer)?;
                    #(#attempts)*
                    ::std::result::Result::Err(#serde::de::Error::custom(::std::format_args!("{} {}", __value, #message)))
                }
            }
        }
    }

    /// `Deserialize` for a string enum, from its wire values.
    pub(super) fn enum_deserialize(&self, name: &str, wires: &[(String, String)]) -> TokenStream {
        let variants: Vec<(TokenStream, String)> = wires
            .iter()
            .map(|(variant, wire)| {
                let variant = ident(variant);
                (quote!(#variant), wire.clone())
            })
            .collect();
        string_enum_deserialize(&self.krate, &self.private, &ident(name), &variants)
    }
}

/// `Deserialize` for a string enum (generated or `#[derive(Enum)]`) from its wire values:
/// `variants` are (variant identifier, wire value).
pub(crate) fn string_enum_deserialize(
    krate: &syn::Path,
    private: &syn::Path,
    type_name: &syn::Ident,
    variants: &[(TokenStream, String)],
) -> TokenStream {
    let serde = quote!(#private::serde);
    let arms = variants.iter().map(|(variant, wire)| {
        let wire = Literal::string(wire);
        quote!(#wire => ::std::result::Result::Ok(#type_name::#variant),)
    });
    let expecting = Literal::string(&format!("a `{type_name}` value"));
    quote! {
        #[automatically_derived]
        impl<'de> #serde::Deserialize<'de> for #type_name {
            fn deserialize<__D: #serde::Deserializer<'de>>(__deserializer: __D) -> ::std::result::Result<Self, __D::Error> {
                struct __Visitor;
                impl #serde::de::Visitor<'_> for __Visitor {
                    type Value = #type_name;
                    fn expecting(&self, __f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        __f.write_str(#expecting)
                    }
                    fn visit_str<__E: #serde::de::Error>(self, __text: &str) -> ::std::result::Result<#type_name, __E> {
                        match __text {
                            #(#arms)*
                            _ => ::std::result::Result::Err(#serde::de::Error::unknown_variant(
                                __text,
                                <#type_name as #krate::StringEnum>::VALUES,
                            )),
                        }
                    }
                }
                __deserializer.deserialize_str(__Visitor)
            }
        }
    }
}
