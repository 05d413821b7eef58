//! [`Integrations`]: which destinations receive a message, and their per-destination options,
//! sent as the message's `integrations` object.
//!
//! Segment's rules (guides/filtering-data): `All` defaults to true (Salesforce to false), keys
//! are destination names, case-sensitive, and `"All": false` blocks every destination except
//! warehouses. An object value carries options for that destination.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// The key that switches every destination on or off.
const ALL: &str = "All";

/// The `integrations` object of a message.
///
/// ```
/// use trackplan_core::Integrations;
/// let only_amplitude = Integrations::all(false)
///     .enable("Amplitude")
///     .options("Amplitude", serde_json::json!({ "session_id": 1_700_000_000_000_u64 }).as_object().cloned().unwrap());
/// assert_eq!(
///     serde_json::to_value(&only_amplitude).unwrap(),
///     serde_json::json!({ "All": false, "Amplitude": { "session_id": 1_700_000_000_000_u64 } })
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Integrations {
    all: Option<bool>,
    /// Sorted by name, so the wire text does not depend on call order.
    destinations: BTreeMap<Cow<'static, str>, Setting>,
}

/// One destination's entry.
#[derive(Debug, Clone, PartialEq)]
enum Setting {
    Enabled(bool),
    /// Options for the destination (which Segment reads as enabled too).
    Options(Map<String, Value>),
}

/// Why a JSON value is not a valid `integrations` object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrationsError {
    #[error("`integrations` must be a JSON object of destination names, not {0}")]
    NotAnObject(&'static str),
    #[error(
        "`integrations.{destination}` must be true, false or an object of options, not {found}"
    )]
    BadSetting {
        destination: String,
        found: &'static str,
    },
}

impl Integrations {
    /// No `integrations` entries: every destination gets the message (Segment's default).
    pub fn new() -> Self {
        Integrations::default()
    }

    /// Start from `"All": enabled`, then list exceptions with [`enable`](Self::enable) and
    /// [`disable`](Self::disable).
    pub fn all(enabled: bool) -> Self {
        Integrations {
            all: Some(enabled),
            ..Integrations::default()
        }
    }

    /// Send to `destination` (a destination name as Segment spells it, such as `"Amplitude"`).
    /// Replaces options set before for it; `"All"` sets the default for every destination.
    pub fn enable(self, destination: impl Into<Cow<'static, str>>) -> Self {
        self.set(destination.into(), Setting::Enabled(true))
    }

    /// Do not send to `destination`. `"All"` sets the default for every destination.
    pub fn disable(self, destination: impl Into<Cow<'static, str>>) -> Self {
        self.set(destination.into(), Setting::Enabled(false))
    }

    /// Send to `destination` with these options, such as Amplitude's `session_id`.
    pub fn options(
        self,
        destination: impl Into<Cow<'static, str>>,
        options: Map<String, Value>,
    ) -> Self {
        self.set(destination.into(), Setting::Options(options))
    }

    fn set(mut self, destination: Cow<'static, str>, setting: Setting) -> Self {
        match (destination.as_ref(), setting) {
            (ALL, Setting::Enabled(enabled)) => self.all = Some(enabled),
            (_, setting) => {
                self.destinations.insert(destination, setting);
            }
        }
        self
    }

    /// Whether there are no entries at all.
    pub fn is_empty(&self) -> bool {
        self.all.is_none() && self.destinations.is_empty()
    }
}

impl Serialize for Integrations {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = self.destinations.len() + usize::from(self.all.is_some());
        let mut map = serializer.serialize_map(Some(len))?;
        if let Some(all) = self.all {
            map.serialize_entry(ALL, &all)?;
        }
        for (destination, setting) in &self.destinations {
            match setting {
                Setting::Enabled(enabled) => map.serialize_entry(destination, enabled)?,
                Setting::Options(options) => map.serialize_entry(destination, options)?,
            }
        }
        map.end()
    }
}

/// The untyped form, for messages built elsewhere: an object whose values are booleans or
/// option objects (`"All"` must be a boolean).
impl TryFrom<Value> for Integrations {
    type Error = IntegrationsError;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        let Value::Object(entries) = value else {
            return Err(IntegrationsError::NotAnObject(json_type(&value)));
        };
        let mut integrations = Integrations::new();
        for (destination, setting) in entries {
            let setting = match setting {
                Value::Bool(enabled) => Setting::Enabled(enabled),
                Value::Object(options) if destination != ALL => Setting::Options(options),
                other => {
                    return Err(IntegrationsError::BadSetting {
                        found: json_type(&other),
                        destination,
                    })
                }
            };
            integrations = integrations.set(destination.into(), setting);
        }
        Ok(integrations)
    }
}

/// A JSON value's type, for error messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn all_comes_first_and_the_last_setting_of_a_destination_wins() {
        let integrations = Integrations::all(false)
            .enable("Mixpanel")
            .disable("Amplitude")
            .options(
                "Amplitude",
                json!({ "session_id": 7 }).as_object().cloned().unwrap(),
            )
            .disable("Salesforce")
            .enable("Salesforce");
        assert_eq!(
            serde_json::to_string(&integrations).unwrap(),
            r#"{"All":false,"Amplitude":{"session_id":7},"Mixpanel":true,"Salesforce":true}"#
        );
        assert_eq!(
            Integrations::new().enable("All"),
            Integrations::all(true),
            "`All` is the default switch, not a destination"
        );
        assert_eq!(serde_json::to_string(&Integrations::new()).unwrap(), "{}");
        assert!(Integrations::new().is_empty());
    }

    #[test]
    fn untyped_integrations_are_checked_not_passed_through() {
        let parsed = Integrations::try_from(
            json!({ "All": false, "Amplitude": { "session_id": 7 }, "Mixpanel": true }),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            json!({ "All": false, "Amplitude": { "session_id": 7 }, "Mixpanel": true })
        );
        assert_eq!(
            Integrations::try_from(json!(["Amplitude"])),
            Err(IntegrationsError::NotAnObject("an array"))
        );
        let bad = Integrations::try_from(json!({ "Amplitude": "yes" })).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "`integrations.Amplitude` must be true, false or an object of options, not a string"
        );
        assert!(matches!(
            Integrations::try_from(json!({ "All": {} })),
            Err(IntegrationsError::BadSetting { .. })
        ));
    }
}
