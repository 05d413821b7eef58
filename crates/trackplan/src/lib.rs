//! trackplan: typed product analytics for Segment and Segment-compatible collectors.
//!
//! See the README for the tour.

pub use trackplan_core::*;

/// Implementation details of the generated code. Not public API: no semver guarantees.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use serde_json;
}
