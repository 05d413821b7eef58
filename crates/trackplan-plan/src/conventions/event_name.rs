//! Event names: Title Case "Object Action" words (`Order Completed`), minor words lowercase
//! between the first and the last (`Product Added to Wishlist`, but `Signed In`), as Segment's
//! specs spell them.

use std::fmt;

use heck::ToTitleCase;

use super::MINOR_WORDS;

/// Why a name is not a Title Case "Object Action" event name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventNameProblem {
    /// Leading, trailing or repeated spaces.
    Spacing,
    /// One word (or none): no object and action.
    SingleWord,
    /// A word that is neither capitalised nor a minor word between the first and the last.
    NotTitleCase { word: String },
}

impl fmt::Display for EventNameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventNameProblem::Spacing => f.write_str("has leading, trailing or repeated spaces"),
            EventNameProblem::SingleWord => f.write_str(
                "is a single word; Segment names events as Object Action words separated by spaces",
            ),
            EventNameProblem::NotTitleCase { word } => {
                write!(f, "has the word `{word}`, which is not Title Case")
            }
        }
    }
}

/// What keeps `name` from being Title Case "Object Action": at least two words separated by
/// single spaces, each starting with a capital or a digit and made of ASCII letters and digits,
/// minor words (`to`, `from`...) allowed lowercase between the first and the last. `None` when
/// it is one.
pub fn event_name_problem(name: &str) -> Option<EventNameProblem> {
    if name.trim() != name || name.contains("  ") {
        return Some(EventNameProblem::Spacing);
    }
    if !name.contains(' ') {
        return Some(EventNameProblem::SingleWord);
    }
    let words: Vec<&str> = name.split(' ').collect();
    words
        .iter()
        .copied()
        .enumerate()
        .find(|&(index, word)| !is_title_case_word(word, is_inner(index, words.len())))
        .map(|(_, word)| EventNameProblem::NotTitleCase {
            word: word.to_owned(),
        })
}

/// Whether `name` is a Title Case "Object Action" event name.
pub fn is_title_case_event(name: &str) -> bool {
    event_name_problem(name).is_none()
}

/// Whether word `index` of `count` is neither the first nor the last: only there may a minor
/// word stay lowercase.
fn is_inner(index: usize, count: usize) -> bool {
    index > 0 && index + 1 < count
}

fn is_title_case_word(word: &str, inner: bool) -> bool {
    if inner && MINOR_WORDS.contains(&word) {
        return true;
    }
    let mut chars = word.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_alphanumeric())
}

/// `name` split into words at case changes and punctuation, each word capitalised except minor
/// words between the first and the last.
fn title_case(name: &str) -> String {
    let title = name.to_title_case();
    let count = title.split(' ').count();
    title
        .split(' ')
        .enumerate()
        .map(|(index, word)| {
            let lower = word.to_ascii_lowercase();
            if is_inner(index, count) && MINOR_WORDS.contains(&lower.as_str()) {
                lower
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The default event name of a type: its name in Title Case words (`OrderCompleted` gives
/// `Order Completed`, `ProductAddedToWishlist` gives `Product Added to Wishlist`).
pub fn default_event_name(type_name: &str) -> String {
    title_case(type_name)
}

/// A Title Case event name close to `name`, when there is one that differs from it.
pub fn suggest_event_name(name: &str) -> Option<String> {
    let converted = title_case(name);
    (converted != name && is_title_case_event(&converted)).then_some(converted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_case_event_names() {
        for ok in [
            "Order Completed",
            "Product Added to Wishlist",
            "Wishlist Product Added to Cart",
            "Sign In Failed",
            "Signed In",
            "Sign in Failed",
            "CTA Clicked",
            "3D Model Viewed",
            "404 Page Viewed",
            "Signed Up",
        ] {
            assert_eq!(event_name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "Signup",
            "order completed",
            "Order completed",
            "Order_Completed",
            "OrderCompleted",
            "Order  Completed",
            " Order Completed",
            "Order Completed ",
            "to Order",
            "User Signed Up (11-01-2019)",
            "Bestellung Abgeschloßen",
        ] {
            assert!(!is_title_case_event(bad), "{bad}");
        }
    }

    #[test]
    fn problems_name_what_is_wrong() {
        assert_eq!(
            event_name_problem(" Order Completed"),
            Some(EventNameProblem::Spacing)
        );
        assert_eq!(
            event_name_problem("Order  Completed"),
            Some(EventNameProblem::Spacing)
        );
        assert_eq!(
            event_name_problem("event_collided"),
            Some(EventNameProblem::SingleWord)
        );
        assert_eq!(
            event_name_problem("order completed"),
            Some(EventNameProblem::NotTitleCase {
                word: "order".into()
            })
        );
        assert_eq!(
            event_name_problem("to Order Completed"),
            Some(EventNameProblem::NotTitleCase { word: "to".into() }),
            "minor word first"
        );
        assert_eq!(
            event_name_problem("Signed in"),
            Some(EventNameProblem::NotTitleCase { word: "in".into() }),
            "minor word last"
        );
    }

    #[test]
    fn default_event_names_come_from_the_type_name() {
        assert_eq!(default_event_name("OrderCompleted"), "Order Completed");
        assert_eq!(
            default_event_name("ProductAddedToWishlist"),
            "Product Added to Wishlist"
        );
        assert_eq!(
            default_event_name("ProductRemovedFromWishlist"),
            "Product Removed from Wishlist"
        );
        assert_eq!(default_event_name("ToDoCreated"), "To Do Created");
        assert_eq!(default_event_name("SignedIn"), "Signed In");
        assert_eq!(default_event_name("UserOptedIn"), "User Opted In");
        assert!(is_title_case_event(&default_event_name(
            "ProductAddedToWishlist"
        )));
        assert!(!is_title_case_event(&default_event_name("Signup")));
    }

    #[test]
    fn event_name_suggestions() {
        for (name, suggestion) in [
            ("order_completed", "Order Completed"),
            ("orderCompleted", "Order Completed"),
            ("KitchenSink", "Kitchen Sink"),
            ("Sample event 1", "Sample Event 1"),
            ("product added to wishlist", "Product Added to Wishlist"),
            ("Product Added To Wishlist", "Product Added to Wishlist"),
            ("signed in", "Signed In"),
        ] {
            assert_eq!(
                suggest_event_name(name).as_deref(),
                Some(suggestion),
                "{name}"
            );
        }
        assert_eq!(suggest_event_name("Order Completed"), None);
        assert_eq!(suggest_event_name("Signup"), None);
    }
}
