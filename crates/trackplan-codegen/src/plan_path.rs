//! Where a plan named in a macro lives: relative to the crate's `Cargo.toml`, like `include_str!`
//! in sqlx and typify. Shared by `plan!` and plan-checked derives.

use std::path::PathBuf;

use proc_macro2::{Literal, TokenStream};
use quote::quote_spanned;

use trackplan_plan::PlanErrors;

/// A plan file named by a string literal.
pub struct PlanPath {
    /// As written, for messages.
    pub written: String,
    /// `CARGO_MANIFEST_DIR` joined with the written path.
    pub absolute: PathBuf,
}

impl PlanPath {
    /// Resolve `lit` against `CARGO_MANIFEST_DIR`; absolute paths are refused because they only
    /// work on one machine.
    pub fn resolve(lit: &syn::LitStr) -> Result<Self, syn::Error> {
        let written = lit.value();
        if written.trim().is_empty() {
            return Err(syn::Error::new(
                lit.span(),
                "the plan path is empty; name a JSON file relative to the crate's Cargo.toml",
            ));
        }
        let path = PathBuf::from(&written);
        if path.is_absolute() || written.starts_with('/') || written.starts_with('\\') {
            return Err(syn::Error::new(
                lit.span(),
                format!("absolute plan path `{written}` would only work on this machine; write it relative to the crate's Cargo.toml, such as \"schemas/plan.json\""),
            ));
        }
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").ok_or_else(|| {
            syn::Error::new(lit.span(), "CARGO_MANIFEST_DIR is not set; build with cargo, or use `trackplan generate` to write the code ahead of time")
        })?;
        let absolute = PathBuf::from(manifest_dir).join(path);
        Ok(PlanPath { written, absolute })
    }

    /// `const _: &[u8] = include_bytes!("<absolute path>");`: rustc then rebuilds the crate when
    /// the plan changes. Empty when the file does not exist (the error already says so).
    pub fn rebuild_tracker(&self, lit: &syn::LitStr) -> TokenStream {
        match self.absolute.to_str() {
            Some(path) if self.absolute.is_file() => {
                let path = Literal::string(path);
                quote_spanned! {lit.span()=> const _: &[u8] = ::core::include_bytes!(#path); }
            }
            _ => TokenStream::new(),
        }
    }
}

/// Every problem of a plan as one combined `syn::Error` on the path literal: rustc shows them
/// all, each naming the file and the JSON pointer.
pub fn plan_errors_to_syn(lit: &syn::LitStr, errors: &PlanErrors) -> syn::Error {
    let mut combined: Option<syn::Error> = None;
    for error in &errors.errors {
        let one = syn::Error::new(lit.span(), format!("{}: {error}", errors.file));
        match &mut combined {
            Some(all) => all.combine(one),
            None => combined = Some(one),
        }
    }
    combined
        .unwrap_or_else(|| syn::Error::new(lit.span(), format!("{}: invalid plan", errors.file)))
}
