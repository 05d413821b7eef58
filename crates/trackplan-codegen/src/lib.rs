//! trackplan-codegen: everything the macros, the CLI and build scripts share.
//!
//! - [`plan`]: read a tracking plan (any shape) into one normalised model.
//! - [`names`]: Rust identifiers for plan names.
//! - [`schema`], [`emit`], [`source`], [`generate`]: plan to typed IR to tokens to source; the
//!   one generator behind `plan!`, `trackplan generate` and build scripts ([`build`]).
//! - [`derive`](mod@derive): the expansion of trackplan's derives; [`facade_path`]: how generated code names
//!   the facade and its versioned private module.
//! - [`plan_check`]: hand-written derives checked against a plan.
//! - [`plan_macro`]: the expansion of `plan!`; [`plan_path`]: where a plan named in a macro lives.
//! - [`lint`], [`diff`]: plan lifecycle checks for CI.

pub mod build;
pub mod conventions;
pub mod derive;
pub mod diff;
pub mod emit;
pub mod facade_path;
pub mod generate;
pub mod lint;
pub mod names;
pub mod plan;
pub mod plan_check;
pub mod plan_macro;
pub mod plan_path;
pub mod schema;
pub mod source;
