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

use crate::describe::{Describe, DescribeEvent, Schema};

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
    /// Its payload's schema (constant data, built into JSON only when asked for).
    pub schema: &'static Schema,
}

impl Registration {
    /// The registration of `T` for `call`: what the constructors below share.
    const fn of<T: Describe>(call: RegisteredCall) -> Self {
        Registration {
            call,
            type_name: std::any::type_name::<T>,
            schema: const { &T::SCHEMA },
        }
    }

    /// The registration of the track event `E`.
    pub const fn track<E: DescribeEvent>() -> Self {
        Self::of::<E>(RegisteredCall::Track(E::EVENT_NAME))
    }

    /// The registration of identify traits `T`.
    pub const fn identify<T: Describe>() -> Self {
        Self::of::<T>(RegisteredCall::Identify)
    }

    /// The registration of group traits `T`.
    pub const fn group<T: Describe>() -> Self {
        Self::of::<T>(RegisteredCall::Group)
    }
}

inventory::collect!(Registration);

/// Every type registered in this binary, in no particular order.
pub fn registrations() -> impl Iterator<Item = &'static Registration> {
    inventory::iter::<Registration>.into_iter()
}
