//! `#[property(pii)]` and `#[property(pii = "hash" | "redact" | "refuse" | "send")]`: a field
//! holding personal data, written by `ObjectWriter::pii_field` under the client's PII policy or
//! the one the field fixes. The policies themselves live in `trackplan::PiiPolicy`.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::LitStr;

use super::ctxt::Ctxt;
use trackplan_plan::pii::{quoted_policy_names, PiiMark, POLICY_NAMES};

/// A field's PII mark and where errors about it go: the policy literal (`"hash"`), or the `pii`
/// word when the field follows the client's policy.
#[derive(Clone, Copy)]
pub struct FieldPii {
    pub mark: PiiMark,
    pub span: Span,
}

/// The mark of `pii` (`policy` is `None`) or `pii = "<policy>"`; an unknown policy is reported
/// on its literal.
pub fn field_pii(cx: &Ctxt, pii: &syn::Path, policy: Option<LitStr>) -> Option<FieldPii> {
    let Some(lit) = policy else {
        return Some(FieldPii {
            mark: PiiMark::ClientPolicy,
            span: pii.span(),
        });
    };
    let name = lit.value();
    match POLICY_NAMES.into_iter().find(|policy| *policy == name) {
        Some(policy) => Some(FieldPii {
            mark: PiiMark::Fixed(policy),
            span: lit.span(),
        }),
        None => {
            cx.error_spanned_by(
                &lit,
                format!(
                    "unknown PII policy {name:?}; use one of {}, or just `pii` to follow the client's policy",
                    quoted_policy_names()
                ),
            );
            None
        }
    }
}

/// `pii = "hash"` needs a string: a zero-cost call whose `HashableProperty` bound fails on the
/// attribute (the argument is spelled with its span), not on the field.
pub fn hash_requirement(private: &syn::Path, pii: FieldPii, value: TokenStream) -> TokenStream {
    match pii.mark {
        PiiMark::Fixed("hash") => {
            quote_spanned!(pii.span=> #private::require_hashable(#value);)
        }
        _ => TokenStream::new(),
    }
}
