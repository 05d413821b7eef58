//! One wire message: encoded once, in the caller, straight into bytes.
//!
//! Typed calls write their payload through [`Properties`]/[`Traits`] into the message buffer; only
//! per-call options and [`Client::enqueue`](crate::Client::enqueue) go through
//! `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::EnqueueError;
use crate::event::{EncodeError, PlanMetadata};
use crate::user::User;

/// Largest accepted message, in bytes of compact JSON (segment-api.md §5).
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
    fn generated(uuid: uuid::Uuid) -> MessageId {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        uuid.hyphenated().encode_lower(&mut text);
        MessageId(IdText::Uuid(text))
    }

    fn custom(id: String) -> MessageId {
        MessageId(IdText::Custom(id))
    }

    /// Write the id as a JSON string; a generated UUID needs no escaping.
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match &self.0 {
            IdText::Uuid(text) => {
                out.push(b'"');
                out.extend_from_slice(text);
                out.push(b'"');
                Ok(())
            }
            IdText::Custom(id) => {
                write_json_str(out, id);
                Ok(())
            }
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
/// use trackplan_core::CallOptions;
/// let options = CallOptions::new()
///     .context(serde_json::json!({ "ip": "203.0.113.7" }))
///     .integrations(serde_json::json!({ "All": false, "Mixpanel": true }))
///     .message_id("order-o-1-completed");
/// ```
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    context: Option<Map<String, Value>>,
    integrations: Option<Value>,
    timestamp: Option<time::OffsetDateTime>,
    message_id: Option<String>,
}

impl CallOptions {
    pub fn new() -> Self {
        CallOptions::default()
    }

    /// Context keys for this call, merged over the client's default context (top-level keys of
    /// this object win; `library` is always trackplan's). A value that is not an object is
    /// ignored.
    pub fn context(mut self, context: Value) -> Self {
        self.context = match context {
            Value::Object(map) => Some(map),
            _ => None,
        };
        self
    }

    /// The `integrations` object, such as `{"All": false, "Amplitude": true}`.
    pub fn integrations(mut self, integrations: Value) -> Self {
        self.integrations = Some(integrations);
        self
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

/// Builds messages with the client's default context. Cheap to share.
pub(crate) struct Encoder {
    /// The default context with `library` set.
    context: Map<String, Value>,
    /// `context` serialised without its closing brace, for the fast path.
    context_open: Vec<u8>,
    /// The default context has keys that plan metadata writes into: merge as values instead.
    context_has_plan_keys: bool,
    /// Recent messages' size, for the next buffer's capacity (see [`BufferSizeHint`]).
    size_hint: BufferSizeHint,
}

thread_local! {
    /// A delivered message's buffer, handed back by the queue at this thread's last push.
    static SPARE_BUFFER: std::cell::Cell<Option<Vec<u8>>> = const { std::cell::Cell::new(None) };
}

/// An empty buffer of at least `capacity` bytes: this thread's spare one when it has one.
fn spare_buffer(capacity: usize) -> Vec<u8> {
    match SPARE_BUFFER.take() {
        Some(mut buffer) => {
            buffer.reserve(capacity);
            buffer
        }
        None => Vec::with_capacity(capacity),
    }
}

/// Keep `buffer` for this thread's next message.
pub(crate) fn keep_spare_buffer(buffer: Vec<u8>) {
    SPARE_BUFFER.set(Some(buffer));
}

/// Sizes each message's buffer from the messages before it, so that one allocation usually
/// holds the whole message with little spare: the queue's byte cap counts capacity, and a fixed
/// 1 KiB buffer spent a third of it on slack for typical 700-byte events.
///
/// The hint is a slowly decaying maximum of recent lengths (shared by the threads that call,
/// updated without ordering: a stale hint only costs a regrowth or some slack).
#[derive(Debug)]
struct BufferSizeHint(std::sync::atomic::AtomicUsize);

impl BufferSizeHint {
    const INITIAL: usize = 1024;
    const MIN: usize = 256;

    fn new() -> BufferSizeHint {
        BufferSizeHint(std::sync::atomic::AtomicUsize::new(Self::INITIAL))
    }

    /// Capacity for the next message: the hint plus an eighth, in 64-byte steps.
    fn capacity(&self) -> usize {
        let hint = self.0.load(std::sync::atomic::Ordering::Relaxed);
        (hint + hint / 8).next_multiple_of(64)
    }

    /// Learn from a finished message of `len` bytes: follow growth at once, shrinkage slowly
    /// (1/32 a message), so that one small message among large ones does not cost the next
    /// large one a regrowth.
    fn record(&self, len: usize) {
        let hint = self.0.load(std::sync::atomic::Ordering::Relaxed);
        let next = len
            .max(hint - hint / 32)
            .clamp(Self::MIN, MAX_MESSAGE_BYTES);
        if next != hint {
            self.0.store(next, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl Encoder {
    pub(crate) fn new(default_context: Map<String, Value>) -> Encoder {
        let mut context = default_context;
        context.insert("library".to_owned(), library());
        let mut context_open = serde_json::to_vec(&context).unwrap_or_else(|_| b"{}".to_vec());
        context_open.pop();
        let context_has_plan_keys =
            context.contains_key("protocols") || context.contains_key("trackplan");
        Encoder {
            context,
            context_open,
            context_has_plan_keys,
            size_hint: BufferSizeHint::new(),
        }
    }

    /// Encode one typed message. `fields` writes the call's own fields, each followed by a comma.
    pub(crate) fn encode(
        &self,
        call: CallType,
        user: &User,
        options: Option<&CallOptions>,
        plan: Option<PlanMetadata>,
        fields: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<(Message, MessageId), EnqueueError> {
        let user_id = user.user_id().filter(|id| !id.is_empty());
        let anonymous_id = user.anonymous_id().filter(|id| !id.is_empty());
        if user_id.is_none() && anonymous_id.is_none() {
            return Err(EnqueueError::MissingField {
                call,
                field: "userId or anonymousId",
            });
        }
        let message_id = match options.and_then(|o| o.message_id.as_deref()) {
            Some(id) => MessageId::custom(checked_message_id(id)?.to_owned()),
            None => MessageId::generated(uuid::Uuid::new_v4()),
        };
        let timestamp = match options.and_then(|o| o.timestamp) {
            Some(at) => crate::event::timestamp_text(at),
            None => now_text(),
        };

        let mut out = spare_buffer(self.size_hint.capacity());
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(call.as_str().as_bytes());
        out.extend_from_slice(b"\",\"messageId\":");
        message_id.write_json(&mut out)?;
        out.extend_from_slice(b",\"timestamp\":\"");
        out.extend_from_slice(&timestamp);
        out.push(b'"');
        if let Some(id) = user_id {
            out.extend_from_slice(b",\"userId\":");
            write_json_str(&mut out, id);
        }
        if let Some(id) = anonymous_id {
            out.extend_from_slice(b",\"anonymousId\":");
            write_json_str(&mut out, id);
        }
        out.push(b',');
        fields(&mut out)?;
        out.extend_from_slice(b"\"context\":");
        self.write_context(&mut out, options.and_then(|o| o.context.as_ref()), plan)?;
        if let Some(integrations) = options.and_then(|o| o.integrations.as_ref()) {
            out.extend_from_slice(b",\"integrations\":");
            write_json(&mut out, integrations)?;
        }
        out.push(b'}');
        self.size_hint.record(out.len());
        let message = finish(out)?;
        Ok((message, message_id))
    }

    fn write_context(
        &self,
        out: &mut Vec<u8>,
        call_context: Option<&Map<String, Value>>,
        plan: Option<PlanMetadata>,
    ) -> Result<(), EncodeError> {
        if call_context.is_none() && !self.context_has_plan_keys {
            out.extend_from_slice(&self.context_open);
            if let Some(plan) = plan {
                write_plan_context(out, plan);
            }
            out.push(b'}');
            return Ok(());
        }
        let mut context = self.context.clone();
        if let Some(call_context) = call_context {
            context.extend(call_context.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        self.finish_context(&mut context, plan);
        write_json(out, &context)
    }

    /// Set `library` (always ours) and the plan metadata on a context object.
    fn finish_context(&self, context: &mut Map<String, Value>, plan: Option<PlanMetadata>) {
        context.insert("library".to_owned(), library());
        if let Some(plan) = plan {
            if let Some(version) = plan.event_version {
                let protocols = context
                    .entry("protocols")
                    .or_insert_with(|| Value::Object(Map::new()));
                if !protocols.is_object() {
                    *protocols = Value::Object(Map::new());
                }
                if let Value::Object(protocols) = protocols {
                    protocols.insert("event_version".to_owned(), version.into());
                }
            }
            context.insert("trackplan".to_owned(), plan_json(plan));
        }
    }

    /// Complete an already-built wire message: check `type` and the call's required fields,
    /// keep a present messageId, timestamp and `context.library`, fill missing ones, merge the
    /// default context.
    pub(crate) fn complete(&self, message: Value) -> Result<(Message, MessageId), EnqueueError> {
        let Value::Object(mut message) = message else {
            return Err(EnqueueError::Invalid(
                "a message must be a JSON object".to_owned(),
            ));
        };
        let call = match message.get("type") {
            Some(Value::String(name)) => CallType::parse(name).ok_or_else(|| {
                EnqueueError::Invalid(format!(
                    "unknown `type` {name:?}: expected track, identify, group, page, screen or alias"
                ))
            })?,
            Some(_) => return Err(EnqueueError::Invalid("`type` must be a string".to_owned())),
            None => return Err(EnqueueError::MissingType),
        };
        check_required(call, &message)?;
        let message_id = match message.get("messageId") {
            Some(Value::String(id)) => checked_message_id(id)?.to_owned(),
            Some(_) => {
                return Err(EnqueueError::Invalid(
                    "`messageId` must be a string".to_owned(),
                ))
            }
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                message.insert("messageId".to_owned(), Value::String(id.clone()));
                id
            }
        };
        match message.get("timestamp") {
            Some(Value::String(_)) => {}
            Some(_) => {
                return Err(EnqueueError::Invalid(
                    "`timestamp` must be an ISO 8601 string".to_owned(),
                ))
            }
            None => {
                let now = crate::format_timestamp(time::OffsetDateTime::now_utc());
                message.insert("timestamp".to_owned(), Value::String(now));
            }
        }
        let mut context = self.context.clone();
        let mut own_library = None;
        match message.remove("context") {
            Some(Value::Object(mut own)) => {
                own_library = own.remove("library").filter(|library| !library.is_null());
                context.extend(own);
            }
            Some(Value::Null) | None => {}
            Some(_) => {
                return Err(EnqueueError::Invalid(
                    "`context` must be an object".to_owned(),
                ))
            }
        }
        self.finish_context(&mut context, None);
        // A replayed or backfilled message keeps the library that produced it.
        if let Some(library) = own_library {
            context.insert("library".to_owned(), library);
        }
        message.insert("context".to_owned(), Value::Object(context));
        // Into this thread's spare buffer, like typed messages: the push hands it a new one.
        let mut json = spare_buffer(self.size_hint.capacity());
        write_json(&mut json, &message)?;
        self.size_hint.record(json.len());
        Ok((finish(json)?, MessageId::custom(message_id)))
    }
}

/// Check the fields Segment requires for `call` in an untyped message.
fn check_required(call: CallType, message: &Map<String, Value>) -> Result<(), EnqueueError> {
    let text = |key: &str| -> Result<Option<&str>, EnqueueError> {
        match message.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(EnqueueError::Invalid(format!("`{key}` must be a string"))),
        }
    };
    let user_id = text("userId")?;
    let anonymous_id = text("anonymousId")?;
    if user_id.is_none() && anonymous_id.is_none() {
        return Err(EnqueueError::MissingField {
            call,
            field: "userId or anonymousId",
        });
    }
    let required: &[&'static str] = match call {
        CallType::Track => &["event"],
        CallType::Group => &["groupId"],
        CallType::Alias => &["previousId", "userId"],
        CallType::Identify | CallType::Page | CallType::Screen => &[],
    };
    for field in required {
        if text(field)?.is_none() {
            return Err(EnqueueError::MissingField { call, field });
        }
    }
    Ok(())
}

/// [`format_timestamp`](crate::format_timestamp) written straight into `out`, without an
/// intermediate string.
#[cfg(test)]
fn write_timestamp(out: &mut Vec<u8>, at: time::OffsetDateTime) {
    out.extend_from_slice(&crate::event::timestamp_text(at));
}

/// The current time as [`format_timestamp`](crate::format_timestamp) writes it. Calls within
/// one second share its date and time of day, so each thread keeps the last second's text and
/// only writes the milliseconds (the calendar arithmetic is most of a timestamp's cost).
fn now_text() -> [u8; 24] {
    thread_local! {
        static LAST_SECOND: std::cell::Cell<Option<(u64, [u8; 24])>> =
            const { std::cell::Cell::new(None) };
    }
    let Ok(since_epoch) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) else {
        // A clock before 1970: nothing worth caching.
        return crate::event::timestamp_text(time::OffsetDateTime::now_utc());
    };
    let second = since_epoch.as_secs();
    let mut text = match LAST_SECOND.get() {
        Some((cached, text)) if cached == second => text,
        _ => {
            let at = time::OffsetDateTime::UNIX_EPOCH + std::time::Duration::from_secs(second);
            let text = crate::event::timestamp_text(at);
            LAST_SECOND.set(Some((second, text)));
            text
        }
    };
    let millis = since_epoch.subsec_millis();
    text[20] = b'0' + (millis / 100) as u8;
    text[21] = b'0' + (millis / 10 % 10) as u8;
    text[22] = b'0' + (millis % 10) as u8;
    text
}

fn checked_message_id(id: &str) -> Result<&str, EnqueueError> {
    let chars = id.chars().count();
    if id.is_empty() || chars > MAX_MESSAGE_ID_CHARS {
        return Err(EnqueueError::Invalid(format!(
            "`messageId` must have 1 to {MAX_MESSAGE_ID_CHARS} characters, this one has {chars}"
        )));
    }
    Ok(id)
}

/// Spare capacity a queued message may keep; beyond it the buffer is shrunk, so the queue's byte
/// cap measures real memory.
pub(crate) const MAX_SLACK_BYTES: usize = 512;

fn finish(mut json: Vec<u8>) -> Result<Message, EnqueueError> {
    if json.capacity() > json.len() + MAX_SLACK_BYTES {
        json.shrink_to_fit();
    }
    if json.len() > MAX_MESSAGE_BYTES {
        return Err(EnqueueError::TooLarge {
            size: json.len(),
            limit: MAX_MESSAGE_BYTES,
        });
    }
    // Every writer here emits JSON from Rust strings, so this is UTF-8; checked for safety.
    let json = String::from_utf8(json).map_err(|e| EncodeError::new("message", e.to_string()))?;
    Ok(Message::from_json(json))
}

/// Write `text` as a JSON string, byte-identical to `serde_json`. Ids and names rarely need
/// escaping, so they are checked eight bytes at a time and copied whole; serde_json's
/// byte-by-byte escaper only runs for the rest.
pub(crate) fn write_json_str(out: &mut Vec<u8>, text: &str) {
    if needs_escape(text.as_bytes()) {
        // Writing a `str` into a `Vec` cannot fail.
        let _ = serde_json::to_writer(out, text);
    } else {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    }
}

/// Whether `bytes` holds one that serde_json escapes: a control byte, `"` or `\`.
///
/// Eight bytes at a time; the tail is checked by one more (overlapping) word rather than byte
/// by byte, since most property strings are short.
fn needs_escape(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if len >= 8 {
        let mut chunks = bytes.chunks_exact(8);
        if chunks.any(|chunk| word_needs_escape(u64_at(chunk, 0))) {
            return true;
        }
        return !len.is_multiple_of(8) && word_needs_escape(u64_at(bytes, len - 8));
    }
    if len >= 4 {
        let (low, high) = (u32_at(bytes, 0), u32_at(bytes, len - 4));
        return word_needs_escape(u64::from(low) | u64::from(high) << 32);
    }
    bytes
        .iter()
        .any(|&byte| byte < 0x20 || byte == b'"' || byte == b'\\')
}

/// Whether any byte of `word` is a control byte, `"` or `\` (the classic bit trick, exact
/// for "any").
#[inline]
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // High bit set in a lane below `n` (n <= 0x80), or a false one above such a lane only.
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word;
    let equal = |word: u64, byte: u8| below(word ^ (ONES * u64::from(byte)), 1);
    // One branch for the three tests.
    (below(word, 0x20) | equal(word, b'"') | equal(word, b'\\')) & HIGHS != 0
}

#[inline]
fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_ne_bytes(word)
}

#[inline]
fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_ne_bytes(word)
}

/// Write `value` as compact JSON.
pub(crate) fn write_json<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), EncodeError> {
    serde_json::to_writer(out, value).map_err(|e| EncodeError::new("message", e.to_string()))
}

fn library() -> Value {
    serde_json::json!({ "name": "trackplan", "version": env!("CARGO_PKG_VERSION") })
}

fn plan_json(plan: PlanMetadata) -> Value {
    serde_json::json!({ "plan": plan.plan, "generator_version": plan.generator_version })
}

/// The `protocols` and `trackplan` context entries of [`plan_json`] and
/// [`Encoder::finish_context`], each preceded by a comma, written without building a `Value`
/// (every call of a generated type has them).
fn write_plan_context(out: &mut Vec<u8>, plan: PlanMetadata) {
    if let Some(version) = plan.event_version {
        out.extend_from_slice(b",\"protocols\":{\"event_version\":");
        write_decimal(out, version);
        out.push(b'}');
    }
    let plan_entry = |out: &mut Vec<u8>| {
        out.extend_from_slice(b"\"plan\":");
        write_json_str(out, plan.plan);
    };
    let generator_entry = |out: &mut Vec<u8>| {
        out.extend_from_slice(b"\"generator_version\":");
        write_json_str(out, plan.generator_version);
    };
    out.extend_from_slice(b",\"trackplan\":{");
    if plan_key_comes_first() {
        plan_entry(out);
        out.push(b',');
        generator_entry(out);
    } else {
        generator_entry(out);
        out.push(b',');
        plan_entry(out);
    }
    out.push(b'}');
}

/// `value` in decimal, as serde_json writes an integer.
fn write_decimal(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// Whether `serde_json::Map` keeps `plan` before `generator_version`: it sorts its keys unless a
/// crate in the build turns on serde_json's `preserve_order`, and the wire text must not depend
/// on which path wrote it.
fn plan_key_comes_first() -> bool {
    static PLAN_FIRST: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *PLAN_FIRST.get_or_init(|| {
        let sample = plan_json(PlanMetadata {
            plan: "",
            event_version: None,
            generator_version: "",
        });
        sample
            .as_object()
            .and_then(|object| object.keys().next())
            .is_some_and(|key| key == "plan")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encoder() -> Encoder {
        Encoder::new(
            json!({ "app": { "name": "shop" } })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
    }

    fn track(
        encoder: &Encoder,
        options: Option<&CallOptions>,
        plan: Option<PlanMetadata>,
    ) -> Value {
        let (message, _) = encoder
            .encode(CallType::Track, &User::id("u1"), options, plan, |out| {
                out.extend_from_slice(br#""event":"Signed Up","properties":{"plan":"pro"},"#);
                Ok(())
            })
            .unwrap();
        message.to_value()
    }

    #[test]
    fn typed_message_has_ids_timestamp_and_library_context() {
        let value = track(&encoder(), None, None);
        assert_eq!(value["type"], "track");
        assert_eq!(value["userId"], "u1");
        assert_eq!(value["properties"], json!({ "plan": "pro" }));
        assert_eq!(
            value["context"],
            json!({ "app": { "name": "shop" }, "library": { "name": "trackplan", "version": env!("CARGO_PKG_VERSION") } })
        );
        assert!(uuid::Uuid::parse_str(value["messageId"].as_str().unwrap()).is_ok());
        assert_eq!(value["timestamp"].as_str().unwrap().len(), 24);
        assert!(value.get("anonymousId").is_none());
    }

    #[test]
    fn plan_metadata_goes_into_context_on_both_paths() {
        let plan = PlanMetadata {
            plan: "Shop",
            event_version: Some(3),
            generator_version: "0.1.0",
        };
        let fast = track(&encoder(), None, Some(plan));
        let options = CallOptions::new().context(json!({ "ip": "1.2.3.4", "library": "mine" }));
        let merged = track(&encoder(), Some(&options), Some(plan));
        for value in [&fast, &merged] {
            assert_eq!(value["context"]["protocols"], json!({ "event_version": 3 }));
            assert_eq!(
                value["context"]["trackplan"],
                json!({ "plan": "Shop", "generator_version": "0.1.0" })
            );
            assert_eq!(value["context"]["library"]["name"], "trackplan");
        }
        assert_eq!(merged["context"]["ip"], "1.2.3.4");
        let unversioned = PlanMetadata {
            event_version: None,
            ..plan
        };
        assert!(track(&encoder(), None, Some(unversioned))["context"]
            .get("protocols")
            .is_none());
    }

    #[test]
    fn returned_message_id_is_the_one_on_the_wire() {
        let encoder = encoder();
        let encode = |options: Option<&CallOptions>| {
            encoder
                .encode(CallType::Track, &User::id("u1"), options, None, |out| {
                    out.extend_from_slice(br#""event":"Signed Up","properties":{},"#);
                    Ok(())
                })
                .unwrap()
        };
        let (message, generated) = encode(None);
        assert_eq!(message.message_id().as_deref(), Some(generated.as_str()));
        assert_eq!(
            uuid::Uuid::parse_str(generated.as_str()).map(|u| u.get_version_num()),
            Ok(4)
        );
        let options = CallOptions::new().message_id("order \"o-1\" completed");
        let (message, custom) = encode(Some(&options));
        assert_eq!(message.message_id().as_deref(), Some(custom.as_str()));
        assert_eq!(custom.to_string(), "order \"o-1\" completed");
        // Equality and hashing see the text, whichever way the id was made.
        let same_text = MessageId::custom(generated.as_str().to_owned());
        assert_eq!(generated, same_text);
        let set: std::collections::HashSet<MessageId> = [generated.clone(), same_text].into();
        assert_eq!(set.len(), 1);
        assert_eq!(String::from(generated.clone()), generated.as_str());
        assert_eq!(
            format!("{generated:?}"),
            format!("MessageId({:?})", generated.as_str())
        );
    }

    #[test]
    fn json_strings_are_written_exactly_as_serde_json_writes_them() {
        let cases = [
            "",
            "u1",
            "Order Completed",
            "caf\u{e9} \u{1F600}",
            "quote \" backslash \\ slash /",
            "tab\t newline\n nul\u{0} unit separator\u{1f} delete\u{7f}",
        ];
        for text in cases {
            let mut out = Vec::new();
            write_json_str(&mut out, text);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(text).unwrap()
            );
        }
    }

    #[test]
    fn every_escaped_byte_is_found_at_every_position_of_every_short_length() {
        for len in 0..=40 {
            assert!(!needs_escape(&vec![b'a'; len]), "clean, length {len}");
            for at in 0..len {
                for bad in [0x00, 0x1f, b'"', b'\\'] {
                    let mut text = vec![0xff; len];
                    text[at] = bad;
                    assert!(needs_escape(&text), "{bad:#x} at {at} of {len}");
                }
                // Bytes next to the escaped ones in value, which must not be taken for them.
                let mut text = vec![b' '; len];
                text[at] = [b'!', b'#', b'[', b']', 0x7f][at % 5];
                assert!(!needs_escape(&text), "false alarm at {at} of {len}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_written_as_serde_json_writes_it(text in "[\\x00-\\x7f\u{e9}\u{1F600}]{0,40}") {
            let mut out = Vec::new();
            write_json_str(&mut out, &text);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&text).unwrap());
        }
    }

    #[test]
    fn now_text_is_the_current_time_as_format_timestamp_writes_it() {
        for _ in 0..3 {
            // Whole milliseconds, as the text has them.
            let millis = |at: time::OffsetDateTime| at.unix_timestamp_nanos() / 1_000_000;
            let before = millis(time::OffsetDateTime::now_utc());
            let text = now_text();
            let after = millis(time::OffsetDateTime::now_utc());
            let text = std::str::from_utf8(&text).unwrap();
            let at =
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .unwrap();
            assert!((before..=after).contains(&millis(at)), "{text}");
            assert_eq!(crate::format_timestamp(at), text);
        }
    }

    #[test]
    fn plan_context_is_written_exactly_as_the_value_path_writes_it() {
        let plans = [
            PlanMetadata {
                plan: "Shop",
                event_version: Some(3),
                generator_version: "0.1.0",
            },
            PlanMetadata {
                plan: "Shop \"EU\" \\ caf\u{e9}\n",
                event_version: Some(u64::MAX),
                generator_version: "1.2.3-rc.1",
            },
            PlanMetadata {
                plan: "",
                event_version: None,
                generator_version: "",
            },
            PlanMetadata {
                plan: "Shop",
                event_version: Some(0),
                generator_version: "0.1.0",
            },
            PlanMetadata {
                plan: "Shop",
                event_version: Some(10),
                generator_version: "0.1.0",
            },
        ];
        // Without a default context the fast path writes `{"library":...` + the plan entries;
        // the value path builds the same context as a `Map` and serialises it.
        let encoder = Encoder::new(Map::new());
        for plan in plans {
            let mut fast = Vec::new();
            encoder.write_context(&mut fast, None, Some(plan)).unwrap();
            let mut context = Map::new();
            encoder.finish_context(&mut context, Some(plan));
            let slow = serde_json::to_vec(&context).unwrap();
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(slow).unwrap()
            );
        }
    }

    /// A track message whose properties hold `padding` bytes of text.
    fn encode_padded(encoder: &Encoder, padding: usize) -> Message {
        let text = "x".repeat(padding);
        let user = User::id("u1");
        let (message, _) = encoder
            .encode(CallType::Track, &user, None, None, |out| {
                out.extend_from_slice(b"\"event\":\"Order Completed\",\"properties\":");
                write_json_str(out, &text);
                out.push(b',');
                Ok(())
            })
            .unwrap();
        message
    }

    #[test]
    fn message_buffers_are_sized_from_recent_messages_so_the_queue_counts_little_slack() {
        let encoder = Encoder::new(Map::new());
        let first = encode_padded(&encoder, 500);
        assert_eq!(
            first.allocated(),
            BufferSizeHint::INITIAL + BufferSizeHint::INITIAL / 8
        );
        // The hint comes down from its start within a few dozen messages.
        for _ in 0..20 {
            encode_padded(&encoder, 500);
        }
        for _ in 0..3 {
            let message = encode_padded(&encoder, 500);
            let slack = message.allocated() - message.len();
            assert!(
                slack <= message.len() / 8 + 64,
                "slack {slack} for {}",
                message.len()
            );
        }
        // A larger message grows the buffer once; the next one of that size fits at once.
        let large = encode_padded(&encoder, 5_000);
        assert!(large.allocated() <= large.len() + MAX_SLACK_BYTES);
        assert!(encoder.size_hint.capacity() >= large.len());
        // One small message among large ones keeps the hint (it decays slowly) and is shrunk
        // rather than charged for the large buffer.
        let small = encode_padded(&encoder, 10);
        assert!(small.allocated() <= small.len() + MAX_SLACK_BYTES);
        assert!(encoder.size_hint.capacity() >= large.len());
        // A run of small messages brings the hint back down.
        for _ in 0..200 {
            encode_padded(&encoder, 10);
        }
        let capacity = encoder.size_hint.capacity();
        assert!(capacity >= small.len() && capacity <= small.len() + small.len() / 8 + 64);
    }

    #[test]
    fn written_timestamps_match_format_timestamp() {
        let cases = [
            time::macros::datetime!(2026-01-01 12:00:00.123456 +02:00),
            time::macros::datetime!(0999-12-31 23:59:59.999 UTC),
            time::macros::datetime!(2024-02-29 00:00:00 UTC),
        ];
        for at in cases {
            let mut out = Vec::new();
            write_timestamp(&mut out, at);
            assert_eq!(String::from_utf8(out).unwrap(), crate::format_timestamp(at));
        }
    }

    #[test]
    fn call_options_set_id_timestamp_and_integrations() {
        let at = time::macros::datetime!(2025-02-03 04:05:06.789 UTC);
        let options = CallOptions::new()
            .message_id("m-1")
            .timestamp(at)
            .integrations(json!({ "All": false }));
        let value = track(&encoder(), Some(&options), None);
        assert_eq!(value["messageId"], "m-1");
        assert_eq!(value["timestamp"], "2025-02-03T04:05:06.789Z");
        assert_eq!(value["integrations"], json!({ "All": false }));
    }

    #[test]
    fn empty_user_and_bad_message_ids_are_refused() {
        let e = encoder();
        let err = e
            .encode(CallType::Identify, &User::id(""), None, None, |_| Ok(()))
            .unwrap_err();
        assert!(
            matches!(
                err,
                EnqueueError::MissingField {
                    field: "userId or anonymousId",
                    ..
                }
            ),
            "{err}"
        );
        let long = CallOptions::new().message_id("x".repeat(101));
        let err = e
            .encode(
                CallType::Identify,
                &User::id("u"),
                Some(&long),
                None,
                |_| Ok(()),
            )
            .unwrap_err();
        assert!(err.to_string().contains("101"), "{err}");
    }

    #[test]
    fn oversize_messages_are_refused_with_their_size() {
        let big = "x".repeat(MAX_MESSAGE_BYTES);
        let err = encoder()
            .encode(CallType::Track, &User::id("u"), None, None, |out| {
                write_json(out, &big)
            })
            .unwrap_err();
        match err {
            EnqueueError::TooLarge { size, limit } => {
                assert!(size > MAX_MESSAGE_BYTES);
                assert_eq!(limit, MAX_MESSAGE_BYTES);
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn complete_keeps_ids_fills_missing_and_checks_required_fields() {
        let e = encoder();
        let (kept, id) = e
            .complete(json!({ "type": "track", "event": "A", "userId": "u", "messageId": "m-9", "timestamp": "2020-01-01T00:00:00.000Z", "context": { "library": "x", "ip": "1" } }))
            .unwrap();
        assert_eq!(id.as_str(), "m-9");
        let kept = kept.to_value();
        assert_eq!(kept["timestamp"], "2020-01-01T00:00:00.000Z");
        assert_eq!(
            kept["context"]["library"], "x",
            "a replayed message keeps its library"
        );
        assert_eq!(kept["context"]["ip"], "1");
        assert_eq!(kept["context"]["app"]["name"], "shop");

        let (filled, id) = e
            .complete(json!({ "type": "identify", "anonymousId": "a" }))
            .unwrap();
        let filled = filled.to_value();
        assert_eq!(filled["context"]["library"]["name"], "trackplan");
        assert_eq!(filled["messageId"], id.as_str());
        assert!(filled["timestamp"].is_string());

        let cases = [
            (json!({ "type": "track", "userId": "u" }), "event"),
            (json!({ "type": "group", "userId": "u" }), "groupId"),
            (json!({ "type": "alias", "userId": "u" }), "previousId"),
            (
                json!({ "type": "alias", "anonymousId": "a", "previousId": "p" }),
                "userId",
            ),
            (json!({ "type": "page" }), "userId or anonymousId"),
        ];
        for (message, missing) in cases {
            match e.complete(message) {
                Err(EnqueueError::MissingField { field, .. }) => assert_eq!(field, missing),
                other => panic!("expected missing {missing}, got {other:?}"),
            }
        }
        assert!(matches!(
            e.complete(json!({ "userId": "u" })),
            Err(EnqueueError::MissingType)
        ));
        assert!(matches!(
            e.complete(json!({ "type": "click", "userId": "u" })),
            Err(EnqueueError::Invalid(_))
        ));
        assert!(matches!(
            e.complete(json!([1])),
            Err(EnqueueError::Invalid(_))
        ));
    }
}
