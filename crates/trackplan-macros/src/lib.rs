//! Procedural macros of trackplan. Thin shims over `trackplan-codegen`, where all logic lives
//! (so the CLI and build scripts share it); each reads like serde's entry points.

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// A typed track event: implements `trackplan::Properties` and `trackplan::Event`.
///
/// Options: `#[event(name = "...", allow_name, case = "...", plan = "...", crate = "...")]` on
/// the struct, `#[property(rename = "...", serde, skip)]` on fields. Property names are checked
/// against the naming convention (snake_case by default), the event name against Title Case
/// "Object Action", and `revenue`/`value`/`currency` against their Segment types. The reference,
/// with examples, is the `trackplan::docs::derives` module.
#[proc_macro_derive(Event, attributes(event, property))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    trackplan_codegen::derive::expand_event(&input).into()
}

/// Identify or group traits: implements `trackplan::Traits`.
///
/// Options: `#[traits(case = "...", plan = "...", call = "identify" | "group", crate = "...")]`
/// on the struct, `#[property(rename = "...", serde, skip)]` on fields. Segment's reserved
/// camelCase traits (`firstName`, `createdAt`...) are accepted under any convention. See
/// `trackplan::docs::derives`.
#[proc_macro_derive(Traits, attributes(traits, property))]
pub fn derive_traits(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    trackplan_codegen::derive::expand_traits(&input).into()
}

/// An object usable as page/screen properties and as a nested property value: implements
/// `trackplan::Properties` and `trackplan::PropertyValue`.
///
/// Options: `#[properties(case = "...", crate = "...")]` on the struct,
/// `#[property(rename = "...", serde, skip)]` on fields. See `trackplan::docs::derives`.
#[proc_macro_derive(Properties, attributes(properties, property))]
pub fn derive_properties(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    trackplan_codegen::derive::expand_properties(&input).into()
}

/// A string-valued enum property: an `as_str()` method, `trackplan::PropertyValue` and
/// `trackplan::StringProperty`. Variants are sent in snake_case (`ProPlus` as `"pro_plus"`).
///
/// Options: `#[property(case = "...", crate = "...")]` on the enum, `#[property(rename = "...")]`
/// on variants. See `trackplan::docs::derives`.
#[proc_macro_derive(Enum, attributes(property))]
pub fn derive_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    trackplan_codegen::derive::expand_enum(&input).into()
}

/// Generate typed events from a tracking plan: `trackplan::plan!("schemas/ecommerce.json")`.
///
/// The path is relative to the crate's `Cargo.toml`. Options follow it: `extra_properties`
/// (a flattened `extra` map on open objects), `pin = "track:Order Completed=2"` (an older
/// version of a rule; repeatable) and `crate = "tp"` (the path the trackplan crate is reachable
/// by, when renamed or re-exported), as `trackplan generate`'s `--extra-properties`, `--pin`
/// and `--crate` do.
#[proc_macro]
pub fn plan(input: TokenStream) -> TokenStream {
    trackplan_codegen::plan_macro::expand(input.into()).into()
}
