//! Property naming conventions: snake_case by default (Segment's), or the one an item picks with
//! `case = "..."`. Pure functions over ASCII names.

use heck::{ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// A property naming convention, selected with `case = "..."`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Case {
    #[default]
    Snake,
    Camel,
    Pascal,
    Kebab,
    ScreamingSnake,
}

impl Case {
    pub const ALL: [Case; 5] = [
        Case::Snake,
        Case::Camel,
        Case::Pascal,
        Case::Kebab,
        Case::ScreamingSnake,
    ];

    /// The spelling used in `case = "..."`, which is also an example of the convention.
    pub fn name(self) -> &'static str {
        match self {
            Case::Snake => "snake_case",
            Case::Camel => "camelCase",
            Case::Pascal => "PascalCase",
            Case::Kebab => "kebab-case",
            Case::ScreamingSnake => "SCREAMING_SNAKE_CASE",
        }
    }

    pub fn from_name(name: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|case| case.name() == name)
    }

    /// `"snake_case", "camelCase", ...` for error messages.
    pub fn all_names() -> String {
        Case::ALL
            .map(|case| format!("\"{}\"", case.name()))
            .join(", ")
    }

    /// `name` rewritten in this convention. Apostrophes are dropped rather than split on
    /// (`jerry's memories` gives `jerrys_memories`).
    pub fn convert(self, name: &str) -> String {
        let name = &name.replace('\'', "");
        match self {
            Case::Snake => name.to_snake_case(),
            Case::Camel => name.to_lower_camel_case(),
            Case::Pascal => name.to_upper_camel_case(),
            Case::Kebab => name.to_kebab_case(),
            Case::ScreamingSnake => name.to_shouty_snake_case(),
        }
    }

    /// Whether `name` follows this convention: ASCII letters and digits, starting with a letter,
    /// words joined by the convention's separator or capitals (no empty words).
    pub fn matches(self, name: &str) -> bool {
        let starts_with = |pred: fn(&u8) -> bool| name.as_bytes().first().is_some_and(pred);
        let separated = |sep: char, word_char: fn(char) -> bool| {
            name.split(sep)
                .all(|word| !word.is_empty() && word.chars().all(word_char))
        };
        let alnum_only = || name.bytes().all(|b| b.is_ascii_alphanumeric());
        let lower_or_digit = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        let upper_or_digit = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit();
        match self {
            Case::Snake => starts_with(u8::is_ascii_lowercase) && separated('_', lower_or_digit),
            Case::Kebab => starts_with(u8::is_ascii_lowercase) && separated('-', lower_or_digit),
            Case::ScreamingSnake => {
                starts_with(u8::is_ascii_uppercase) && separated('_', upper_or_digit)
            }
            Case::Camel => starts_with(u8::is_ascii_lowercase) && alnum_only(),
            Case::Pascal => starts_with(u8::is_ascii_uppercase) && alnum_only(),
        }
    }

    /// A name in this convention close to `name`, when there is one that differs from it.
    pub fn suggest(self, name: &str) -> Option<String> {
        let converted = self.convert(name);
        (converted != name && self.matches(&converted)).then_some(converted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conventions::{is_reserved_trait, RESERVED_TRAITS};

    #[test]
    fn snake_case() {
        for ok in ["order_id", "a", "line1", "address_line_1", "utm_source2"] {
            assert!(Case::Snake.matches(ok), "{ok}");
        }
        for bad in [
            "", "orderId", "Order_id", "_id", "id_", "a__b", "1st", "a-b", "é", "a b",
        ] {
            assert!(!Case::Snake.matches(bad), "{bad}");
        }
    }

    #[test]
    fn camel_and_pascal_case() {
        for ok in ["orderId", "firstName", "a", "line1", "isCI"] {
            assert!(Case::Camel.matches(ok), "{ok}");
        }
        for bad in ["", "OrderId", "order_id", "order-id", "1a"] {
            assert!(!Case::Camel.matches(bad), "{bad}");
        }
        assert!(Case::Pascal.matches("OrderId"));
        assert!(!Case::Pascal.matches("orderId"));
        assert!(!Case::Pascal.matches("Order_Id"));
    }

    #[test]
    fn kebab_and_screaming_snake_case() {
        assert!(Case::Kebab.matches("order-id"));
        assert!(!Case::Kebab.matches("order_id"));
        assert!(!Case::Kebab.matches("order--id"));
        assert!(Case::ScreamingSnake.matches("ORDER_ID"));
        assert!(!Case::ScreamingSnake.matches("Order_ID"));
        assert!(!Case::ScreamingSnake.matches("ORDER__ID"));
    }

    #[test]
    fn every_case_accepts_its_own_conversion_of_a_rust_field_name() {
        for case in Case::ALL {
            for field in ["order_id", "address_line_1", "x", "is_ci", "product_sku2"] {
                let converted = case.convert(field);
                assert!(case.matches(&converted), "{case:?} {field} -> {converted}");
            }
        }
        assert_eq!(Case::Camel.convert("first_name"), "firstName");
        assert_eq!(Case::Pascal.convert("first_name"), "FirstName");
        assert_eq!(Case::Kebab.convert("first_name"), "first-name");
        assert_eq!(Case::ScreamingSnake.convert("first_name"), "FIRST_NAME");
    }

    #[test]
    fn case_names_round_trip() {
        for case in Case::ALL {
            assert_eq!(Case::from_name(case.name()), Some(case));
        }
        assert_eq!(Case::from_name("snake"), None);
        assert_eq!(Case::from_name("lowerCamelCase"), None);
    }

    #[test]
    fn suggestions_follow_the_case_and_differ_from_the_input() {
        assert_eq!(Case::Snake.suggest("orderID").as_deref(), Some("order_id"));
        assert_eq!(
            Case::Snake.suggest("firstName").as_deref(),
            Some("first_name")
        );
        assert_eq!(
            Case::Camel.suggest("first_name").as_deref(),
            Some("firstName")
        );
        assert_eq!(
            Case::Snake.suggest("jerry's memories").as_deref(),
            Some("jerrys_memories")
        );
        assert_eq!(Case::Snake.suggest("order_id"), None);
        assert_eq!(Case::Snake.suggest("!!"), None);
    }

    #[test]
    fn reserved_traits_are_camel_case() {
        assert!(is_reserved_trait("firstName"));
        assert!(is_reserved_trait("createdAt"));
        assert!(!is_reserved_trait("first_name"));
        assert!(RESERVED_TRAITS.iter().all(|t| Case::Camel.matches(t)));
    }
}
