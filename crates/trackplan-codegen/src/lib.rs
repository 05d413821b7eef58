//! trackplan-codegen: everything the macros, the CLI and build scripts share.
//!
//! - [`plan`]: read a tracking plan (any shape) into one normalised model.
//! - [`derive`]: the expansion of trackplan's derives.
//! - [`plan_macro`]: the expansion of `plan!`.

pub mod derive;
pub mod plan;
pub mod plan_macro;
