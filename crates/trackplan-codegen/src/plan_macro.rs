//! `plan!("path/to/plan.json")`: the tracking plan as Rust types, at compile time.
//!
//! Options follow the path: `plan!("plan.json", extra_properties)` gives every struct whose
//! schema allows further properties a flattened `extra` map.
//!
//! The same generator as `trackplan generate`; the path is relative to the crate's `Cargo.toml`
//! and the expansion includes the file with `include_bytes!` so editing the plan rebuilds the
//! crate.

use proc_macro2::TokenStream;

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;

use crate::generate::{generate_file, GenerateOptions};
use crate::plan_path::{plan_errors_to_syn, PlanPath};

/// `"path" (, option)*`.
struct MacroInput {
    path: syn::LitStr,
    options: GenerateOptions,
}

impl Parse for MacroInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: syn::LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the plan's path as a string literal: `trackplan::plan!(\"schemas/plan.json\")`",
            )
        })?;
        let mut options = GenerateOptions::default();
        if input.parse::<Option<syn::Token![,]>>()?.is_some() {
            let names = Punctuated::<syn::Ident, syn::Token![,]>::parse_terminated(input)?;
            for name in names {
                if name == "extra_properties" {
                    options.lower.extra_properties = true;
                } else {
                    return Err(syn::Error::new(
                        name.span(),
                        format!("unknown plan! option `{name}`; the options are: extra_properties"),
                    ));
                }
            }
        }
        Ok(MacroInput { path, options })
    }
}

/// Expand `plan!(...)`; errors become `compile_error!`s on the path literal.
pub fn expand(input: TokenStream) -> TokenStream {
    expand_plan(input).unwrap_or_else(syn::Error::into_compile_error)
}

fn expand_plan(input: TokenStream) -> Result<TokenStream, syn::Error> {
    let MacroInput { path: lit, options } = syn::parse2(input)?;
    let path = PlanPath::resolve(&lit)?;
    let tracker = path.rebuild_tracker(&lit);
    match generate_file(&path.absolute, &path.written, &options) {
        Ok(generated) => {
            let tokens = generated.tokens;
            Ok(quote::quote! { #tracker #tokens })
        }
        Err(errors) => {
            let error = plan_errors_to_syn(&lit, &errors).into_compile_error();
            Ok(quote::quote! { #tracker #error })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(path: &str) -> String {
        expand(quote::quote!(#path)).to_string()
    }

    #[test]
    fn fixture_plan_expands_to_types_and_a_rebuild_tracker() {
        let out = expand_str("tests/fixtures/typewriter-example-v1.json");
        assert!(out.contains("pub struct SignInFailed"), "{out}");
        assert!(out.contains("include_bytes"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn absolute_and_missing_paths_are_errors() {
        let out = expand_str("/etc/plan.json");
        assert!(
            out.contains("compile_error") && out.contains("only work on this machine"),
            "{out}"
        );
        let out = expand_str("nope/plan.json");
        assert!(
            out.contains("compile_error") && out.contains("nope/plan.json"),
            "{out}"
        );
        assert!(!out.contains("include_bytes"), "{out}");
    }

    #[test]
    fn extra_properties_option() {
        let path = "tests/fixtures/typewriter-e2e-v1.json";
        let plain = expand(quote::quote!(#path)).to_string();
        let open = expand(quote::quote!(#path, extra_properties)).to_string();
        assert!(!plain.contains("pub extra"), "closed by default");
        assert!(open.contains("pub extra :"), "{open}");
        let bad = expand(quote::quote!(#path, extras)).to_string();
        assert!(bad.contains("unknown plan! option `extras`"), "{bad}");
    }

    #[test]
    fn non_literal_input_is_an_error() {
        let out = expand(quote::quote!(some::path)).to_string();
        assert!(
            out.contains("expected the plan's path as a string literal"),
            "{out}"
        );
    }
}
