//! Link-time registration of derived events and traits, for `TrackingPlan::registered`.
//!
//! `#[derive(Event)]` and `#[derive(Traits)]` submit a [`Registration`] with
//! [`inventory`](https://docs.rs/inventory), which collects them from every crate linked into the
//! binary without a list anywhere. inventory runs on Linux, macOS, iOS, FreeBSD, Android,
//! Windows and WebAssembly (where the module's constructors, `__wasm_call_ctors`, are run); where
//! there is no life-before-main (other targets, wasm hosts that skip the constructors), or where the
//! linker drops an object file nothing else refers to (a static library whose events live in an
//! otherwise unused module), nothing is collected: list the types with `TrackingPlan::track` and
//! friends instead. Generic types are never registered (there is no one type to describe).

use crate::describe::Described;

/// Which call a registered type is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisteredCall {
    /// A track event, with its name.
    Track(&'static str),
    /// Identify traits (the default of `#[derive(Traits)]`).
    Identify,
    /// Group traits (`#[traits(call = "group")]`).
    Group,
}

/// One derived type, as the derive registers it.
#[derive(Debug)]
pub struct Registration {
    pub call: RegisteredCall,
    /// The type's path (`std::any::type_name`), for messages naming it.
    pub type_name: fn() -> &'static str,
    /// Its payload's schema, built only when asked for.
    pub describe: fn() -> Described,
}

inventory::collect!(Registration);

/// Every type registered in this binary, in no particular order.
pub fn registrations() -> impl Iterator<Item = &'static Registration> {
    inventory::iter::<Registration>.into_iter()
}
