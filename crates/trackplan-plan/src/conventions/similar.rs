//! "Did you mean ...?" for names that are not in a plan: the nearest planned name, if it is near
//! enough to be a typo (`Order Complted`, `order completed`, `OrderCompleted`).

/// The candidate closest to `name`, when it is close enough to be what was meant.
///
/// Names are compared case- and punctuation-insensitively first (so `order_completed` finds
/// `Order Completed`), then by normalised Damerau-Levenshtein similarity; ties keep the first
/// candidate, so the answer follows plan order and never hash order.
///
/// ```
/// use trackplan_plan::conventions::closest_name;
///
/// let planned = ["Order Completed", "Order Updated", "Product Viewed"];
/// assert_eq!(closest_name("Order Complted", planned), Some("Order Completed"));
/// assert_eq!(closest_name("order_completed", planned), Some("Order Completed"));
/// assert_eq!(closest_name("Signed Up", planned), None);
/// ```
pub fn closest_name<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Below this, two names share too little to suggest one for the other.
    const MIN_SIMILARITY: f64 = 0.75;
    let wanted = fold(name);
    let mut best: Option<(&'a str, f64)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let folded = fold(candidate);
        let similarity = if folded == wanted {
            1.0
        } else {
            strsim::normalized_damerau_levenshtein(&wanted, &folded)
        };
        if similarity >= MIN_SIMILARITY && best.is_none_or(|(_, score)| similarity > score) {
            best = Some((candidate, similarity));
        }
    }
    best.map(|(candidate, _)| candidate)
}

/// Lower case, letters and digits only: `Order_Completed` and `order completed` fold alike.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::closest_name;

    const PLANNED: [&str; 4] = [
        "Order Completed",
        "Order Updated",
        "Product Viewed",
        "Cart Viewed",
    ];

    #[test]
    fn typos_case_and_punctuation_find_the_planned_name() {
        for typo in [
            "Order Complted",
            "Order Completd",
            "order completed",
            "OrderCompleted",
            "Oredr Completed",
        ] {
            assert_eq!(
                closest_name(typo, PLANNED),
                Some("Order Completed"),
                "{typo}"
            );
        }
        assert_eq!(
            closest_name("Prodcut Viewed", PLANNED),
            Some("Product Viewed")
        );
    }

    #[test]
    fn unrelated_names_get_no_suggestion() {
        for other in ["Signed Up", "Checkout Started", "", "x"] {
            assert_eq!(closest_name(other, PLANNED), None, "{other}");
        }
    }

    #[test]
    fn an_exact_name_is_not_suggested_to_itself() {
        assert_eq!(closest_name("Cart Viewed", ["Cart Viewed"]), None);
    }
}
