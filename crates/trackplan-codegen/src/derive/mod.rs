//! `#[derive(Event)]`, `#[derive(Traits)]`, `#[derive(Properties)]`, `#[derive(Enum)]`.
//!
//! Each returns the expansion, or the errors plus fallback impls: never a panic.

use proc_macro2::TokenStream;
use syn::DeriveInput;

fn pending(input: &DeriveInput, what: &str) -> TokenStream {
    syn::Error::new_spanned(&input.ident, format!("{what} is being built")).into_compile_error()
}

pub fn expand_event(input: &DeriveInput) -> TokenStream {
    pending(input, "derive(Event)")
}

pub fn expand_traits(input: &DeriveInput) -> TokenStream {
    pending(input, "derive(Traits)")
}

pub fn expand_properties(input: &DeriveInput) -> TokenStream {
    pending(input, "derive(Properties)")
}

pub fn expand_enum(input: &DeriveInput) -> TokenStream {
    pending(input, "derive(Enum)")
}
