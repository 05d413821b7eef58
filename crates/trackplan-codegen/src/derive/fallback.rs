//! Stub impls emitted next to the errors of an invalid item (thiserror's `fallback.rs`, clap's
//! `dummies.rs`): the item still implements its traits, so a mistake in the derive is one error
//! rather than one more at every call site.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::Derive;

pub fn expand(derive: Derive, input: &DeriveInput, krate: &syn::Path) -> TokenStream {
    let ident = &input.ident;
    let private = crate::facade_path::private_path(krate);
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let stub = |trait_path: TokenStream, items: TokenStream| {
        quote! {
            #[automatically_derived]
            impl #impl_generics #trait_path for #ident #ty_generics #where_clause {
                #items
            }
        }
    };
    let write_properties = quote! {
        fn write_properties(
            &self,
            _: &mut #private::Vec<u8>,
        ) -> #private::Result<(), #krate::EncodeError> {
            ::core::unreachable!()
        }
    };
    let serialize_property = quote! {
        fn serialize_property<__S: #private::serde::Serializer>(
            &self,
            _: __S,
        ) -> #private::Result<__S::Ok, __S::Error> {
            ::core::unreachable!()
        }
    };
    // Every derive describes its type, so `TrackingPlan::track::<T>()` call sites do not cascade.
    let describe = stub(
        quote!(#krate::Describe),
        quote! {
            const SCHEMA: #private::describe::Schema = #private::describe::Schema::Json("{}");
        },
    );
    let impls = match derive {
        Derive::Event => {
            let describe_event = stub(
                quote!(#krate::DescribeEvent),
                quote!(
                    const EVENT_NAME: &'static str = "";
                ),
            );
            let properties = stub(quote!(#krate::Properties), write_properties);
            let event = stub(
                quote!(#krate::Event),
                quote!(
                    fn event_name(&self) -> &str {
                        ::core::unreachable!()
                    }
                ),
            );
            quote!(#properties #event #describe_event)
        }
        Derive::Traits => stub(
            quote!(#krate::Traits),
            quote! {
                fn write_traits(
                    &self,
                    _: &mut #private::Vec<u8>,
                ) -> #private::Result<(), #krate::EncodeError> {
                    ::core::unreachable!()
                }
            },
        ),
        Derive::Properties => {
            let properties = stub(quote!(#krate::Properties), write_properties);
            let value = stub(quote!(#krate::PropertyValue), serialize_property);
            quote!(#properties #value)
        }
        Derive::Enum => {
            let value = stub(quote!(#krate::PropertyValue), serialize_property);
            let string = stub(quote!(#krate::StringProperty), TokenStream::new());
            quote! {
                #[automatically_derived]
                impl #impl_generics #ident #ty_generics #where_clause {
                    pub const fn as_str(&self) -> &'static str {
                        ::core::unreachable!()
                    }
                }
                #value
                #string
            }
        }
    };
    quote!(#impls #describe)
}
