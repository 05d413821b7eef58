//! Rust identifiers for plan names: deterministic, documented, pure.
//!
//! The rules (the README's *Plans*, "Names"), applied in this order:
//!
//! 1. Words: ASCII letters and digits are kept, `'` is dropped (`jerry's` → `jerrys`), every
//!    other ASCII character breaks words, and each non-ASCII letter or digit becomes its own word
//!    `u<hex code point>` (`café` → `caf u00e9`), so identifiers stay ASCII and distinct.
//! 2. Casing by `heck`: `UpperCamelCase` for types and enum variants, `snake_case` for fields
//!    (`isCI` → `is_ci`).
//! 3. A leading digit gets an `X` (types) or `x` (fields) prefix: `X42TerribleEventName3`.
//! 4. Keywords of every edition get a trailing `_`: `type_`, `Self_`.
//! 5. A name with no letters or digits takes the caller's fallback (the call's name, such as
//!    `Identify`, for RudderTyper's unnamed rules).
//! 6. Within one namespace (types, one struct's fields, one enum's variants) names that end up
//!    equal are numbered in plan order: the first keeps the name, the next get `2`, `3`... (fields:
//!    `_2`, `_3`...; a keyword's trailing `_` gives way: `Self_`, `Self2`), skipping names already
//!    taken.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Keywords of editions 2015 to 2024, strict and reserved, plus the weak `union`.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Split `raw` into space-separated ASCII words (rule 1).
fn words(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c == '\'' {
            // `jerry's` reads as one word.
        } else if !c.is_ascii() && c.is_alphanumeric() {
            out.push_str(&format!(" u{:04x} ", u32::from(c)));
        } else {
            out.push(' ');
        }
    }
    out
}

fn finish(ident: String, digit_prefix: char, fallback: &str) -> String {
    let ident = if ident.is_empty() {
        fallback.to_owned()
    } else {
        ident
    };
    let ident = match ident.chars().next() {
        Some(c) if c.is_ascii_digit() => format!("{digit_prefix}{ident}"),
        _ => ident,
    };
    if KEYWORDS.contains(&ident.as_str()) {
        format!("{ident}_")
    } else {
        ident
    }
}

/// The `UpperCamelCase` name of a type or enum variant (rules 1 to 5).
pub fn type_name(raw: &str, fallback: &str) -> String {
    finish(words(raw).to_upper_camel_case(), 'X', fallback)
}

/// The `snake_case` name of a field (rules 1 to 5).
pub fn field_name(raw: &str, fallback: &str) -> String {
    finish(words(raw).to_snake_case(), 'x', fallback)
}

/// Which separator numbered duplicates get (rule 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suffix {
    /// `Name2`: types and variants.
    Glued,
    /// `name_2`: fields.
    Underscore,
}

/// One namespace of identifiers: hands out unique names in the order asked (rule 6).
#[derive(Debug, Default, Clone)]
pub struct Namespace {
    taken: BTreeSet<String>,
}

impl Namespace {
    /// A namespace where `reserved` names are already taken.
    pub fn with_reserved<'a>(reserved: impl IntoIterator<Item = &'a str>) -> Self {
        Namespace {
            taken: reserved.into_iter().map(str::to_owned).collect(),
        }
    }

    /// `base` if free, else the first free `base2`, `base3`... (or `base_2`...).
    pub fn claim(&mut self, base: &str, suffix: Suffix) -> String {
        let mut name = base.to_owned();
        // A keyword's trailing `_` gives way to the number: `Self_` → `Self2`, `type_` → `type_2`.
        let stem = base.trim_end_matches('_');
        let stem = if stem.is_empty() { base } else { stem };
        let mut n = 2u64;
        while self.taken.contains(&name) {
            name = match suffix {
                Suffix::Glued => format!("{stem}{n}"),
                Suffix::Underscore => format!("{stem}_{n}"),
            };
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }
}

/// Unique names for `bases` given in plan order: names that are unique keep their base even when
/// an earlier duplicate's numbered form would have taken it.
pub fn resolve(bases: &[String], suffix: Suffix) -> Vec<String> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for base in bases {
        *counts.entry(base.as_str()).or_default() += 1;
    }
    let mut namespace = Namespace::with_reserved(bases.iter().map(String::as_str));
    let mut first_seen = BTreeSet::new();
    bases
        .iter()
        .map(|base| {
            if first_seen.insert(base.as_str()) {
                base.clone()
            } else {
                namespace.claim(base, suffix)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torture_names_from_the_fixtures() {
        let event = "42_--terrible==\\\"event'++name~!3";
        assert_eq!(type_name(event, "Event"), "X42TerribleEventName3");
        assert_eq!(
            field_name("0000---terrible-property-name~!3", "field"),
            "x0000_terrible_property_name_3"
        );
        assert_eq!(
            type_name("Property Object Name Collision #1", "E"),
            "PropertyObjectNameCollision1"
        );
        assert_eq!(field_name("jerry's memories", "f"), "jerrys_memories");
        assert_eq!(
            field_name("summer's contingency plan", "f"),
            "summers_contingency_plan"
        );
        assert_eq!(type_name("NoID type", "E"), "NoIdType");
    }

    #[test]
    fn camel_case_keys_become_snake_case() {
        assert_eq!(field_name("universeCharacters", "f"), "universe_characters");
        assert_eq!(field_name("numAttempts", "f"), "num_attempts");
        assert_eq!(field_name("isCI", "f"), "is_ci");
        assert_eq!(field_name("aDate", "f"), "a_date");
        assert_eq!(field_name("Sample property 1", "f"), "sample_property_1");
        assert_eq!(type_name("KitchenSink", "E"), "KitchenSink");
        assert_eq!(type_name("Order Completed", "E"), "OrderCompleted");
        assert_eq!(type_name("event_collided", "E"), "EventCollided");
    }

    #[test]
    fn keywords_get_a_trailing_underscore() {
        for kw in [
            "type", "gen", "async", "try", "self", "super", "crate", "abstract", "yield", "union",
        ] {
            assert_eq!(field_name(kw, "f"), format!("{kw}_"));
        }
        assert_eq!(type_name("self", "E"), "Self_");
        assert_eq!(type_name("Self", "E"), "Self_");
        // Type-like property names are fine as fields.
        for name in [
            "any", "boolean", "integer", "number", "object", "string", "nullable",
        ] {
            assert_eq!(field_name(name, "f"), name);
        }
    }

    #[test]
    fn leading_digits_get_a_prefix() {
        assert_eq!(type_name("3d view", "E"), "X3dView");
        assert_eq!(field_name("1st", "f"), "x1st");
        assert_eq!(type_name("0", "E"), "X0");
    }

    #[test]
    fn empty_and_symbol_only_names_take_the_fallback() {
        assert_eq!(type_name("", "Identify"), "Identify");
        assert_eq!(type_name("#!?", "Page"), "Page");
        assert_eq!(field_name("  ", "field"), "field");
        assert_eq!(field_name("'", "value"), "value");
    }

    #[test]
    fn non_ascii_letters_become_code_point_words() {
        assert_eq!(field_name("café", "f"), "caf_u00e9");
        assert_eq!(type_name("購入", "E"), "U8cfcU5165");
        assert_ne!(type_name("購入", "E"), type_name("開始", "E"));
        // Non-ASCII symbols only break words.
        assert_eq!(field_name("price €", "f"), "price");
        assert!(type_name("Ünïcödé", "E").is_ascii());
    }

    #[test]
    fn collisions_are_numbered_in_plan_order() {
        let bases: Vec<String> = ["Event Collided", "event_collided"]
            .iter()
            .map(|n| type_name(n, "E"))
            .collect();
        assert_eq!(
            resolve(&bases, Suffix::Glued),
            ["EventCollided", "EventCollided2"]
        );
        let fields: Vec<String> = ["Property Collided", "property_collided"]
            .iter()
            .map(|n| field_name(n, "f"))
            .collect();
        assert_eq!(
            resolve(&fields, Suffix::Underscore),
            ["property_collided", "property_collided_2"]
        );
    }

    #[test]
    fn numbering_skips_names_that_exist_in_their_own_right() {
        let bases: Vec<String> = ["A", "A", "A2", "A"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(resolve(&bases, Suffix::Glued), ["A", "A3", "A2", "A4"]);
        let keywords: Vec<String> = ["self", "Self"].iter().map(|n| type_name(n, "E")).collect();
        assert_eq!(resolve(&keywords, Suffix::Glued), ["Self_", "Self2"]);
        let fields: Vec<String> = ["type", "Type"]
            .iter()
            .map(|n| field_name(n, "f"))
            .collect();
        assert_eq!(resolve(&fields, Suffix::Underscore), ["type_", "type_2"]);
        let mut ns = Namespace::with_reserved(["x"]);
        assert_eq!(ns.claim("x", Suffix::Underscore), "x_2");
        assert_eq!(ns.claim("y", Suffix::Underscore), "y");
    }

    #[test]
    fn output_is_always_a_valid_identifier() {
        let samples = [
            "",
            "_",
            "__",
            "a b",
            "9",
            "fn",
            "r#x",
            "\"",
            "\\",
            "🎉",
            "a-b-c",
            "ÀB",
            "mixed Ünï 2",
        ];
        for raw in samples {
            for ident in [type_name(raw, "Fallback"), field_name(raw, "fallback")] {
                assert!(
                    syn::parse_str::<syn::Ident>(&ident).is_ok(),
                    "{raw:?} -> {ident:?}"
                );
            }
        }
    }
    proptest::proptest! {
        /// Whatever the plan says, names are identifiers rustc's style lints accept, and
        /// numbering makes them unique.
        #[test]
        fn any_name_gives_a_lint_clean_unique_identifier(raws in proptest::collection::vec(".{0,16}", 1..8)) {
            let types: Vec<String> = raws.iter().map(|r| type_name(r, "Event")).collect();
            let fields: Vec<String> = raws.iter().map(|r| field_name(r, "field")).collect();
            for (ty, field) in resolve(&types, Suffix::Glued).iter().zip(resolve(&fields, Suffix::Underscore)) {
                proptest::prop_assert!(syn::parse_str::<syn::Ident>(ty).is_ok(), "{ty}");
                proptest::prop_assert!(syn::parse_str::<syn::Ident>(&field).is_ok(), "{field}");
                proptest::prop_assert!(ty.is_ascii() && field.is_ascii());
                // non_camel_case_types: underscores only at the end.
                proptest::prop_assert!(!ty.trim_end_matches('_').contains('_'), "{ty}");
                proptest::prop_assert!(ty.starts_with(|c: char| c.is_ascii_uppercase()), "{ty}");
                // non_snake_case: no capitals, no double underscores.
                proptest::prop_assert!(!field.chars().any(|c| c.is_ascii_uppercase()), "{field}");
                proptest::prop_assert!(!field.contains("__"), "{field}");
            }
            let unique: BTreeSet<String> = resolve(&types, Suffix::Glued).into_iter().collect();
            let distinct_bases: BTreeSet<&String> = types.iter().collect();
            proptest::prop_assert!(unique.len() >= distinct_bases.len());
            proptest::prop_assert_eq!(unique.len(), types.len());
        }
    }
}
