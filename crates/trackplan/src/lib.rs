//! trackplan: typed product analytics for Segment and Segment-compatible collectors.
//!
//! See the README for the tour, and [`docs::derive`] for the derives that define typed events:
//! [`Event`](macro@Event), [`Traits`](macro@Traits), [`Properties`](macro@Properties) and
//! [`Enum`](macro@Enum).

pub use trackplan_core::*;

pub use trackplan_macros::{plan, Enum, Event, Properties, Traits};

pub mod docs;

/// Implementation details of the generated code. Not public API: no semver guarantees.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use serde_json;

    // Prelude items through the facade, so generated code means them even where the user's crate
    // shadows a prelude name.
    pub use core::option::Option::{self, None, Some};
    pub use core::result::Result::{self, Ok};
    pub use std::vec::Vec;

    // ---- `#[derive(Event)]`, `Traits`, `Properties`, `Enum` ----
    pub use trackplan_core::event::AsProperty;

    /// The reserved properties `revenue` and `value`: the derive calls this with the field's type
    /// (and span), so a non-numeric type fails with `NumericProperty`'s message on that type.
    #[inline(always)]
    pub fn require_numeric<T: crate::NumericProperty + ?Sized>() {}

    /// The reserved property `currency` must hold a string; see [`require_numeric`].
    #[inline(always)]
    pub fn require_string<T: crate::StringProperty + ?Sized>() {}

    // ---- `plan!` and `trackplan generate` output ----
    /// ECMA-262 regular expressions for `pattern` checks (the plan's regex dialect).
    pub use regress;
    /// `format: date-time` properties are `time::OffsetDateTime`.
    pub use time;
}
