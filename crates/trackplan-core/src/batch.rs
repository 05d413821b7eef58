//! Batch bodies: sized before they are built, assembled by concatenating encoded messages.

use crate::message::Message;
use crate::transport::WriteKey;

/// Largest body, envelope included, before compression (Segment's HTTP API limits:
/// <https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#max-request-size>).
pub const MAX_BATCH_BYTES: usize = 500_000;
/// Most messages in one batch.
pub const MAX_BATCH_MESSAGES: usize = 2_500;

/// `sentAt` is always `YYYY-MM-DDTHH:MM:SS.mmmZ`.
const SENT_AT_LEN: usize = 24;

/// The part of the body around the messages: `{"batch":[` ... `],"sentAt":"…","writeKey":"…"}`.
pub(crate) struct Envelope {
    /// The write key as a JSON string.
    key_json: String,
}

impl Envelope {
    pub(crate) fn new(write_key: &WriteKey) -> Envelope {
        let key_json =
            serde_json::to_string(write_key.expose()).unwrap_or_else(|_| "\"\"".to_owned());
        Envelope { key_json }
    }

    /// Bytes of the body that are not messages or the commas between them.
    pub(crate) fn overhead(&self) -> usize {
        br#"{"batch":["#.len()
            + br#"],"sentAt":""#.len()
            + SENT_AT_LEN
            + br#"","writeKey":"#.len()
            + self.key_json.len()
            + 1
    }

    /// Write the body for one attempt. `sent_at` must be a 24-byte RFC 3339 timestamp.
    pub(crate) fn write_body<'a>(
        &self,
        messages: impl IntoIterator<Item = &'a Message>,
        sent_at: &str,
        out: &mut Vec<u8>,
    ) {
        debug_assert_eq!(sent_at.len(), SENT_AT_LEN);
        out.clear();
        out.extend_from_slice(br#"{"batch":["#);
        for (i, message) in messages.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(message.as_str().as_bytes());
        }
        out.extend_from_slice(br#"],"sentAt":""#);
        out.extend_from_slice(sent_at.as_bytes());
        out.extend_from_slice(br#"","writeKey":"#);
        out.extend_from_slice(self.key_json.as_bytes());
        out.push(b'}');
    }

    /// Put a fresh `sentAt` into a body written by [`Self::write_body`], in place: a body is
    /// built once per batch, ahead of its slot, and stamped at each attempt.
    pub(crate) fn stamp_sent_at(&self, body: &mut [u8], sent_at: &str) {
        debug_assert_eq!(sent_at.len(), SENT_AT_LEN);
        let tail = br#"","writeKey":"#.len() + self.key_json.len() + 1;
        let end = body.len() - tail;
        body[end - SENT_AT_LEN..end].copy_from_slice(sent_at.as_bytes());
    }
}

/// Counts a batch as it grows, refusing the message that would break a limit.
///
/// The worker's batches are adaptive: `flush_at` decides *when* a batch starts, never how big
/// it may grow. Once one starts, it takes everything queued up to the hard caps
/// ([`MAX_BATCH_MESSAGES`] and the byte limit). Under light load that is the few messages that
/// triggered it; under backpressure (every request slot busy while messages pile up) it is
/// everything that piled up, so requests become fewer and fuller exactly when the network is
/// the bottleneck.
#[derive(Debug, Clone)]
pub(crate) struct BatchSizer {
    max_messages: usize,
    max_bytes: usize,
    count: usize,
    bytes: usize,
}

impl BatchSizer {
    /// A sizer for bodies of at most `max_bytes` (envelope included) and `max_messages`.
    pub(crate) fn new(overhead: usize, max_messages: usize, max_bytes: usize) -> BatchSizer {
        BatchSizer {
            max_messages,
            max_bytes,
            count: 0,
            bytes: overhead,
        }
    }

    /// Add a message of `len` bytes if it fits. A first message always fits when the limits can
    /// hold any message at all (messages are capped at 32,000 bytes at enqueue).
    pub(crate) fn try_add(&mut self, len: usize) -> bool {
        let comma = usize::from(self.count > 0);
        if self.count >= self.max_messages || self.bytes + comma + len > self.max_bytes {
            return false;
        }
        self.count += 1;
        self.bytes += comma + len;
        true
    }

    /// Whether the messages waiting (`len` of them, `bytes` in total) already fill a batch.
    pub(crate) fn is_full_with(&self, len: usize, bytes: usize) -> bool {
        len >= self.max_messages || self.bytes + bytes + len.saturating_sub(1) >= self.max_bytes
    }

    /// Body size so far, envelope included.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn message(len: usize) -> Message {
        Message::from_json(format!("\"{}\"", "x".repeat(len - 2)))
    }

    #[test]
    fn body_is_the_messages_and_the_envelope_and_overhead_is_exact() {
        let envelope = Envelope::new(&WriteKey::new("k\"1"));
        let messages = [
            Message::from_json("{\"a\":1}".into()),
            Message::from_json("{\"b\":2}".into()),
        ];
        let mut body = Vec::new();
        envelope.write_body(&messages, "2026-01-01T00:00:00.000Z", &mut body);
        let text = String::from_utf8(body.clone()).unwrap();
        assert_eq!(
            text,
            r#"{"batch":[{"a":1},{"b":2}],"sentAt":"2026-01-01T00:00:00.000Z","writeKey":"k\"1"}"#
        );
        assert_eq!(body.len(), envelope.overhead() + 7 + 1 + 7);
        envelope.stamp_sent_at(&mut body, "2026-12-31T23:59:59.999Z");
        assert_eq!(
            String::from_utf8(body.clone()).unwrap(),
            r#"{"batch":[{"a":1},{"b":2}],"sentAt":"2026-12-31T23:59:59.999Z","writeKey":"k\"1"}"#
        );
        envelope.write_body(&[], "2026-01-01T00:00:00.000Z", &mut body);
        assert_eq!(body.len(), envelope.overhead());
    }

    #[test]
    fn sizer_stops_at_the_count_and_byte_limits() {
        let mut by_count = BatchSizer::new(50, 3, MAX_BATCH_BYTES);
        assert_eq!((0..5).filter(|_| by_count.try_add(10)).count(), 3);
        let mut by_bytes = BatchSizer::new(50, 100, 50 + 10 + 1 + 10);
        assert!(by_bytes.try_add(10));
        assert!(by_bytes.try_add(10));
        assert!(!by_bytes.try_add(1));
        assert_eq!(by_bytes.bytes(), 71);
        assert!(BatchSizer::new(50, 3, 100).is_full_with(3, 3));
        assert!(BatchSizer::new(50, 100, 100).is_full_with(2, 49));
        assert!(!BatchSizer::new(50, 100, 100).is_full_with(2, 48));
    }

    proptest! {
        /// Packing any sequence of messages keeps every body within both limits, in order, and
        /// loses nothing.
        #[test]
        fn packed_bodies_never_exceed_the_limits(sizes in proptest::collection::vec(2usize..32_000, 1..300), max_messages in 1usize..50) {
            let envelope = Envelope::new(&WriteKey::new("key"));
            let messages: Vec<Message> = sizes.iter().map(|&n| message(n)).collect();
            let mut rest = &messages[..];
            let mut sent = 0;
            let mut body = Vec::new();
            while !rest.is_empty() {
                let mut sizer = BatchSizer::new(envelope.overhead(), max_messages, MAX_BATCH_BYTES);
                let n = rest.iter().take_while(|m| sizer.try_add(m.len())).count();
                prop_assert!(n >= 1);
                envelope.write_body(&rest[..n], "2026-01-01T00:00:00.000Z", &mut body);
                prop_assert!(body.len() <= MAX_BATCH_BYTES);
                prop_assert_eq!(body.len(), sizer.bytes());
                prop_assert!(n <= max_messages);
                sent += n;
                rest = &rest[n..];
            }
            prop_assert_eq!(sent, messages.len());
        }
    }
}
