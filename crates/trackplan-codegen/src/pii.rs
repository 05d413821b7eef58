//! Personal-data fields in generated code, shared by the derives (`#[property(pii)]`) and the
//! plan emitter (`"x-pii"`): both write them with `ObjectWriter::pii_field`, whose policies live
//! in `trackplan::PiiPolicy`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use trackplan_plan::pii::PiiMark;

/// The `Option<PiiPolicy>` argument of `pii_field`: the policy the mark fixes, or `None` for the
/// client's.
pub(crate) fn policy_tokens(krate: &syn::Path, private: &syn::Path, mark: PiiMark) -> TokenStream {
    match mark {
        PiiMark::ClientPolicy => quote!(#private::None),
        PiiMark::Fixed(name) => {
            let variant = syn::Ident::new(&variant_name(name), Span::call_site());
            quote!(#private::Some(#krate::PiiPolicy::#variant))
        }
    }
}

/// `"hash"` → `Hash`: the `PiiPolicy` variant of a policy name.
fn variant_name(policy: &str) -> String {
    let mut chars = policy.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use trackplan_plan::pii::POLICY_NAMES;

    #[test]
    fn policy_names_are_the_variant_names_lower_cased() {
        let variants: Vec<String> = POLICY_NAMES.into_iter().map(variant_name).collect();
        assert_eq!(variants, ["Send", "Hash", "Redact", "Refuse"]);
    }
}
