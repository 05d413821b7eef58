//! Typed payloads from received messages: the inverse of encoding.
//!
//! A service that receives Segment messages (a webhook, a destination function, a stream, a
//! replay file) parses each one into the same type it sends with: [`decode`] takes the whole
//! message, checks its `type` (and `event` or `name`) against the type's [`Decode`] impl, and
//! deserialises its `properties` or `traits` object. Generated types and the derives implement
//! both `Decode` and `serde::Deserialize`; calling `violations()` on the result gives the plan's
//! full verdict.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::event::Nullable;
use crate::message::CallType;

/// Which messages carry a payload type: what [`decode`] checks before it reads the payload.
///
/// Implemented by `#[derive(Event)]` (track messages with its event name),
/// `#[derive(Traits)]` (identify and group), `#[derive(Properties)]` (page and screen) and by
/// every rule type `plan!` and `trackplan generate` emit (the rule's call and name).
pub trait Decode {
    /// The message `type`s whose payload this is; the first names the payload key
    /// (`properties` for track, page and screen, `traits` for identify and group).
    const CALLS: &'static [CallType];
    /// The `event` (track) or `name` (page, screen) the message must carry, byte-exact; `None`
    /// accepts any.
    const NAME: Option<&'static str>;
}

/// Why a message did not decode into a payload type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not a JSON object, or its `type`, `event` or `name` is not a string.
    #[error("not a Segment message: {0}")]
    Malformed(String),
    /// The message's `type` is not one this payload is sent with.
    #[error("message type is {found}, expected {expected}")]
    WrongCall {
        /// The accepted types, such as `"track"` or `"identify or group"`.
        expected: String,
        /// The message's `type` (quoted), or `no type`.
        found: String,
    },
    /// The message's `event` (or page/screen `name`) is not this type's.
    #[error("message {key} is {found}, expected {expected:?}")]
    WrongName {
        /// `event` or `name`.
        key: &'static str,
        /// The name the type is sent with.
        expected: &'static str,
        /// The message's name (quoted), or `absent`.
        found: String,
    },
    /// The payload does not fit the type.
    #[error("{path}: {message}")]
    Payload {
        /// JSON pointer of the first mismatch in the message, such as `/properties/products/0/price`.
        path: String,
        /// What is wrong, in serde's words.
        message: String,
    },
}

impl DecodeError {
    /// JSON pointer of the mismatch, for payload errors.
    pub fn path(&self) -> Option<&str> {
        match self {
            DecodeError::Payload { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// Decode a message already parsed as JSON into `T`, checking its `type` and name first.
///
/// ```
/// # use trackplan_core::{decode, CallType, Decode, DecodeError};
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Signup { plan: String }
/// impl Decode for Signup {
///     const CALLS: &'static [CallType] = &[CallType::Track];
///     const NAME: Option<&'static str> = Some("Signed Up");
/// }
/// let message = serde_json::json!({
///     "type": "track", "event": "Signed Up", "properties": { "plan": "pro" }
/// });
/// assert_eq!(decode::<Signup>(&message)?, Signup { plan: "pro".into() });
///
/// let bad = serde_json::json!({ "type": "track", "event": "Signed Up", "properties": { "plan": 1 } });
/// assert_eq!(decode::<Signup>(&bad).unwrap_err().path(), Some("/properties/plan"));
/// # Ok::<(), DecodeError>(())
/// ```
pub fn decode<T: Decode + DeserializeOwned>(message: &serde_json::Value) -> Result<T, DecodeError> {
    let object = message
        .as_object()
        .ok_or_else(|| DecodeError::Malformed(format!("expected an object, found {message}")))?;
    let text = |key: &str| match object.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) => Ok(Some(text.as_str())),
        Some(other) => Err(DecodeError::Malformed(format!(
            "`{key}` must be a string, found {other}"
        ))),
    };
    let call = check_header::<T>(text("type")?, text("event")?, text("name")?)?;
    let key = payload_key(call);
    let empty = serde_json::Value::Object(serde_json::Map::new());
    let payload = object.get(key).unwrap_or(&empty);
    let mut progress = Progress::default();
    let seed = PayloadSeed::<T> {
        key,
        progress: &mut progress,
        marker: PhantomData,
    };
    seed.deserialize(payload)
        .map_err(|error| DecodeError::Payload {
            path: progress
                .payload_error
                .take()
                .unwrap_or_else(|| format!("/{key}")),
            message: error.to_string(),
        })
}

/// The message's call, if `type` and the name fit `T`.
fn check_header<T: Decode>(
    call: Option<&str>,
    event: Option<&str>,
    name: Option<&str>,
) -> Result<CallType, DecodeError> {
    let call = accepted_call::<T>(call.ok_or_else(|| wrong_call::<T>("no type".to_owned()))?)?;
    if let (Some(expected), Some(key)) = (T::NAME, name_key(call)) {
        let found = if key == "event" { event } else { name };
        if found != Some(expected) {
            return Err(DecodeError::WrongName {
                key,
                expected,
                found: found.map_or_else(|| "absent".to_owned(), |f| format!("{f:?}")),
            });
        }
    }
    Ok(call)
}

/// Decode a message's JSON text into `T`; see [`decode`]. The payload is deserialised straight
/// from the bytes, without an intermediate `serde_json::Value`.
///
/// Segment's libraries write `type` and `event` before `properties`; in a message that puts the
/// payload first, a payload that does not fit is reported before a wrong `type` or name.
pub fn decode_slice<T: Decode + DeserializeOwned>(message: &[u8]) -> Result<T, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_slice(message);
    let value = read_message(&mut deserializer)?;
    deserializer
        .end()
        .map_err(|e| DecodeError::Malformed(e.to_string()))?;
    Ok(value)
}

/// What reading a message found, kept outside the visitor so an error raised inside the payload
/// (which aborts the whole parse) can still be told apart from a malformed message.
#[derive(Default)]
struct Progress {
    /// Set by a mismatch of `type` or name; the parse is then stopped.
    mismatch: Option<DecodeError>,
    /// Path of the payload error, if the parse failed inside the payload.
    payload_error: Option<String>,
}

fn read_message<'de, T, D>(deserializer: D) -> Result<T, DecodeError>
where
    T: Decode + DeserializeOwned,
    D: Deserializer<'de, Error = serde_json::Error>,
{
    let mut progress = Progress::default();
    let result = deserializer.deserialize_map(MessageVisitor::<T> {
        progress: &mut progress,
        marker: PhantomData,
    });
    match result {
        Ok(value) => Ok(value),
        Err(error) => Err(match (progress.mismatch, progress.payload_error) {
            (Some(mismatch), _) => mismatch,
            (None, Some(path)) => DecodeError::Payload {
                path,
                message: without_position(&error),
            },
            (None, None) => DecodeError::Malformed(error.to_string()),
        }),
    }
}

/// serde_json's message without its "at line 1 column 80": the path says where.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) if error.line() > 0 => text[..at].to_owned(),
        _ => text,
    }
}

struct MessageVisitor<'p, T> {
    progress: &'p mut Progress,
    marker: PhantomData<T>,
}

/// The message keys decoding looks at.
enum Key {
    Type,
    Event,
    Name,
    Payload(&'static str),
    Other,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a message key")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            "type" => Key::Type,
            "event" => Key::Event,
            "name" => Key::Name,
            "properties" => Key::Payload("properties"),
            "traits" => Key::Payload("traits"),
            _ => Key::Other,
        })
    }
}

/// The payload key of `call`'s messages.
fn payload_key(call: CallType) -> &'static str {
    match call {
        CallType::Identify | CallType::Group => "traits",
        _ => "properties",
    }
}

/// The key that names a message of `call`, if the call has one.
fn name_key(call: CallType) -> Option<&'static str> {
    match call {
        CallType::Track => Some("event"),
        CallType::Page | CallType::Screen => Some("name"),
        _ => None,
    }
}

impl<'de, T: Decode + DeserializeOwned> Visitor<'de> for MessageVisitor<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Segment message object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let progress = self.progress;
        let wanted = payload_key(T::CALLS[0]);
        let mut call: Option<String> = None;
        let mut event: Option<String> = None;
        let mut name: Option<String> = None;
        let mut payload = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Type => {
                    let found: String = map.next_value()?;
                    // A wrong type stops the parse before its payload is read.
                    if let Err(mismatch) = accepted_call::<T>(&found) {
                        return Err(stop(progress, mismatch));
                    }
                    call = Some(found);
                }
                Key::Event => event = map.next_value()?,
                Key::Name => name = map.next_value()?,
                Key::Payload(key) if key == wanted && payload.is_none() => {
                    let seed = PayloadSeed::<T> {
                        key,
                        progress: &mut *progress,
                        marker: PhantomData,
                    };
                    payload = Some(map.next_value_seed(seed)?);
                }
                Key::Payload(_) | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let Err(mismatch) = check_header::<T>(call.as_deref(), event.as_deref(), name.as_deref())
        {
            return Err(stop(progress, mismatch));
        }
        match payload {
            Some(payload) => Ok(payload),
            // Segment leaves an empty payload out: decode it as `{}`.
            None => {
                let empty = serde_json::Value::Object(serde_json::Map::new());
                PayloadSeed::<T> {
                    key: wanted,
                    progress,
                    marker: PhantomData,
                }
                .deserialize(&empty)
                .map_err(de::Error::custom)
            }
        }
    }
}

/// Record `mismatch` and stop the parse.
fn stop<E: de::Error>(progress: &mut Progress, mismatch: DecodeError) -> E {
    let text = mismatch.to_string();
    progress.mismatch = Some(mismatch);
    E::custom(text)
}

/// `found` as one of `T`'s calls.
fn accepted_call<T: Decode>(found: &str) -> Result<CallType, DecodeError> {
    CallType::parse(found)
        .filter(|c| T::CALLS.contains(c))
        .ok_or_else(|| wrong_call::<T>(format!("{found:?}")))
}

fn wrong_call<T: Decode>(found: String) -> DecodeError {
    let expected: Vec<&str> = T::CALLS.iter().map(|c| c.as_str()).collect();
    DecodeError::WrongCall {
        expected: expected.join(" or "),
        found,
    }
}

/// Deserialises the payload, tracking the path so an error names where it happened.
struct PayloadSeed<'p, T> {
    key: &'static str,
    progress: &'p mut Progress,
    marker: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for PayloadSeed<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        let mut track = serde_path_to_error::Track::new();
        let result = T::deserialize(serde_path_to_error::Deserializer::new(
            deserializer,
            &mut track,
        ));
        if result.is_err() {
            self.progress.payload_error = Some(json_pointer(self.key, &track.path()));
        }
        result
    }
}

/// `/key/...` for a serde path (the payload key first).
fn json_pointer(key: &str, path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = format!("/{key}");
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// Absent stays [`Nullable::Absent`] (the field's default); `null` is [`Nullable::Null`].
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.map_or(Nullable::Null, Nullable::Value))
    }
}

/// A `format: date-time` value as generated code decodes it: RFC 3339 text.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub time::OffsetDateTime);

impl<'de> Deserialize<'de> for Rfc3339 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Rfc3339;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date-time string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Rfc3339, E> {
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .map(Rfc3339)
                    .map_err(|e| {
                        E::custom(format_args!("{text:?} is not an RFC 3339 date-time: {e}"))
                    })
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// `Default`, named with the decoder's lifetime: a derive's `Deserialize` impl bounds a
/// skipped field's type by it, so a type without `Default` makes the impl not apply instead of
/// failing to compile (a bound without a lifetime or type parameter would be checked eagerly).
#[doc(hidden)]
pub trait DefaultIn<'de>: Sized {
    fn default_in() -> Self;
}

impl<T: Default> DefaultIn<'_> for T {
    #[inline]
    fn default_in() -> Self {
        T::default()
    }
}

/// A JSON Schema `integer` as generated code decodes it: JSON Schema counts `3.0` as an
/// integer, so it decodes as `3` (as serde's `i64` would not), and what the validator accepts
/// decodes.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integer(pub i64);

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Number;
        impl Visitor<'_> for Number {
            type Value = Integer;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Integer, E> {
                Ok(Integer(n))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Integer, E> {
                i64::try_from(n)
                    .map(Integer)
                    .map_err(|_| E::custom(format_args!("{n} is out of range for an i64")))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Integer, E> {
                // i64's range as floats: -2^63 is exact, 2^63 is the first float past the end.
                const END: f64 = 9_223_372_036_854_775_808.0;
                if n.fract() == 0.0 && (-END..END).contains(&n) {
                    #[allow(clippy::cast_possible_truncation)]
                    Ok(Integer(n as i64))
                } else {
                    Err(E::invalid_type(de::Unexpected::Float(n), &self))
                }
            }
        }
        deserializer.deserialize_any(Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Order {
        id: String,
        items: Vec<Item>,
        #[serde(default)]
        note: Nullable<String>,
    }
    #[derive(Debug, PartialEq, Deserialize)]
    struct Item {
        price: f64,
    }
    impl Decode for Order {
        const CALLS: &'static [CallType] = &[CallType::Track];
        const NAME: Option<&'static str> = Some("Order Completed");
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Profile {
        email: Option<String>,
    }
    impl Decode for Profile {
        const CALLS: &'static [CallType] = &[CallType::Identify, CallType::Group];
        const NAME: Option<&'static str> = None;
    }

    fn order(properties: serde_json::Value) -> serde_json::Value {
        json!({ "type": "track", "event": "Order Completed", "properties": properties })
    }

    #[test]
    fn a_matching_message_decodes_from_value_and_bytes() {
        let message = order(json!({ "id": "o1", "items": [{ "price": 2.5 }], "note": null }));
        let expected = Order {
            id: "o1".into(),
            items: vec![Item { price: 2.5 }],
            note: Nullable::Null,
        };
        assert_eq!(decode::<Order>(&message).unwrap(), expected);
        let bytes = serde_json::to_vec(&message).unwrap();
        assert_eq!(decode_slice::<Order>(&bytes).unwrap(), expected);
    }

    #[test]
    fn absent_and_null_stay_apart() {
        let absent = decode::<Order>(&order(json!({ "id": "o", "items": [] }))).unwrap();
        assert_eq!(absent.note, Nullable::Absent);
    }

    #[test]
    fn payload_errors_name_the_json_pointer() {
        let message = order(json!({ "id": "o1", "items": [{ "price": 1 }, { "price": "x" }] }));
        for error in [
            decode::<Order>(&message).unwrap_err(),
            decode_slice::<Order>(&serde_json::to_vec(&message).unwrap()).unwrap_err(),
        ] {
            assert_eq!(error.path(), Some("/properties/items/1/price"), "{error}");
            assert!(!error.to_string().contains("line"), "{error}");
        }
    }

    #[test]
    fn type_and_name_are_checked() {
        let page = json!({ "type": "page", "name": "Order Completed", "properties": {} });
        assert_eq!(
            decode::<Order>(&page).unwrap_err(),
            DecodeError::WrongCall {
                expected: "track".into(),
                found: "\"page\"".into()
            }
        );
        let other =
            json!({ "type": "track", "event": "Order Refunded", "properties": { "id": 1 } });
        assert!(matches!(
            decode::<Order>(&other).unwrap_err(),
            DecodeError::WrongName {
                key: "event",
                expected: "Order Completed",
                ..
            }
        ));
        let untyped = json!({ "event": "Order Completed", "properties": {} });
        assert!(matches!(
            decode::<Order>(&untyped).unwrap_err(),
            DecodeError::WrongCall { .. }
        ));
    }

    #[test]
    fn traits_decode_from_identify_and_group_and_may_be_absent() {
        for call in ["identify", "group"] {
            let message = json!({ "type": call, "traits": { "email": "a@b.c" } });
            assert_eq!(
                decode::<Profile>(&message).unwrap().email.as_deref(),
                Some("a@b.c")
            );
        }
        let bare = json!({ "type": "identify", "userId": "u1", "properties": { "email": 3 } });
        assert_eq!(decode::<Profile>(&bare).unwrap(), Profile { email: None });
    }

    #[test]
    fn malformed_messages_are_reported_as_such() {
        assert!(matches!(
            decode_slice::<Order>(b"[1]").unwrap_err(),
            DecodeError::Malformed(_)
        ));
        assert!(matches!(
            decode_slice::<Order>(b"{\"type\": 3}").unwrap_err(),
            DecodeError::Malformed(_)
        ));
    }

    #[test]
    fn integers_read_integral_floats_as_json_schema_counts_them() {
        let read = |v: serde_json::Value| serde_json::from_value::<Integer>(v).map(|i| i.0);
        assert_eq!(read(json!(3)).unwrap(), 3);
        assert_eq!(read(json!(3.0)).unwrap(), 3);
        assert_eq!(read(json!(-2.0)).unwrap(), -2);
        assert!(read(json!(3.5)).is_err());
        assert!(read(json!(1e19)).is_err());
        assert!(read(json!(u64::MAX)).is_err());
        assert!(read(json!("3")).is_err());
    }

    #[test]
    fn date_times_read_rfc_3339() {
        let at: Rfc3339 = serde_json::from_value(json!("2026-01-02T03:04:05.678Z")).unwrap();
        assert_eq!(crate::format_timestamp(at.0), "2026-01-02T03:04:05.678Z");
        assert!(serde_json::from_value::<Rfc3339>(json!("yesterday")).is_err());
    }
}
