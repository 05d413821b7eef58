//! trackplan-codegen: Rust generation for the macros, the CLI and build scripts. Plans as data
//! (reading, naming conventions, the JSON-Schema view, lint, diff) live in `trackplan-plan`.
//!
//! - [`names`]: Rust identifiers for plan names.
//! - [`schema`], [`emit`], [`source`], [`generate`]: plan to typed IR to tokens to source; the
//!   one generator behind `plan!`, `trackplan generate` and build scripts ([`build`]).
//! - [`derive`](mod@derive): the expansion of trackplan's derives, including hand-written derives
//!   checked against a plan; [`facade_path`]: how generated code names the facade and its
//!   versioned private module.
//! - [`plan_macro`]: the expansion of `plan!`; [`plan_path`]: where a plan named in a macro lives.

pub mod build;
pub mod derive;
pub mod emit;
pub mod facade_path;
pub mod generate;
pub mod names;
mod pii;
pub mod plan_macro;
pub mod plan_path;
pub mod schema;
pub mod source;
