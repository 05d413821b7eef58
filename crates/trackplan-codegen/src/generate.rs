//! The one code generator behind `plan!`, `trackplan generate` and build scripts: a plan in,
//! Rust tokens (or rustfmt-clean source) out.

use std::path::Path;

use proc_macro2::TokenStream;

use crate::plan::{self, LoadOptions, Plan, PlanError, PlanErrors};
use crate::schema;

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
    let plan_name = if plan.name.is_empty() {
        file_stem(file)
    } else {
        plan.name.clone()
    };
    let lowered = schema::lower(plan, &plan_name);
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
pub fn generate_file(path: &Path, file: &str, opts: &LoadOptions) -> Result<Generated, PlanErrors> {
    let opts = opts.clone().file_name(file);
    let plan = plan::load_with(path, &opts)?;
    generate(&plan, file)
}

fn file_stem(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_owned())
}
