//! For build scripts: generate a plan's types into `OUT_DIR` (or anywhere) and rebuild only
//! when the plan changes.
//!
//! ```no_run
//! // build.rs: `fn main()` runs this; src/lib.rs then has
//! // `include!(concat!(env!("OUT_DIR"), "/analytics.rs"));`
//! let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("analytics.rs");
//! if let Err(e) = trackplan_codegen::build::generate("schemas/plan.json", &out) {
//!     panic!("{e}");
//! }
//! ```

use std::path::Path;

use crate::generate::{generate_source, GenerateError, GenerateOptions};

/// Generate the types of the plan at `plan` (relative to the package root, where build scripts
/// run) into `out`, writing only when the source changed. Prints `cargo:rerun-if-changed` for the
/// plan and `cargo:warning` lines for the generator's warnings. Returns whether `out` was written.
pub fn generate(plan: impl AsRef<Path>, out: impl AsRef<Path>) -> Result<bool, GenerateError> {
    generate_with(plan.as_ref(), out.as_ref(), &GenerateOptions::default())
}

/// [`generate`] with version pins and lowering options.
pub fn generate_with(
    plan: &Path,
    out: &Path,
    opts: &GenerateOptions,
) -> Result<bool, GenerateError> {
    println!("cargo:rerun-if-changed={}", plan.display());
    let file = plan.display().to_string();
    let generated = generate_source(plan, &file, opts)?;
    for warning in &generated.warnings {
        println!("cargo:warning={file}: {warning}");
    }
    crate::source::write_if_changed(out, &generated.source).map_err(|source| GenerateError::Io {
        path: out.to_owned(),
        source,
    })
}
