//! trackplan-codegen: everything the macros, the CLI and build scripts share.
//!
//! - [`plan`]: read a tracking plan (any shape) into one normalised model.
//! - [`derive`]: the expansion of trackplan's derives.
//! - [`plan_check`]: hand-written derives checked against a plan.
//! - [`plan_macro`]: the expansion of `plan!`.
//! - [`lint`], [`diff`]: plan lifecycle checks for CI.

pub mod derive;
pub mod diff;
pub mod lint;
pub mod plan;
pub mod plan_check;
pub mod plan_macro;
