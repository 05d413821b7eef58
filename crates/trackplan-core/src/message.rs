//! The public message types: an encoded wire [`Message`], its [`MessageId`], the per-call
//! [`CallOptions`] and the six [`CallType`]s. The encoder that builds messages is `encode.rs`.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

use crate::consent::Consent;
use crate::context::{Context, ContextError};
use crate::integrations::{json_type, Integrations, IntegrationsError};
use crate::json::write_json_str;

/// Largest accepted message, in bytes of compact JSON (Segment's HTTP API limits:
/// <https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#max-request-size>).
pub const MAX_MESSAGE_BYTES: usize = 32_000;
/// Longest accepted `messageId`.
pub const MAX_MESSAGE_ID_CHARS: usize = 100;

/// An encoded wire message: compact JSON, as it goes into the batch.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    json: String,
}

impl Message {
    pub(crate) fn from_json(json: String) -> Self {
        Message { json }
    }

    /// The message's buffer, emptied, for another message.
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        let mut buffer = self.json.into_bytes();
        buffer.clear();
        buffer
    }

    /// The message as JSON text.
    pub fn as_str(&self) -> &str {
        &self.json
    }

    /// The size counted against the 32,000-byte limit.
    pub fn len(&self) -> usize {
        self.json.len()
    }

    /// Memory the message holds (its buffer's capacity), what the queue's byte cap counts.
    pub(crate) fn allocated(&self) -> usize {
        self.json.capacity()
    }

    /// Never true for a message the client built; here for completeness.
    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }

    /// The message parsed as a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.json).unwrap_or(Value::Null)
    }

    /// The message's `messageId`.
    pub fn message_id(&self) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct Id<'a> {
            #[serde(rename = "messageId", borrow)]
            message_id: Option<Cow<'a, str>>,
        }
        serde_json::from_str::<Id>(&self.json)
            .ok()?
            .message_id
            .map(Cow::into_owned)
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.json)
    }
}

/// The `messageId` of an accepted message (a UUID v4 unless the caller set one).
#[derive(Clone)]
pub struct MessageId(IdText);

/// A generated UUID stays inline: no allocation on the `track()` hot path.
#[derive(Clone)]
enum IdText {
    Uuid([u8; uuid::fmt::Hyphenated::LENGTH]),
    Custom(String),
}

impl MessageId {
    pub(crate) fn generated(uuid: uuid::Uuid) -> MessageId {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        uuid.hyphenated().encode_lower(&mut text);
        MessageId(IdText::Uuid(text))
    }

    pub(crate) fn custom(id: String) -> MessageId {
        MessageId(IdText::Custom(id))
    }

    /// Write the id as a JSON string; a generated UUID needs no escaping.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        match &self.0 {
            IdText::Uuid(text) => {
                out.push(b'"');
                out.extend_from_slice(text);
                out.push(b'"');
            }
            IdText::Custom(id) => write_json_str(out, id),
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Always ASCII: `encode_lower` writes hex digits and hyphens only.
            IdText::Uuid(text) => std::str::from_utf8(text).unwrap_or_default(),
            IdText::Custom(id) => id,
        }
    }
}

impl PartialEq for MessageId {
    fn eq(&self, other: &MessageId) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for MessageId {}

impl std::hash::Hash for MessageId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MessageId").field(&self.as_str()).finish()
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<MessageId> for String {
    fn from(id: MessageId) -> String {
        match id.0 {
            IdText::Custom(id) => id,
            IdText::Uuid(_) => id.as_str().to_owned(),
        }
    }
}

/// Per-call options for the `*_with` calls: context, integrations, timestamp and messageId.
///
/// ```
/// use trackplan_core::{CallOptions, Context, Integrations};
/// let options = CallOptions::new()
///     .context(Context::new().ip("203.0.113.7".parse().unwrap()))
///     .integrations(Integrations::all(false).enable("Mixpanel"))
///     .message_id("order-o-1-completed");
/// ```
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    pub(crate) context: Option<Context>,
    /// Untyped context keys, merged over `context` (see [`CallOptions::context_json`]).
    pub(crate) context_json: Option<Map<String, Value>>,
    pub(crate) integrations: Option<Integrations>,
    pub(crate) timestamp: Option<time::OffsetDateTime>,
    pub(crate) message_id: Option<String>,
}

impl CallOptions {
    pub fn new() -> Self {
        CallOptions::default()
    }

    /// Context for this call, merged over the client's default context: each key set here
    /// replaces the default's value for that key, and this context's consent, if set, is the
    /// one stamped and checked (over the client's consent source). `library` is always
    /// trackplan's.
    pub fn context(mut self, context: Context) -> Self {
        self.context = Some(context);
        self
    }

    /// Untyped context keys, for contexts built elsewhere: merged over the typed
    /// [`context`](Self::context) and the client's default, top-level key by key. A `consent`
    /// key is checked and enforced like a typed one; `library` is always trackplan's.
    ///
    /// A value that is not an object, or a malformed `consent`, is an error.
    pub fn context_json(mut self, context: Value) -> Result<Self, ContextError> {
        let Value::Object(mut map) = context else {
            return Err(ContextError::NotAnObject(json_type(&context)));
        };
        if let Some(consent) = map.remove("consent") {
            let consent = Consent::try_from(&consent)?;
            self.context = Some(self.context.take().unwrap_or_default().consent(consent));
        }
        self.context_json = Some(map);
        Ok(self)
    }

    /// The `integrations` object: which destinations get the message, with their options.
    pub fn integrations(mut self, integrations: Integrations) -> Self {
        self.integrations = Some(integrations);
        self
    }

    /// Untyped `integrations`, for messages built elsewhere: an object of destination names to
    /// `true`, `false` or an options object. Anything else is an error.
    pub fn integrations_json(self, integrations: Value) -> Result<Self, IntegrationsError> {
        Ok(self.integrations(Integrations::try_from(integrations)?))
    }

    /// When the event happened (imports, backfills); default: the time of the call.
    pub fn timestamp(mut self, at: time::OffsetDateTime) -> Self {
        self.timestamp = Some(at);
        self
    }

    /// Your own `messageId`. Segment deduplicates on it globally, across sources and
    /// workspaces: it must be unique, and at most 100 characters.
    pub fn message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }
}

/// The six Segment calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallType {
    Track,
    Identify,
    Group,
    Page,
    Screen,
    Alias,
}

impl CallType {
    /// The wire `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallType::Track => "track",
            CallType::Identify => "identify",
            CallType::Group => "group",
            CallType::Page => "page",
            CallType::Screen => "screen",
            CallType::Alias => "alias",
        }
    }

    pub fn parse(name: &str) -> Option<CallType> {
        Some(match name {
            "track" => CallType::Track,
            "identify" => CallType::Identify,
            "group" => CallType::Group,
            "page" => CallType::Page,
            "screen" => CallType::Screen,
            "alias" => CallType::Alias,
            _ => return None,
        })
    }
}

impl fmt::Display for CallType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
