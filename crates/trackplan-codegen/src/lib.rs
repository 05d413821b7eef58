//! trackplan-codegen: everything the macros, the CLI and build scripts share.
//!
//! - [`plan`]: read a tracking plan (any shape) into one normalised model.
//! - [`names`]: Rust identifiers for plan names.
//! - [`schema`], [`emit`], [`source`], [`generate`]: plan to typed IR to tokens to source; the
//!   one generator behind `plan!`, `trackplan generate` and build scripts ([`build`]).
//! - [`derive`]: the expansion of trackplan's derives.
//! - [`plan_check`]: hand-written derives checked against a plan.
//! - [`plan_macro`]: the expansion of `plan!`; [`plan_path`]: where a plan named in a macro lives.
//! - [`lint`], [`diff`]: plan lifecycle checks for CI; [`coverage`]: which rules messages exercise.

pub mod build;
pub mod conventions;
pub mod coverage;
pub mod derive;
pub mod diff;
pub mod emit;
pub mod generate;
pub mod lint;
pub mod names;
pub mod plan;
pub mod plan_check;
pub mod plan_macro;
pub mod plan_path;
pub mod schema;
pub mod source;
