//! How generated code names the `trackplan` facade: `::trackplan`, or the path a user gives
//! with `crate = "..."` (derives and `plan!`), `trackplan generate --crate` or
//! [`GenerateOptions::krate`](crate::generate::GenerateOptions::krate) (build scripts), as
//! `#[serde(crate = "...")]` does for crates that re-export or rename their dependency.

use proc_macro2::{Ident, Span};
use syn::parse::Parser;

/// The facade's module of the items only generated code uses (`::trackplan::__private01`).
///
/// Versioned like thiserror's `__privateNN`: when generated code needs different helpers, bump
/// the number here and in the facade together. Output of a generator from another release then
/// fails to compile with a missing module instead of calling helpers whose meaning changed.
pub const PRIVATE_MODULE: &str = "__private01";

/// `::trackplan`, the facade's path unless a user overrides it.
pub fn default_path() -> syn::Path {
    syn::parse_quote!(::trackplan)
}

/// `custom`, or [`default_path`] when there is none.
pub fn or_default(custom: Option<&syn::Path>) -> syn::Path {
    custom.cloned().unwrap_or_else(default_path)
}

/// `krate::__private01`: where generated code finds its helpers.
pub fn private_path(krate: &syn::Path) -> syn::Path {
    let mut path = krate.clone();
    path.segments
        .push(Ident::new(PRIVATE_MODULE, Span::call_site()).into());
    path
}

/// Parse the facade's path from text (`crate = "tp"`, `--crate ::my_sdk::trackplan`): a module
/// path, optionally with a leading `::`, without generic arguments.
pub fn parse(text: &str) -> Result<syn::Path, String> {
    syn::Path::parse_mod_style.parse_str(text).map_err(|_| {
        format!(
            "{text:?} is not a crate path; write the path the trackplan crate is reachable by, \
             such as \"::trackplan\" or \"my_sdk::trackplan\""
        )
    })
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    fn text(path: &syn::Path) -> String {
        path.to_token_stream().to_string().replace(' ', "")
    }

    #[test]
    fn paths_parse_with_and_without_a_leading_colon_pair() {
        assert_eq!(text(&parse("tp").unwrap()), "tp");
        assert_eq!(
            text(&parse("::my_sdk::trackplan").unwrap()),
            "::my_sdk::trackplan"
        );
        assert_eq!(text(&parse("crate::tp").unwrap()), "crate::tp");
    }

    #[test]
    fn malformed_paths_are_refused_with_the_fix() {
        for bad in [
            "",
            "tp::",
            "tp<u8>",
            "my sdk",
            "tp::Vec<u8>",
            "\"tp\"",
            "a-b",
        ] {
            let error = parse(bad).unwrap_err();
            assert!(
                error.starts_with(&format!("{bad:?} is not a crate path; write the path")),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn the_private_module_hangs_off_the_given_path() {
        assert_eq!(
            text(&private_path(&default_path())),
            "::trackplan::__private01"
        );
        assert_eq!(
            text(&private_path(&parse("renamed::tp").unwrap())),
            "renamed::tp::__private01"
        );
    }
}
