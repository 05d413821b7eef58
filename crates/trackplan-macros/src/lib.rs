//! Procedural macros of trackplan. Thin shims over `trackplan-codegen`, where all logic lives
//! (so the CLI and build scripts share it); each reads like serde's entry points.

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// A typed track event. See the `trackplan` crate documentation for the attributes.
#[proc_macro_derive(Event, attributes(event, property))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    trackplan_codegen::derive::expand_event(&input).into()
}

/// Identify or group traits.
#[proc_macro_derive(Traits, attributes(traits, property))]
pub fn derive_traits(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    trackplan_codegen::derive::expand_traits(&input).into()
}

/// An object usable as page/screen properties and as a nested property value.
#[proc_macro_derive(Properties, attributes(properties, property))]
pub fn derive_properties(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    trackplan_codegen::derive::expand_properties(&input).into()
}

/// A string-valued enum property.
#[proc_macro_derive(Enum, attributes(property))]
pub fn derive_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    trackplan_codegen::derive::expand_enum(&input).into()
}

/// Generate typed events from a tracking plan: `trackplan::plan!("schemas/ecommerce.json")`.
#[proc_macro]
pub fn plan(input: TokenStream) -> TokenStream {
    trackplan_codegen::plan_macro::expand(input.into()).into()
}
