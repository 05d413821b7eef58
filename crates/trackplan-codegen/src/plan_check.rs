//! `#[event(plan = "...")]` / `#[traits(plan = "...")]`: a hand-written derive checked against a
//! tracking plan at compile time. The derive collects the item's wire names and types into a
//! [`PlanCheckInput`]; [`check`] compares them with the plan's rule.

use proc_macro2::{Span, TokenStream};

use crate::plan::Call;

/// What the derive knows about the item being checked.
pub struct PlanCheckInput<'a> {
    /// The `plan = "..."` literal: relative to `CARGO_MANIFEST_DIR`; diagnostics about the file
    /// point here.
    pub plan_path: &'a syn::LitStr,
    /// `Track` for `#[derive(Event)]`; `Identify` or `Group` for `#[derive(Traits)]`.
    pub call: Call,
    /// The event's wire name and the span of where it was given (track only).
    pub name: Option<(&'a str, Span)>,
    /// The item's fields, in declaration order.
    pub fields: Vec<PlanCheckField<'a>>,
    /// The item's identifier, for errors about the item as a whole (such as a missing required
    /// property).
    pub item_span: Span,
}

/// One field of the item being checked.
pub struct PlanCheckField<'a> {
    /// The property's wire name after renames.
    pub wire_name: &'a str,
    /// The field's Rust type.
    pub ty: &'a syn::Type,
    /// Where errors about this field go.
    pub span: Span,
    /// `#[property(serde)]`: the type is opaque, only presence is checked.
    pub serde: bool,
}

/// Check the item against its plan. On success returns tokens to splice into the expansion
/// (they make rustc rebuild when the plan file changes); on failure every problem, combined.
pub fn check(input: &PlanCheckInput<'_>) -> Result<TokenStream, syn::Error> {
    Err(syn::Error::new(
        input.plan_path.span(),
        "plan-checked derives are being built",
    ))
}
