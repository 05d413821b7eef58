//! trackplan: typed product analytics for Segment and Segment-compatible collectors.
//!
//! See the README for the tour, and [`docs::derives`] for the derives that define typed events:
//! [`Event`](macro@Event), [`Traits`](macro@Traits), [`Properties`](macro@Properties) and
//! [`Enum`](macro@Enum). [`plan!`] generates the types of a whole tracking plan.
//!
//! ```
//! use trackplan::{testing::Capture, User};
//!
//! #[derive(trackplan::Event)]
//! struct OrderCompleted {
//!     order_id: String,
//!     total: f64,
//! }
//!
//! let capture = Capture::new();
//! let client = capture.client();
//! client.track(&User::id("u1"), &OrderCompleted { order_id: "o-1".into(), total: 9.5 })?;
//! client.flush_blocking();
//! assert_eq!(capture.assert_tracked("Order Completed")["properties"]["total"], 9.5);
//! # Ok::<(), trackplan::EnqueueError>(())
//! ```
//!
//! Every item here is listed by hand, so the public API changes only on purpose; the checked-in
//! `public-api.txt` (tested by `tests/public_api.rs`) shows each change in review.
#![warn(missing_docs)]

// The client and the six calls.
pub use trackplan_core::{
    CallOptions, CallType, Client, ClientBuilder, Message, MessageId, Region, User,
};

// What travels with a message: its context, its destinations, the user's consent.
pub use trackplan_core::{
    Consent, ConsentPolicy, Context, ContextError, Integrations, IntegrationsError, WithheldMessage,
};

/// The parts of a [`Context`]: Segment's context spec, one struct per object, with the spec's
/// wire names.
pub mod context {
    pub use trackplan_core::context::{
        App, Brand, Campaign, Device, Location, Network, Os, Page, Referrer, Screen, UserAgentData,
    };
}

// Payloads: the traits typed code implements, and the untyped escape hatches.
pub use trackplan_core::{
    EncodeError, Event, NoProperties, Nullable, NumericProperty, PlanMetadata, Properties,
    PropertyValue, RawEvent, RawProperties, RawTraits, StringEnum, StringProperty, Traits,
    Violation,
};

// Personal data: `#[property(pii)]`, the plan's `"x-pii"`, and what the client does with them.
pub use trackplan_core::{HashableProperty, PiiPolicy};
pub use trackplan_macros::{plan, Enum, Event, Properties, Traits};

// Code-first plans: the types describe themselves, and the plan is exported from them.
pub use tracking_plan::{TrackingPlan, TrackingPlanError};
pub use trackplan_core::{Describe, DescribeEvent};
// Receiving: a whole message back into the type it was sent with.
pub use trackplan_core::{decode, decode_slice, Decode, DecodeError};

// Delivery: policies, reports and errors.
pub use trackplan_core::{
    BuildError, ConfigProblem, DeliveryReport, EnqueueError, FailedBatch, FailureReason,
    FullPolicy, Metrics, RetryPolicy, ValidationPolicy, ViolationCallback,
};

// Custom transports.
pub use trackplan_core::{
    BatchRequest, HttpTransport, SendFuture, Transport, TransportError, TransportErrorKind,
    TransportResponse, WriteKey,
};

// Segment's size limits, as the client enforces them.
pub use trackplan_core::{
    MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES, MAX_MESSAGE_ID_CHARS,
};

#[cfg(feature = "coverage")]
pub mod coverage;
pub mod docs;
mod plan_file;

/// The JSON Schema of payload types, for [`TrackingPlan`]: [`Describe`] and what implementing it
/// by hand takes (the derives implement it for their types). A type's schema is constant data
/// ([`Schema`](describe::Schema)), built into JSON only when a plan is exported.
///
/// ```
/// use trackplan::describe::{self, Describe, ObjectSchema, Schema};
///
/// /// A money amount sent as `{"amount": .., "currency": ..}` by a hand-written `PropertyValue`.
/// struct Money;
///
/// impl Describe for Money {
///     const SCHEMA: Schema = Schema::Object(&ObjectSchema {
///         layout: r#"{"description": "An amount of money.", "properties": [
///             {"name": "amount"},
///             {"name": "currency", "schema": {"pattern": "^[A-Z]{3}$"}}
///         ]}"#,
///         properties: &[describe::property::<f64>, describe::property::<String>],
///     });
/// }
///
/// let described = describe::SchemaGenerator::payload::<Money>();
/// assert_eq!(described.schema["properties"]["currency"]["pattern"], "^[A-Z]{3}$");
/// ```
pub mod describe {
    pub use trackplan_core::describe::{
        nullable, property, Describe, DescribeEvent, Described, FieldSchema, ObjectSchema,
        PropertySchema, Schema, SchemaGenerator,
    };
}
mod tracking_plan;

/// The crash-safe spool's settings: [`ClientBuilder::spool_dir`] keeps undelivered messages on
/// disk across restarts.
///
/// ```
/// use std::time::Duration;
/// use trackplan::spool::{FsyncPolicy, SpoolOptions};
///
/// let client = trackplan::Client::builder("WRITE_KEY")
///     .spool_dir(std::env::temp_dir().join("trackplan-doc-spool"))
///     .spool_options(SpoolOptions::default().fsync(FsyncPolicy::Every(Duration::from_millis(50))));
/// # drop(client);
/// ```
pub mod spool {
    pub use trackplan_core::spool::{FsyncPolicy, SpoolError, SpoolOptions};
}

/// Test helpers for code that sends analytics: [`Capture`](testing::Capture) records the exact
/// wire JSON instead of sending it; [`assert_plan_file`](testing::assert_plan_file) keeps an
/// exported tracking plan checked in; with the `coverage` feature, `testing::CaptureCoverage`
/// measures a plan's coverage by what it captured.
///
/// ```
/// use trackplan::{testing::Capture, RawEvent, User};
///
/// let capture = Capture::new();
/// let client = capture.client();
/// let event = RawEvent::new("Order Completed", serde_json::json!({ "total": 9.5 }));
/// client.track(&User::id("u1"), &event)?;
/// client.flush_blocking();
/// assert_eq!(capture.assert_tracked("Order Completed")["userId"], "u1");
/// # Ok::<(), trackplan::EnqueueError>(())
/// ```
pub mod testing {
    pub use crate::plan_file::assert_plan_file;
    pub use trackplan_core::testing::{Capture, CapturedRequest, ManualClock};

    #[cfg(feature = "coverage")]
    pub use crate::coverage::CaptureCoverage;
}

/// The derives' link-time registration of an event or traits type (see
/// [`TrackingPlan::registered`]): with the `registry` feature, core's `Registration` constructor
/// `$constructor` (`track`, `identify`, `group`) of `$ty`, submitted to `inventory`.
#[cfg(feature = "registry")]
#[doc(hidden)]
#[macro_export]
macro_rules! __register {
    ($constructor:ident, $ty:ty) => {
        $crate::__private01::inventory::submit! {
            $crate::__private01::registry::Registration::$constructor::<$ty>()
        }
    };
}

/// Without the `registry` feature the derives register nothing: a build that never exports a
/// plan neither compiles the registrations nor runs them before `main`.
#[cfg(not(feature = "registry"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __register {
    ($constructor:ident, $ty:ty) => {};
}

/// What generated code (the derives, [`plan!`], `trackplan generate`) calls. Not public API: no
/// semver guarantees.
///
/// The number is a version, as thiserror's `__privateNN`: when generated code needs different
/// helpers, bump it here and in `trackplan_codegen::facade_path::PRIVATE_MODULE` together, so
/// code from a mismatched generator fails to compile (no such module) instead of calling a
/// helper whose meaning changed. Generated code names this module through the facade's path,
/// `::trackplan` or the user's `crate = "..."`.
#[doc(hidden)]
pub mod __private01 {
    pub use serde;
    pub use serde_json;

    // Prelude items through the facade, so generated code means them even where the user's crate
    // shadows a prelude name.
    pub use core::option::Option::{self, None, Some};
    pub use core::result::Result::{self, Ok};
    pub use std::vec::Vec;

    // ---- `#[derive(Event)]`, `Traits`, `Properties`, `Enum`, and generated types ----
    pub use trackplan_core::event::{
        nested_violations, AsProperty, NestedChecks, NoNestedChecks, SerdeProperty,
    };
    pub use trackplan_core::pii::serialize_pii_entry;
    pub use trackplan_core::ObjectWriter;

    // ---- the derives' `Describe` impls, constraint checks and registration ----
    pub use crate::__register as register;
    pub use core::any::type_name;
    #[cfg(feature = "registry")]
    pub use inventory;
    pub use trackplan_core::describe;
    #[cfg(feature = "registry")]
    pub use trackplan_core::registry;

    /// A number bound's value (`min = ..`): the derive calls this with the field's type and the
    /// attribute's span, so a bound on a field that is not a number fails on the attribute.
    #[inline]
    pub fn number_constraint<T: trackplan_core::constraint::NumberConstraint + ?Sized>(
        value: &T,
    ) -> Option<f64> {
        value.constrained_number()
    }

    /// A string check's value (`pattern = ".."`); see [`number_constraint`].
    #[inline]
    pub fn string_constraint<T: trackplan_core::constraint::StringConstraint + ?Sized>(
        value: &T,
    ) -> Option<&str> {
        value.constrained_str()
    }

    /// A sequence check's items (`min_items = ..`); see [`number_constraint`].
    #[inline]
    pub fn array_constraint<T: trackplan_core::constraint::ArrayConstraint + ?Sized>(
        value: &T,
    ) -> Option<&[T::Item]> {
        value.constrained_items()
    }

    /// The reserved properties `revenue` and `value`: the derive calls this with the field's type
    /// (and span), so a non-numeric type fails with `NumericProperty`'s message on that type.
    #[inline(always)]
    pub fn require_numeric<T: crate::NumericProperty + ?Sized>() {}

    /// The reserved property `currency` must hold a string; see [`require_numeric`].
    #[inline(always)]
    pub fn require_string<T: crate::StringProperty + ?Sized>() {}

    /// `#[property(pii = "hash")]` needs a string: the derive passes the field spelled with the
    /// attribute's span, so another type fails with `HashableProperty`'s message there.
    #[inline(always)]
    pub fn require_hashable<T: crate::HashableProperty + ?Sized>(_field: &T) {}

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
    /// `format: date-time` properties are `time::OffsetDateTime`, sent as RFC 3339 text.
    pub use time;
    /// `format: date-time` values decode from RFC 3339 text, and `integer`s as JSON Schema
    /// counts them, through these.
    pub use trackplan_core::{Integer, Rfc3339};

    // ---- `Deserialize` of the derives ----
    pub use trackplan_core::format_timestamp;
    pub use trackplan_core::DefaultIn;
}
