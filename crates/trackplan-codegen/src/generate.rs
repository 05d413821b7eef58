//! The one code generator behind `plan!`, `trackplan generate` and build scripts: a plan in,
//! Rust tokens (or rustfmt-clean source) out.

use std::path::Path;

use proc_macro2::TokenStream;

use crate::schema::{self, LowerOptions};
use trackplan_plan::{self as plan, LoadOptions, Plan, PlanError, PlanErrors};

/// How to read the plan and shape the code: one set of options for all three doors.
#[derive(Debug, Clone, Default)]
pub struct GenerateOptions {
    /// Version pins.
    pub load: LoadOptions,
    /// Choices the plan does not make, such as opt-in `extra` maps.
    pub lower: LowerOptions,
}

/// Generated code and the warnings met on the way.
#[derive(Debug)]
pub struct Generated {
    pub tokens: TokenStream,
    /// Things that generated but deserve a look (such as a required property the schema does
    /// not declare).
    pub warnings: Vec<PlanError>,
}

/// Generate the types of every rule of `plan`. `file` names the plan in errors and, when the plan
/// has no name, in `plan_metadata()`.
pub fn generate(plan: &Plan, file: &str) -> Result<Generated, PlanErrors> {
    generate_with(plan, file, LowerOptions::default())
}

/// [`generate`] with lowering options.
pub fn generate_with(
    plan: &Plan,
    file: &str,
    options: LowerOptions,
) -> Result<Generated, PlanErrors> {
    let plan_name = plan_name(plan, file);
    let lowered = schema::lower_with(plan, &plan_name, options);
    if !lowered.errors.is_empty() {
        return Err(PlanErrors {
            file: file.to_owned(),
            errors: lowered.errors,
        });
    }
    Ok(Generated {
        tokens: crate::emit::emit(&lowered.space),
        warnings: lowered.warnings,
    })
}

/// Read the plan file at `path` and generate its types; errors name the file as `file`.
pub fn generate_file(
    path: &Path,
    file: &str,
    opts: &GenerateOptions,
) -> Result<Generated, PlanErrors> {
    let load = opts.load.clone().file_name(file);
    let plan = plan::load_with(path, &load)?;
    generate_with(&plan, file, opts.lower)
}

/// What `plan_metadata()` calls the plan: its own name, or the file's stem when it has none.
pub(crate) fn plan_name(plan: &Plan, file: &str) -> String {
    if plan.name.is_empty() {
        file_stem(file)
    } else {
        plan.name.clone()
    }
}

fn file_stem(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_owned())
}

/// Why source could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The plan is unreadable, not a plan, or uses a schema feature without a Rust mapping.
    #[error("{0}")]
    Plan(#[from] PlanErrors),
    /// The generator produced tokens that do not parse: a trackplan bug.
    #[error("trackplan generated invalid Rust (please report this bug): {0}")]
    Render(#[from] syn::Error),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Generated source text and the warnings met on the way.
#[derive(Debug)]
pub struct GeneratedSource {
    pub source: String,
    pub warnings: Vec<PlanError>,
}

/// The plan file at `path` as source: prettyplease output, then rustfmt's when a `rustfmt` is
/// installed (so the file is `cargo fmt --check`-clean). `file` names the plan in errors and the
/// header.
pub fn generate_source(
    path: &Path,
    file: &str,
    opts: &GenerateOptions,
) -> Result<GeneratedSource, GenerateError> {
    let generated = generate_file(path, file, opts)?;
    let source = crate::source::render(&generated.tokens, file)?;
    let source = crate::source::rustfmt(&source).unwrap_or(source);
    Ok(GeneratedSource {
        source,
        warnings: generated.warnings,
    })
}
