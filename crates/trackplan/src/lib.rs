//! trackplan: typed product analytics for Segment and Segment-compatible collectors.
//!
//! See the README for the tour, and [`docs::derive`] for the derives that define typed events:
//! [`Event`](macro@Event), [`Traits`](macro@Traits), [`Properties`](macro@Properties) and
//! [`Enum`](macro@Enum).

pub use trackplan_core::*;

pub use trackplan_macros::{plan, Enum, Event, Properties, Traits};

#[cfg(feature = "coverage")]
pub mod coverage;
pub mod docs;

/// Test helpers: [`testing::Capture`] records the wire JSON instead of sending it; with the
/// `coverage` feature, [`testing::CaptureCoverage`] measures a plan's coverage by it.
pub mod testing {
    pub use trackplan_core::testing::*;

    #[cfg(feature = "coverage")]
    pub use crate::coverage::CaptureCoverage;
}

/// Implementation details of the generated code. Not public API: no semver guarantees.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use serde_json;

    // Prelude items through the facade, so generated code means them even where the user's crate
    // shadows a prelude name.
    pub use core::option::Option::{None, Some};
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

    // ---- plan-checked derives: enum values against the plan's `enum`, in a `const` ----
    /// The first of `T`'s values that `planned` does not list.
    pub const fn unplanned_enum_value<T: crate::StringEnum + ?Sized>(
        planned: &[&str],
    ) -> Option<&'static str> {
        let values = T::VALUES;
        let mut i = 0;
        while i < values.len() {
            let mut j = 0;
            while j < planned.len() && !const_str_eq(values[i], planned[j]) {
                j += 1;
            }
            if j == planned.len() {
                return Some(values[i]);
            }
            i += 1;
        }
        None
    }

    const fn const_str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// Fail constant evaluation with `before` + `value` + `after` (a `const` panic takes one
    /// `&str` argument, so the message is assembled here). `#[track_caller]` puts the error on
    /// the call, which the derive spans on the field.
    #[track_caller]
    pub const fn refuse_unplanned_enum_value(before: &str, value: &str, after: &str) -> ! {
        let mut message = [0u8; 2048];
        let mut len = 0;
        let parts = [before.as_bytes(), value.as_bytes(), after.as_bytes()];
        let mut p = 0;
        while p < parts.len() {
            let part = parts[p];
            let mut i = 0;
            while i < part.len() && len < message.len() {
                message[len] = part[i];
                len += 1;
                i += 1;
            }
            p += 1;
        }
        match core::str::from_utf8(message.split_at(len).0) {
            Ok(text) => panic!("{}", text),
            // Cut inside a character by the length limit: the value alone still says which.
            Err(_) => panic!("{}", value),
        }
    }

    // ---- `plan!` and `trackplan generate` output ----
    /// ECMA-262 regular expressions for `pattern` checks (the plan's regex dialect).
    pub use regress;
    /// `format: date-time` properties are `time::OffsetDateTime`.
    pub use time;
}
