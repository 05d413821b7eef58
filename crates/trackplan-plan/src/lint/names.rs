//! Lint's heuristics over single names, beyond the casing [`crate::conventions`] decides: a
//! past-tense action in event names, names that look dynamic, and property names that suggest
//! personal data.

use heck::ToTitleCase;

/// Common irregular past forms (and participles) used as event actions.
const IRREGULAR_PAST: &[&str] = &[
    "began",
    "begun",
    "bent",
    "bought",
    "bound",
    "broke",
    "broken",
    "brought",
    "built",
    "came",
    "caught",
    "chose",
    "chosen",
    "cut",
    "dealt",
    "did",
    "done",
    "drawn",
    "drew",
    "driven",
    "drove",
    "fell",
    "felt",
    "fought",
    "forgot",
    "forgotten",
    "found",
    "gave",
    "given",
    "gone",
    "got",
    "gotten",
    "heard",
    "held",
    "hid",
    "hidden",
    "hit",
    "hung",
    "kept",
    "knew",
    "known",
    "lent",
    "left",
    "lost",
    "made",
    "meant",
    "met",
    "paid",
    "put",
    "quit",
    "ran",
    "read",
    "rebuilt",
    "redone",
    "reset",
    "rode",
    "rose",
    "said",
    "saw",
    "seen",
    "sent",
    "set",
    "shook",
    "shown",
    "shut",
    "slept",
    "sold",
    "sought",
    "spent",
    "split",
    "spoke",
    "spoken",
    "spread",
    "stole",
    "struck",
    "swept",
    "taken",
    "taught",
    "thought",
    "threw",
    "thrown",
    "told",
    "took",
    "undone",
    "upheld",
    "went",
    "withdrawn",
    "withdrew",
    "won",
    "wound",
    "written",
    "wrote",
];

/// Words ending in `-ed` that are not past forms.
const NOT_PAST: &[&str] = &[
    "bed", "breed", "feed", "need", "red", "seed", "shed", "speed", "embed",
];

/// Whether an event name has a past-tense action after its object (`Order Completed`,
/// `User Signed Out`, `Product Added to Wishlist`). Empty names pass.
pub(crate) fn has_past_tense_action(name: &str) -> bool {
    if name.is_empty() {
        return true;
    }
    // Words of any casing: `event_collided` and `VersionCommand` split like `Event Collided`.
    let title = name.to_title_case();
    title.split(' ').skip(1).any(is_past_tense)
}

fn is_past_tense(word: &str) -> bool {
    let word = word.to_ascii_lowercase();
    if IRREGULAR_PAST.contains(&word.as_str()) {
        return true;
    }
    word.len() > 3 && word.ends_with("ed") && !NOT_PAST.contains(&word.as_str())
}

/// What makes a name look dynamic (a value baked into the name), if anything: an embedded date,
/// id, e-mail address or number.
pub(crate) fn dynamic_part(name: &str) -> Option<String> {
    if let Some(date) = embedded_date(name) {
        return Some(format!("embeds the date `{date}`"));
    }
    let tokens: Vec<&str> = name
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '@' && c != '.')
        .filter(|token| !token.is_empty())
        .collect();
    if let Some(email) = tokens.iter().find(|token| looks_like_email(token)) {
        return Some(format!("embeds the e-mail address `{email}`"));
    }
    let words: Vec<&str> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    if let Some(id) = words.iter().find(|word| looks_like_id(word)) {
        return Some(format!("embeds the id `{id}`"));
    }
    if let Some(number) = words
        .iter()
        .find(|word| word.chars().all(|c| c.is_ascii_digit()))
    {
        return Some(format!("embeds the number `{number}`"));
    }
    None
}

/// A run like `11-01-2019`, `2019/11/01` or `2019.11.01`: three digit groups joined by one
/// separator.
fn embedded_date(name: &str) -> Option<&str> {
    name.split(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '/' | '.')))
        .map(|run| run.trim_matches(|c: char| !c.is_ascii_digit()))
        .find(|run| {
            ['-', '/', '.'].into_iter().any(|sep| {
                let parts: Vec<&str> = run.split(sep).collect();
                parts.len() == 3
                    && parts.iter().all(|p| {
                        (1..=4).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit())
                    })
            })
        })
}

/// Hex of 8 or more characters with at least one digit and one letter (`5f3a9c2b`, the groups
/// of a UUID).
fn looks_like_id(word: &str) -> bool {
    word.len() >= 8
        && word.chars().all(|c| c.is_ascii_hexdigit())
        && word.chars().any(|c| c.is_ascii_digit())
        && word.chars().any(|c| c.is_ascii_alphabetic())
}

fn looks_like_email(token: &str) -> bool {
    match token.split_once('@') {
        Some((user, domain)) => !user.is_empty() && domain.contains('.') && !domain.ends_with('.'),
        None => false,
    }
}

/// Words (of a snake_cased property name) that suggest personal data, with what they suggest.
/// Multi-word entries match consecutive words.
const PERSONAL_DATA_WORDS: &[(&[&str], &str)] = &[
    (&["email"], "an email address"),
    (&["e", "mail"], "an email address"),
    (&["phone"], "a phone number"),
    (&["mobile"], "a phone number"),
    (&["telephone"], "a phone number"),
    (&["ip"], "an IP address"),
    (&["address"], "a postal address"),
    (&["street"], "a postal address"),
    (&["postcode"], "a postal address"),
    (&["postal", "code"], "a postal address"),
    (&["zip", "code"], "a postal address"),
    (&["first", "name"], "a person's name"),
    (&["last", "name"], "a person's name"),
    (&["full", "name"], "a person's name"),
    (&["given", "name"], "a person's name"),
    (&["family", "name"], "a person's name"),
    (&["surname"], "a person's name"),
    (&["birthday"], "a date of birth"),
    (&["birthdate"], "a date of birth"),
    (&["birth", "date"], "a date of birth"),
    (&["date", "of", "birth"], "a date of birth"),
    (&["dob"], "a date of birth"),
    (&["ssn"], "a national identity number"),
    (&["social", "security"], "a national identity number"),
    (&["passport"], "a national identity number"),
    (&["national", "id"], "a national identity number"),
    (&["tax", "id"], "a national identity number"),
];

/// What personal data a property name suggests (`email` → "an email address"), by its words:
/// `billingEmail`, `user_phone` and `ipAddress` match, `tip` and `shipped` do not.
pub(super) fn personal_data_kind(name: &str) -> Option<&'static str> {
    use heck::ToSnakeCase;
    let snake = name.to_snake_case();
    let words: Vec<&str> = snake.split('_').filter(|w| !w.is_empty()).collect();
    PERSONAL_DATA_WORDS
        .iter()
        .find(|(phrase, _)| words.windows(phrase.len()).any(|window| window == *phrase))
        .map(|(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_tense_actions_are_recognised() {
        for name in [
            "Order Completed",
            "User Signed Out",
            "Product Added to Wishlist",
            "Email Sent",
            "Invoice Paid",
            "event_collided",
        ] {
            assert!(has_past_tense_action(name), "{name}");
        }
        for name in [
            "Command Build",
            "KitchenSink",
            "Completed",
            "Product Feed",
            "Order Complete",
        ] {
            assert!(!has_past_tense_action(name), "{name}");
        }
    }

    #[test]
    fn dynamic_names_are_detected() {
        let cases = [
            (
                "User Signed Up (11-01-2019)",
                Some("embeds the date `11-01-2019`"),
            ),
            ("report_2024/01/05", Some("embeds the date `2024/01/05`")),
            ("feature_1", Some("embeds the number `1`")),
            (
                "Property Object Name Collision #2",
                Some("embeds the number `2`"),
            ),
            ("Viewed 5f3a9c2b77", Some("embeds the id `5f3a9c2b77`")),
            (
                "Invite to jane@example.com Sent",
                Some("embeds the e-mail address `jane@example.com`"),
            ),
            ("Order Completed", None),
            ("e2e_enabled", None),
            ("utf8", None),
            ("utm_source", None),
        ];
        for (name, expected) in cases {
            assert_eq!(dynamic_part(name).as_deref(), expected, "{name}");
        }
    }

    #[test]
    fn names_suggesting_personal_data_are_found_by_their_words() {
        for (name, kind) in [
            ("email", "an email address"),
            ("billingEmail", "an email address"),
            ("e_mail", "an email address"),
            ("user_phone", "a phone number"),
            ("ipAddress", "an IP address"),
            ("shipping_address", "a postal address"),
            ("firstName", "a person's name"),
            ("last_name", "a person's name"),
            ("date_of_birth", "a date of birth"),
            ("ssn", "a national identity number"),
        ] {
            assert_eq!(personal_data_kind(name), Some(kind), "{name}");
        }
        for name in [
            "tip",
            "shipped",
            "name",
            "product_name",
            "zip_file",
            "emailed_at_count",
        ] {
            assert_eq!(personal_data_kind(name), None, "{name}");
        }
    }
}
