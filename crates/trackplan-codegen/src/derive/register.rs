//! Link-time registration of `#[derive(Event)]` and `#[derive(Traits)]` types, so
//! `TrackingPlan::registered` finds every one in the binary (core's `registry`, on `inventory`,
//! through the facade's `register!`, which drops it without the `registry` feature).
//!
//! A generic type is not registered: there is no single type to describe.

use proc_macro2::TokenStream;
use quote::quote;

use super::ast::Container;
use super::Derive;
use crate::facade_path;
use trackplan_plan::Call;

pub fn expand(container: &Container<'_>, krate: &syn::Path) -> Option<TokenStream> {
    if !container.generics.params.is_empty() {
        return None;
    }
    let private = facade_path::private_path(krate);
    // Core's constructor decides what is registered: the less the derive writes here, the less
    // each type costs to compile.
    let constructor = match container.derive {
        Derive::Event => quote!(track),
        Derive::Traits => match container.attrs.call.map(|(call, _)| call) {
            Some(Call::Group) => quote!(group),
            _ => quote!(identify),
        },
        Derive::Properties | Derive::Enum => return None,
    };
    let ident = container.ident;
    // The facade decides whether its `registry` feature keeps it.
    Some(quote! {
        #private::register!(#constructor, #ident);
    })
}
