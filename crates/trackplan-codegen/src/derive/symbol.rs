//! Attribute names, as constants (serde_derive's `symbol.rs`): one spelling of each key, and
//! comparisons against `syn::Path` that read like `meta.path == RENAME`.

use std::fmt;

use syn::{Ident, Path};

/// One attribute name or key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol(pub &'static str);

// Attribute names.
pub const EVENT: Symbol = Symbol("event");
pub const TRAITS: Symbol = Symbol("traits");
pub const PROPERTIES: Symbol = Symbol("properties");
pub const PROPERTY: Symbol = Symbol("property");

// Container keys.
pub const NAME: Symbol = Symbol("name");
pub const ALLOW_NAME: Symbol = Symbol("allow_name");
pub const CASE: Symbol = Symbol("case");
pub const CRATE: Symbol = Symbol("crate");
pub const PLAN: Symbol = Symbol("plan");
pub const CALL: Symbol = Symbol("call");
pub const VERSION: Symbol = Symbol("version");
pub const CONSENT: Symbol = Symbol("consent");

// Field and variant keys.
pub const RENAME: Symbol = Symbol("rename");
pub const SERDE: Symbol = Symbol("serde");
pub const SKIP: Symbol = Symbol("skip");
pub const PII: Symbol = Symbol("pii");

// Field constraint keys (JSON Schema keywords, checked by `violations()`).
pub const MIN: Symbol = Symbol("min");
pub const MAX: Symbol = Symbol("max");
pub const EXCLUSIVE_MIN: Symbol = Symbol("exclusive_min");
pub const EXCLUSIVE_MAX: Symbol = Symbol("exclusive_max");
pub const MIN_LENGTH: Symbol = Symbol("min_length");
pub const MAX_LENGTH: Symbol = Symbol("max_length");
pub const PATTERN: Symbol = Symbol("pattern");
pub const FORMAT: Symbol = Symbol("format");
pub const MIN_ITEMS: Symbol = Symbol("min_items");
pub const MAX_ITEMS: Symbol = Symbol("max_items");
pub const UNIQUE_ITEMS: Symbol = Symbol("unique_items");

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
