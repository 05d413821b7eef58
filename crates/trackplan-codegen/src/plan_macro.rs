//! `plan!("path/to/plan.json")`: the tracking plan as Rust types, at compile time.
//!
//! Options follow the path: `plan!("plan.json", extra_properties)` gives every struct whose
//! schema allows further properties a flattened `extra` map; `pin = "track:Order Completed=2"`
//! (repeatable) takes that version of a rule instead of the newest, as `trackplan generate
//! --pin` does.
//!
//! The same generator as `trackplan generate`; the path is relative to the crate's `Cargo.toml`
//! and the expansion includes the file with `include_bytes!` so editing the plan rebuilds the
//! crate.

use proc_macro2::TokenStream;

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;

use crate::generate::{generate_file, GenerateOptions};
use crate::plan_path::{plan_errors_to_syn, PlanPath};
use trackplan_plan::parse_pin;

/// `"path" (, option)*`.
struct MacroInput {
    path: syn::LitStr,
    options: GenerateOptions,
}

/// One option after the path: `extra_properties` or `pin = "CALL:NAME=VERSION"`.
enum MacroOption {
    ExtraProperties,
    Pin(syn::LitStr),
}

impl Parse for MacroOption {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: syn::Ident = input.parse()?;
        if name == "extra_properties" {
            Ok(MacroOption::ExtraProperties)
        } else if name == "pin" {
            input.parse::<syn::Token![=]>()?;
            Ok(MacroOption::Pin(input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected the pin as a string: `pin = \"track:Order Completed=2\"`",
                )
            })?))
        } else {
            Err(syn::Error::new(
                name.span(),
                format!(
                    "unknown plan! option `{name}`; the options are: extra_properties, pin = \"CALL:NAME=VERSION\""
                ),
            ))
        }
    }
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
            let parsed = Punctuated::<MacroOption, syn::Token![,]>::parse_terminated(input)?;
            for option in parsed {
                match option {
                    MacroOption::ExtraProperties => options.lower.extra_properties = true,
                    MacroOption::Pin(pin) => {
                        let (call, name, version) = parse_pin(&pin.value())
                            .map_err(|message| syn::Error::new(pin.span(), message))?;
                        options.load = options.load.clone().pin(call, name, version);
                    }
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
        assert!(
            bad.contains("unknown plan! option `extras`; the options are: extra_properties, pin"),
            "{bad}"
        );
    }

    #[test]
    fn pins_take_an_older_version_and_bad_pins_are_errors() {
        let path = "tests/versioned/versions.json";
        let newest = expand(quote::quote!(#path)).to_string();
        assert!(newest.contains("pub checkout_id"), "{newest}");
        let pinned = expand(quote::quote!(#path, pin = "track:Order Completed=1")).to_string();
        assert!(!pinned.contains("pub checkout_id"), "{pinned}");
        assert!(pinned.contains("pub order_id"), "{pinned}");
        let both = expand(quote::quote!(#path, extra_properties, pin = "track:Order Completed=1"));
        assert!(!both.to_string().contains("compile_error"), "{both}");
        let bad = expand(quote::quote!(#path, pin = "Order Completed")).to_string();
        assert!(
            bad.contains("bad pin `Order Completed`: write CALL:NAME=VERSION"),
            "{bad}"
        );
        let not_a_string = expand(quote::quote!(#path, pin = 2)).to_string();
        assert!(
            not_a_string.contains("expected the pin as a string"),
            "{not_a_string}"
        );
        let absent = expand(quote::quote!(#path, pin = "track:Order Completed=7")).to_string();
        assert!(
            absent.contains("compile_error") && absent.contains("has no version 7"),
            "{absent}"
        );
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
