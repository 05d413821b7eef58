//! The encoder: turns a call into a wire [`Message`] in one pass, into a pooled buffer sized
//! from recent messages.

use serde_json::{Map, Value};

use crate::clock::Clock;
use crate::consent::Consent;
use crate::context::{Context, WrittenContext};
use crate::error::EnqueueError;
use crate::event::PlanMetadata;
use crate::json::{
    format_timestamp, timestamp_text, write_decimal, write_json, write_json_str, EncodeError,
};
use crate::message::{
    CallOptions, CallType, Message, MessageId, MAX_MESSAGE_BYTES, MAX_MESSAGE_ID_CHARS,
};
use crate::user::User;

/// Builds messages with the client's default context. Cheap to share.
pub(crate) struct Encoder {
    /// The default context's entries, without its consent (the client resolves which consent
    /// a call carries).
    context: WrittenContext,
    /// The whole default context as JSON, for untyped messages and untyped call contexts.
    context_value: Map<String, Value>,
    /// `{`, the default context's entries and `library`, without the closing brace: what a call
    /// without its own context copies.
    context_open: Vec<u8>,
    /// Recent messages' size, for the next buffer's capacity (see [`BufferSizeHint`]).
    size_hint: BufferSizeHint,
    /// Stamps each message's `timestamp` at enqueue.
    clock: Clock,
}

/// The `library` context entry, always trackplan's (key order as `serde_json::Map` keeps it:
/// `name` sorts before `version` and is inserted first).
const LIBRARY_ENTRY: &str = concat!(
    "\"library\":{\"name\":\"trackplan\",\"version\":\"",
    env!("CARGO_PKG_VERSION"),
    "\"}"
);

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
    /// An encoder for messages with this default context. Its consent is not part of the
    /// typed messages' default: the client passes each call's consent to [`encode`](Self::encode).
    pub(crate) fn new(default_context: &Context, clock: Clock) -> Result<Encoder, EncodeError> {
        let context_value = default_context.to_map();
        let context = WrittenContext::new(default_context)?;
        let mut context_open = b"{".to_vec();
        context_open.extend_from_slice(context.entries());
        context_open.extend_from_slice(LIBRARY_ENTRY.as_bytes());
        Ok(Encoder {
            context,
            context_value,
            context_open,
            size_hint: BufferSizeHint::new(),
            clock,
        })
    }

    /// Encode one typed message. `fields` writes the call's own fields, each followed by a comma;
    /// `consent` is what the message carries as `context.consent`.
    pub(crate) fn encode(
        &self,
        call: CallType,
        user: &User,
        options: Option<&CallOptions>,
        consent: Option<&Consent>,
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
            Some(at) => timestamp_text(at),
            None => self.clock.now_text(),
        };

        let mut out = spare_buffer(self.size_hint.capacity());
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(call.as_str().as_bytes());
        out.extend_from_slice(b"\",\"messageId\":");
        message_id.write_json(&mut out);
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
        self.write_context(&mut out, options, consent, plan)?;
        if let Some(integrations) = options.and_then(|o| o.integrations.as_ref()) {
            out.extend_from_slice(b",\"integrations\":");
            write_json(&mut out, integrations)?;
        }
        out.push(b'}');
        self.size_hint.record(out.len());
        let message = finish(out)?;
        Ok((message, message_id))
    }

    /// Write the context: the call's over the default, with `consent` and the plan metadata.
    fn write_context(
        &self,
        out: &mut Vec<u8>,
        options: Option<&CallOptions>,
        consent: Option<&Consent>,
        plan: Option<PlanMetadata>,
    ) -> Result<(), EncodeError> {
        let call_context = options.and_then(|o| o.context.as_ref());
        if let Some(untyped) = options.and_then(|o| o.context_json.as_ref()) {
            return self.write_context_value(out, call_context, untyped, consent, plan);
        }
        match call_context {
            None => out.extend_from_slice(&self.context_open),
            Some(call_context) => {
                out.push(b'{');
                call_context.write_entries(&self.context, out)?;
                out.extend_from_slice(LIBRARY_ENTRY.as_bytes());
            }
        }
        if let Some(consent) = consent {
            out.extend_from_slice(b",\"consent\":");
            write_json(out, consent)?;
        }
        if let Some(plan) = plan {
            write_plan_context(out, plan);
        }
        out.push(b'}');
        Ok(())
    }

    /// The context of a call with untyped context keys, merged as values: the default, the
    /// typed call context, then the untyped keys.
    fn write_context_value(
        &self,
        out: &mut Vec<u8>,
        call_context: Option<&Context>,
        untyped: &Map<String, Value>,
        consent: Option<&Consent>,
        plan: Option<PlanMetadata>,
    ) -> Result<(), EncodeError> {
        let mut context = self.context_value.clone();
        if let Some(call_context) = call_context {
            context.extend(call_context.to_map());
        }
        context.extend(untyped.iter().map(|(k, v)| (k.clone(), v.clone())));
        match consent {
            Some(consent) => context.insert(
                "consent".to_owned(),
                serde_json::to_value(consent).map_err(|e| EncodeError::json("context", e))?,
            ),
            None => context.remove("consent"),
        };
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
                let now = format_timestamp(self.clock.now_utc().into());
                message.insert("timestamp".to_owned(), Value::String(now));
            }
        }
        let mut context = self.context_value.clone();
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
        let app = crate::context::App {
            name: Some("shop".into()),
            ..Default::default()
        };
        Encoder::new(&Context::new().app(app), Clock::System).unwrap()
    }

    fn track(
        encoder: &Encoder,
        options: Option<&CallOptions>,
        plan: Option<PlanMetadata>,
    ) -> Value {
        let (message, _) = encoder
            .encode(
                CallType::Track,
                &User::id("u1"),
                options,
                None,
                plan,
                |out| {
                    out.extend_from_slice(br#""event":"Signed Up","properties":{"plan":"pro"},"#);
                    Ok(())
                },
            )
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
        let typed = CallOptions::new().context(Context::new().ip([1, 2, 3, 4].into()));
        let typed = track(&encoder(), Some(&typed), Some(plan));
        let untyped = CallOptions::new()
            .context_json(json!({ "ip": "1.2.3.4", "library": "mine" }))
            .unwrap();
        let merged = track(&encoder(), Some(&untyped), Some(plan));
        assert_eq!(
            typed["context"], merged["context"],
            "the typed and the value path write the same context"
        );
        for value in [&fast, &typed, &merged] {
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
                .encode(
                    CallType::Track,
                    &User::id("u1"),
                    options,
                    None,
                    None,
                    |out| {
                        out.extend_from_slice(br#""event":"Signed Up","properties":{},"#);
                        Ok(())
                    },
                )
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
        let encoder = Encoder::new(&Context::new(), Clock::System).unwrap();
        for plan in plans {
            let mut fast = Vec::new();
            encoder
                .write_context(&mut fast, None, None, Some(plan))
                .unwrap();
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
            .encode(CallType::Track, &user, None, None, None, |out| {
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
        let encoder = Encoder::new(&Context::new(), Clock::System).unwrap();
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
    fn call_options_set_id_timestamp_and_integrations() {
        let at = time::macros::datetime!(2025-02-03 04:05:06.789 UTC);
        let options = CallOptions::new()
            .message_id("m-1")
            .timestamp(at)
            .integrations(crate::Integrations::all(false));
        let value = track(&encoder(), Some(&options), None);
        assert_eq!(value["messageId"], "m-1");
        assert_eq!(value["timestamp"], "2025-02-03T04:05:06.789Z");
        assert_eq!(value["integrations"], json!({ "All": false }));
    }

    #[test]
    fn empty_user_and_bad_message_ids_are_refused() {
        let e = encoder();
        let err = e
            .encode(CallType::Identify, &User::id(""), None, None, None, |_| {
                Ok(())
            })
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
            .encode(CallType::Track, &User::id("u"), None, None, None, |out| {
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
