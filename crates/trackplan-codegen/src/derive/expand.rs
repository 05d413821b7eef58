//! Code generation for a checked [`Container`].
//!
//! The generated code writes JSON straight into the message buffer through
//! `ObjectWriter`, with every key quoted and escaped here, at expansion time. Trait requirements
//! on field types are spelled with the field type's span, so a field whose type cannot be a
//! property (or a reserved property of the wrong kind) is reported on that type.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{parse_quote, Type, WhereClause};

use super::ast::{Container, Field};
use super::pii;
use super::plan_check::PlanChecked;
use super::Derive;
use crate::facade_path;

/// The expansion of a container that passed every check; `extra` (the plan check's tokens) is
/// spliced in as is.
pub fn expand(container: &Container<'_>, plan: Option<&PlanChecked>) -> TokenStream {
    let krate = facade_path::or_default(container.attrs.krate.as_ref());
    let gen = Generator {
        container,
        private: facade_path::private_path(&krate),
        krate: &krate,
        plan,
    };
    let extra = plan.map(|p| p.tracker.clone()).unwrap_or_default();
    let impls = match container.derive {
        Derive::Event => {
            let properties = gen.properties_impl();
            let event = gen.event_impl();
            quote!(#properties #event)
        }
        Derive::Traits => gen.traits_impl(),
        Derive::Properties => {
            let properties = gen.properties_impl();
            let value = gen.property_value_impl();
            quote!(#properties #value)
        }
        Derive::Enum => gen.enum_impls(),
    };
    let describe = super::describe::expand(container, &krate);
    let register = super::register::expand(container, &krate);
    let decode = super::decode::impls(container, &krate);
    wrap(quote!(#extra #impls #describe #register #decode))
}

/// Generated impls live in an anonymous constant, as serde's do, so their helper items never
/// clash with the user's.
pub fn wrap(impls: TokenStream) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications)]
        const _: () = {
            #impls
        };
    }
}

struct Generator<'c, 'a> {
    container: &'c Container<'a>,
    krate: &'c syn::Path,
    /// `krate::__private01`, for what only generated code uses.
    private: syn::Path,
    /// The plan the item was checked against, whose identity `plan_metadata()` reports.
    plan: Option<&'c PlanChecked>,
}

/// Segment's reserved track properties: the `__private01` function asserting their type.
fn reserved_property_assertion(wire_name: &str) -> Option<&'static str> {
    match wire_name {
        "revenue" | "value" => Some("require_numeric"),
        "currency" => Some("require_string"),
        _ => None,
    }
}

impl Generator<'_, '_> {
    fn properties_impl(&self) -> TokenStream {
        let krate = self.krate;
        let private = &self.private;
        let body = self.write_object_body();
        let metadata = self.plan_metadata_fn();
        let consent = self.required_consent_fn();
        let violations = super::constraint::violations_fn(self.container, krate);
        self.impl_block(
            quote!(#krate::Properties),
            quote! {
                fn write_properties(
                    &self,
                    __out: &mut #private::Vec<u8>,
                ) -> #private::Result<(), #krate::EncodeError> {
                    #body
                }
                #metadata
                #consent
                #violations
            },
        )
    }

    fn traits_impl(&self) -> TokenStream {
        let krate = self.krate;
        let private = &self.private;
        let body = self.write_object_body();
        let metadata = self.plan_metadata_fn();
        let consent = self.required_consent_fn();
        let violations = super::constraint::violations_fn(self.container, krate);
        self.impl_block(
            quote!(#krate::Traits),
            quote! {
                fn write_traits(
                    &self,
                    __out: &mut #private::Vec<u8>,
                ) -> #private::Result<(), #krate::EncodeError> {
                    #body
                }
                #metadata
                #consent
                #violations
            },
        )
    }

    /// A plan-checked item reports its plan rule as a `plan!` type of that rule does, so its
    /// messages carry `context.protocols.event_version` and `context.trackplan` too.
    fn plan_metadata_fn(&self) -> Option<TokenStream> {
        let plan = self.plan?;
        Some(crate::emit::plan_metadata_method(
            self.krate,
            &plan.plan_name,
            plan.event_version,
        ))
    }

    /// `fn required_consent` for `consent = "..."` on the item.
    fn required_consent_fn(&self) -> Option<TokenStream> {
        let names: Vec<String> = self
            .container
            .attrs
            .consent
            .iter()
            .map(syn::LitStr::value)
            .collect();
        (!names.is_empty()).then(|| crate::emit::required_consent_method(&names))
    }

    fn event_impl(&self) -> TokenStream {
        let krate = self.krate;
        let name = self
            .container
            .event_name
            .as_ref()
            .map(|name| name.value.as_str())
            .unwrap_or_default();
        self.impl_block(
            quote!(#krate::Event),
            quote! {
                #[inline]
                fn event_name(&self) -> &str {
                    #name
                }
            },
        )
    }

    /// The body of `write_properties` / `write_traits`: one `ObjectWriter` call per field, keys
    /// pre-quoted.
    fn write_object_body(&self) -> TokenStream {
        let private = &self.private;
        let fields: Vec<&Field<'_>> = self.container.sent_fields().collect();
        if fields.is_empty() {
            return quote! {
                #private::ObjectWriter::new(__out).end();
                #private::Ok(())
            };
        }
        let reserved = if self.container.derive == Derive::Event {
            fields
                .iter()
                .filter_map(|field| self.reserved_assertion(field))
                .collect()
        } else {
            Vec::new()
        };
        let krate = self.krate;
        let hash_requirements = fields.iter().filter_map(|field| {
            let pii = field.attrs.pii?;
            let member = member_at(field, pii.span);
            Some(pii::hash_requirement(
                private,
                pii,
                quote_spanned!(pii.span=> &self.#member),
            ))
        });
        let writes = fields.iter().map(|field| {
            let span = field.ty.span();
            let member = member_at(field, span);
            let key = quoted_key(&field.wire.value);
            if let Some(pii) = field.attrs.pii {
                let policy = crate::pii::policy_tokens(krate, private, pii.mark);
                let value = self.pii_value(field, &member, span);
                return quote_spanned!(span=> __writer.pii_field(#key, #value, #policy)?;);
            }
            match (field.attrs.serde, option_inner(field.ty)) {
                (false, _) => quote_spanned!(span=> __writer.field(#key, &self.#member)?;),
                (true, None) => quote_spanned!(span=> __writer.serde_field(#key, &self.#member)?;),
                (true, Some(_)) => quote_spanned! {span=>
                    if let #private::Some(__value) = &self.#member {
                        __writer.serde_field(#key, __value)?;
                    }
                },
            }
        });
        quote! {
            #(#reserved)*
            #(#hash_requirements)*
            let mut __writer = #private::ObjectWriter::new(__out);
            #(#writes)*
            __writer.end();
            #private::Ok(())
        }
    }

    /// A personal-data field as the `PropertyValue` reference `pii_field` and
    /// `serialize_pii_entry` take: `#[property(serde)]` fields through `SerdeProperty` (an
    /// `Option` one still absent when `None`).
    fn pii_value(&self, field: &Field<'_>, member: &Ident, span: Span) -> TokenStream {
        let private = &self.private;
        match (field.attrs.serde, option_inner(field.ty)) {
            (false, _) => quote_spanned!(span=> &self.#member),
            (true, None) => quote_spanned!(span=> &#private::SerdeProperty(&self.#member)),
            (true, Some(_)) => quote_spanned! {span=>
                &self.#member.as_ref().map(#private::SerdeProperty)
            },
        }
    }

    /// `revenue`/`value` must be numeric and `currency` a string: a zero-cost call whose bound
    /// fails on the field's type with the trait's `on_unimplemented` message.
    fn reserved_assertion(&self, field: &Field<'_>) -> Option<TokenStream> {
        let private = &self.private;
        let assert = Ident::new(
            reserved_property_assertion(&field.wire.value)?,
            Span::call_site(),
        );
        let ty = field.ty;
        Some(quote_spanned!(ty.span()=> #private::#assert::<#ty>();))
    }

    /// `PropertyValue` for a `Properties` type, so it nests inside other properties: written
    /// directly by its `write_properties` as a field, through a serde map inside serde contexts.
    fn property_value_impl(&self) -> TokenStream {
        let krate = self.krate;
        let private = &self.private;
        // Nested in another object, it reports its `violations()` under its pointer there.
        let nested_violations = super::constraint::violations_fn(self.container, krate).map(|_| {
            quote! {
                fn violations_at(
                    &self,
                    __path: &str,
                    __out: &mut #private::Vec<#krate::Violation>,
                ) {
                    #private::nested_violations(self, __path, __out)
                }
            }
        });
        let fields: Vec<&Field<'_>> = self.container.sent_fields().collect();
        let mutability = (!fields.is_empty()).then(|| quote!(mut));
        let entries = fields.iter().map(|field| {
            let span = field.ty.span();
            let member = member_at(field, span);
            let name = &field.wire.value;
            if let Some(pii) = field.attrs.pii {
                let policy = crate::pii::policy_tokens(krate, private, pii.mark);
                let value = self.pii_value(field, &member, span);
                return quote_spanned! {span=>
                    #private::serialize_pii_entry(&mut __map, #name, #value, #policy)?;
                };
            }
            match (field.attrs.serde, option_inner(field.ty)) {
                (false, _) => quote_spanned! {span=>
                    if !#krate::PropertyValue::is_absent(&self.#member) {
                        __map.serialize_entry(#name, &#private::AsProperty(&self.#member))?;
                    }
                },
                (true, None) => {
                    quote_spanned!(span=> __map.serialize_entry(#name, &self.#member)?;)
                }
                (true, Some(_)) => quote_spanned! {span=>
                    if let #private::Some(__value) = &self.#member {
                        __map.serialize_entry(#name, __value)?;
                    }
                },
            }
        });
        self.impl_block(
            quote!(#krate::PropertyValue),
            quote! {
                fn serialize_property<__S: #private::serde::Serializer>(
                    &self,
                    __serializer: __S,
                ) -> #private::Result<__S::Ok, __S::Error> {
                    use #private::serde::ser::SerializeMap as _;
                    let #mutability __map = __serializer.serialize_map(#private::None)?;
                    #(#entries)*
                    __map.end()
                }

                #[inline]
                fn write_json(
                    &self,
                    __out: &mut #private::Vec<u8>,
                ) -> #private::Result<(), #krate::EncodeError> {
                    #krate::Properties::write_properties(self, __out)
                }

                #nested_violations
            },
        )
    }

    fn enum_impls(&self) -> TokenStream {
        let krate = self.krate;
        let private = &self.private;
        let ident = self.container.ident;
        let (impl_generics, ty_generics, where_clause) = self.container.generics.split_for_impl();
        let arms = self.container.variants().iter().map(|variant| {
            let variant_ident = variant.ident;
            let value = &variant.wire.value;
            quote!(Self::#variant_ident => #value,)
        });
        let values = self
            .container
            .variants()
            .iter()
            .map(|variant| &variant.wire.value);
        let value_impl = self.impl_block(
            quote!(#krate::PropertyValue),
            quote! {
                #[inline]
                fn serialize_property<__S: #private::serde::Serializer>(
                    &self,
                    __serializer: __S,
                ) -> #private::Result<__S::Ok, __S::Error> {
                    __serializer.serialize_str(self.as_str())
                }
                #[inline]
                fn write_json(
                    &self,
                    __out: &mut #private::Vec<u8>,
                ) -> #private::Result<(), #krate::EncodeError> {
                    #krate::PropertyValue::write_json(self.as_str(), __out)
                }
            },
        );
        let string_impl = self.impl_block(quote!(#krate::StringProperty), TokenStream::new());
        let enum_impl = self.impl_block(
            quote!(#krate::StringEnum),
            quote! {
                const VALUES: &'static [&'static str] = &[#(#values),*];
            },
        );
        quote! {
            #[automatically_derived]
            impl #impl_generics #ident #ty_generics #where_clause {
                /// The string this variant is sent as.
                #[inline]
                #[must_use]
                pub const fn as_str(&self) -> &'static str {
                    match *self {
                        #(#arms)*
                    }
                }
            }
            #value_impl
            #string_impl
            #enum_impl
        }
    }

    /// `impl<..> Trait for Type<..> where <bounds> { items }`, with a bound on every field type
    /// that mentions a type parameter.
    fn impl_block(&self, trait_path: TokenStream, items: TokenStream) -> TokenStream {
        let ident = self.container.ident;
        let (impl_generics, ty_generics, _) = self.container.generics.split_for_impl();
        let where_clause = self.where_clause();
        quote! {
            #[automatically_derived]
            #[allow(deprecated)]
            impl #impl_generics #trait_path for #ident #ty_generics #where_clause {
                #items
            }
        }
    }

    fn where_clause(&self) -> Option<WhereClause> {
        let generics = self.container.generics;
        let params: Vec<&Ident> = generics.type_params().map(|param| &param.ident).collect();
        let mut clause = generics.where_clause.clone();
        if params.is_empty() {
            return clause;
        }
        let krate = self.krate;
        let private = &self.private;
        for field in self.container.sent_fields() {
            let (ty, bound): (&Type, TokenStream) = if field.attrs.serde {
                (
                    option_inner(field.ty).unwrap_or(field.ty),
                    quote!(#private::serde::Serialize),
                )
            } else {
                (field.ty, quote!(#krate::PropertyValue))
            };
            if mentions_any(ty.to_token_stream(), &params) {
                clause
                    .get_or_insert_with(|| parse_quote!(where))
                    .predicates
                    .push(parse_quote!(#ty: #bound));
            }
        }
        clause
    }
}

/// The field's identifier re-spanned onto its type, so that the whole `&self.field` expression
/// (and so a trait-bound error on it) points at the type alone.
fn member_at(field: &Field<'_>, span: Span) -> Ident {
    let mut member = field.member.clone();
    member.set_span(span);
    member
}

/// `"\"order_id\":"`: the key as a JSON string followed by a colon, as `ObjectWriter` takes it.
fn quoted_key(wire_name: &str) -> String {
    let mut key = String::with_capacity(wire_name.len() + 3);
    key.push('"');
    for c in wire_name.chars() {
        match c {
            '"' => key.push_str("\\\""),
            '\\' => key.push_str("\\\\"),
            c if (c as u32) < 0x20 => key.push_str(&format!("\\u{:04x}", c as u32)),
            c => key.push(c),
        }
    }
    key.push_str("\":");
    key
}

/// `T` when `ty` is spelled `Option<T>` (also `std::option::Option<T>`): `#[property(serde)]`
/// fields leave their key out when `None`, as other fields do.
pub(super) fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

pub(super) fn mentions_any(tokens: TokenStream, idents: &[&Ident]) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => idents.contains(&&ident),
        TokenTree::Group(group) => mentions_any(group.stream(), idents),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_json_strings_with_a_colon() {
        assert_eq!(quoted_key("order_id"), "\"order_id\":");
        assert_eq!(quoted_key("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\":");
        for name in ["order_id", "a\"b", "tab\t", "é"] {
            let key = quoted_key(name);
            let json = format!("{{{key}1}}");
            let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(parsed[name], 1, "{json}");
        }
    }

    #[test]
    fn option_types_are_recognised_by_their_last_segment() {
        let inner = |ty: Type| option_inner(&ty).map(|t| t.to_token_stream().to_string());
        assert_eq!(inner(parse_quote!(Option<Money>)).as_deref(), Some("Money"));
        assert_eq!(
            inner(parse_quote!(::std::option::Option<Vec<u8>>)).as_deref(),
            Some("Vec < u8 >")
        );
        assert_eq!(inner(parse_quote!(Vec<Money>)), None);
        assert_eq!(inner(parse_quote!(Option)), None);
    }

    #[test]
    fn type_parameters_are_found_inside_nested_types() {
        let t: Ident = parse_quote!(T);
        let ty: Type = parse_quote!(Vec<Option<T>>);
        assert!(mentions_any(ty.to_token_stream(), &[&t]));
        let ty: Type = parse_quote!(Vec<String>);
        assert!(!mentions_any(ty.to_token_stream(), &[&t]));
    }
}
