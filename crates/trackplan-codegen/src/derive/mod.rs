//! `#[derive(Event)]`, `#[derive(Traits)]`, `#[derive(Properties)]`, `#[derive(Enum)]`.
//!
//! The pipeline of serde_derive and thiserror, one (private) module per step:
//!
//! - `attr` parses the attributes (names in `symbol`) and `ast` builds the model of the
//!   item, every node keeping the span it came from;
//! - `check` applies the naming, event-name and duplicate rules (`trackplan_plan::conventions`
//!   decides names) and `plan_hook` asks `plan_check`, all errors going to one `ctxt::Ctxt`;
//! - `expand` writes the impls (with `describe` for the JSON Schema, `constraint` for the
//!   constraint attributes' schema keywords and `violations()`, `register` for link-time
//!   registration), or, after any error, `fallback` writes stub impls next to the
//!   errors so call sites do not fail too.
//!
//! Each entry point returns tokens: the expansion, or the errors plus the fallback. Never a panic.

mod ast;
mod attr;
mod check;
mod constraint;
mod ctxt;
mod decode;
mod describe;
mod expand;
mod fallback;
mod pii;
mod plan_check;
mod plan_hook;
mod register;
mod symbol;

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use ctxt::Ctxt;

/// Which derive is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Derive {
    Event,
    Traits,
    Properties,
    Enum,
}

impl Derive {
    fn trait_name(self) -> &'static str {
        match self {
            Derive::Event => "Event",
            Derive::Traits => "Traits",
            Derive::Properties => "Properties",
            Derive::Enum => "Enum",
        }
    }

    /// The shape of item the derive takes, for messages.
    fn expected_shape(self) -> &'static str {
        match self {
            Derive::Enum => "an enum of unit variants",
            _ => "a struct with named fields",
        }
    }

    /// What the derive goes on, for messages.
    fn item_noun(self) -> &'static str {
        match self {
            Derive::Enum => "enum",
            _ => "struct",
        }
    }
}

/// `#[derive(Event)]`: `Properties` and `Event` for a struct with named fields.
pub fn expand_event(input: &DeriveInput) -> TokenStream {
    expand(Derive::Event, input)
}

/// `#[derive(Traits)]`: `Traits` for a struct with named fields.
pub fn expand_traits(input: &DeriveInput) -> TokenStream {
    expand(Derive::Traits, input)
}

/// `#[derive(Properties)]`: `Properties` and `PropertyValue` for a struct with named fields.
pub fn expand_properties(input: &DeriveInput) -> TokenStream {
    expand(Derive::Properties, input)
}

/// `#[derive(Enum)]`: `as_str`, `PropertyValue` and `StringProperty` for an enum of unit
/// variants.
pub fn expand_enum(input: &DeriveInput) -> TokenStream {
    expand(Derive::Enum, input)
}

fn expand(derive: Derive, input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let container = ast::Container::from_ast(&cx, derive, input);
    check::check(&cx, &container);
    let plan = plan_hook::check_against_plan(&cx, &container);
    match cx.check() {
        Ok(()) => expand::expand(&container, plan.as_ref()),
        Err(errors) => {
            let errors = errors.into_compile_error();
            let krate = crate::facade_path::or_default(container.attrs.krate.as_ref());
            let fallback = expand::wrap(fallback::expand(derive, input, &krate));
            quote!(#errors #fallback)
        }
    }
}

#[cfg(test)]
mod tests;
