//! Consent: the user's choice per consent category, sent as `context.consent.categoryPreferences`
//! (Segment Consent Management), and what the client does with an item whose categories the user
//! has not granted.
//!
//! Segment's rules: without a consent object nothing is enforced; a category missing from
//! `categoryPreferences` counts as not granted; a destination in several categories needs all of
//! them. The client applies the same reading to the categories an event or traits type declares
//! (`#[event(consent = "Analytics")]`, or `x-consent` in a plan) before anything is sent.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use crate::message::CallType;
use crate::user::User;

/// A user's consent: category name to granted or denied.
///
/// ```
/// use trackplan_core::Consent;
/// let consent = Consent::new().grant("Analytics").deny("Advertising");
/// assert!(consent.is_granted("Analytics"));
/// assert!(!consent.is_granted("Advertising"));
/// assert!(!consent.is_granted("Functional"), "a category not mentioned is not granted");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consent {
    /// Sorted, so the wire text does not depend on the order of `grant`/`deny` calls.
    categories: BTreeMap<Cow<'static, str>, bool>,
}

impl Consent {
    /// No category granted (an empty `categoryPreferences`, which Segment reads as "every
    /// category denied").
    pub fn new() -> Self {
        Consent::default()
    }

    /// The user granted `category` (a later `deny` of the same category wins).
    pub fn grant(self, category: impl Into<Cow<'static, str>>) -> Self {
        self.set(category, true)
    }

    /// The user denied `category` (a later `grant` of the same category wins).
    pub fn deny(self, category: impl Into<Cow<'static, str>>) -> Self {
        self.set(category, false)
    }

    /// Record the user's choice for `category`.
    pub fn set(mut self, category: impl Into<Cow<'static, str>>, granted: bool) -> Self {
        self.categories.insert(category.into(), granted);
        self
    }

    /// Whether the user granted `category`; a category not mentioned is not granted.
    pub fn is_granted(&self, category: &str) -> bool {
        self.categories.get(category).copied().unwrap_or(false)
    }

    /// The categories of `required` this consent does not grant, in the order given.
    pub fn missing(&self, required: &[&'static str]) -> Vec<&'static str> {
        required
            .iter()
            .copied()
            .filter(|category| !self.is_granted(category))
            .collect()
    }

    /// Each category and whether it is granted, sorted by name.
    pub fn categories(&self) -> impl Iterator<Item = (&str, bool)> {
        self.categories
            .iter()
            .map(|(name, granted)| (name.as_ref(), *granted))
    }
}

/// The wire form, `{"categoryPreferences":{"Advertising":false,"Analytics":true}}`.
impl Serialize for Consent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("categoryPreferences", &self.categories)?;
        map.end()
    }
}

/// Where the client gets each message's consent: [`ClientBuilder::consent`](crate::ClientBuilder::consent).
pub(crate) type ConsentSource = std::sync::Arc<dyn Fn(&User) -> Consent + Send + Sync>;

/// What the client does with an item whose consent categories the user has not granted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsentPolicy {
    /// Do not send it: the call returns [`EnqueueError::ConsentWithheld`](crate::EnqueueError::ConsentWithheld),
    /// the message is counted in [`Metrics::consent_withheld`](crate::Metrics::consent_withheld)
    /// and reported to the [`on_consent_withheld`](crate::ClientBuilder::on_consent_withheld)
    /// callback. Nothing about the user leaves the process. The default.
    #[default]
    Drop,
    /// Send it with the consent stamped and let Segment's consent management keep it from the
    /// destinations of the denied categories. Segment still receives (and stores) the message,
    /// and enforces nothing when the message carries no consent at all.
    StampOnly,
}

/// A message the client did not send because the user had not granted its consent categories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithheldMessage {
    /// The call that was not sent.
    pub call: CallType,
    /// The event name (track) or page/screen name; empty for identify, group and unnamed views.
    pub name: String,
    /// The user the message was about.
    pub user: User,
    /// The item's categories the user has not granted.
    pub missing: Vec<&'static str>,
}

/// Called with each message withheld for lack of consent.
pub(crate) type WithheldCallback = std::sync::Arc<dyn Fn(&WithheldMessage) + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_is_category_preferences_sorted_by_name() {
        let consent = Consent::new()
            .grant("Analytics")
            .deny("Advertising")
            .grant(String::from("Functional"));
        assert_eq!(
            serde_json::to_string(&consent).unwrap(),
            r#"{"categoryPreferences":{"Advertising":false,"Analytics":true,"Functional":true}}"#
        );
        assert_eq!(
            serde_json::to_string(&Consent::new()).unwrap(),
            r#"{"categoryPreferences":{}}"#
        );
    }

    #[test]
    fn missing_lists_denied_and_unmentioned_categories_and_the_last_choice_wins() {
        let consent = Consent::new()
            .grant("Analytics")
            .deny("Advertising")
            .grant("Advertising")
            .deny("Analytics");
        assert_eq!(
            consent.missing(&["Analytics", "Advertising", "Functional"]),
            ["Analytics", "Functional"]
        );
        assert!(consent.missing(&["Advertising"]).is_empty());
        assert!(consent.missing(&[]).is_empty());
        assert_eq!(
            consent.categories().collect::<Vec<_>>(),
            [("Advertising", true), ("Analytics", false)]
        );
    }
}
