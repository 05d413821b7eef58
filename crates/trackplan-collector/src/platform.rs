//! Whose ingestion API the collector reproduces: Segment's or RudderStack's size limits, and the
//! status each answers a request over them with.
//!
//! Sources:
//! - Segment documents "32 KB per event" and "500 KB per batch request", answers either with a
//!   400 ("Exceed payload limit" for an event, since Feb 2025: segmentio/segment-docs PR #7422),
//!   and takes at most 2,500 messages per batch
//!   (<https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#max-request-size>). The SDKs read "KB" as KiB: python 2.x refuses a message over 32,768 bytes of
//!   `json.dumps` output, node 3.x and java use 32 × 1024 too, and python's batches grow to
//!   475,000 bytes plus one message, so 500 KiB (512,000 bytes) is what they rely on.
//! - RudderStack's gateway (rudderlabs/rudder-server `gateway/handle.go`) refuses a body over
//!   `Gateway.maxReqSizeInKB` = 4000 × 1024 bytes with 413 and has no per-message cap; rudder-sdk-python sends messages and batches up to 4 MiB.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The collector's own cap on a body, compressed or decompressed: past it nothing is read, so
/// a gzip bomb stops here whatever the platform. Twice RudderStack's limit, so a body either
/// platform refuses is still read whole and its messages shown as refused.
pub const HARD_CAP_BYTES: usize = 8 * 1024 * 1024;

/// The ingestion API the collector behaves like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Segment's Tracking API: 32 KiB per message, 500 KiB per request, 2,500 messages per
    /// batch; over any of them, 400.
    #[default]
    Segment,
    /// RudderStack's gateway: 4,096,000 bytes per request, no per-message cap; over it, 413.
    RudderStack,
}

impl Platform {
    /// Its limits.
    pub fn limits(self) -> Limits {
        match self {
            Platform::Segment => Limits {
                max_message_bytes: Some(32 * 1024),
                max_request_bytes: 500 * 1024,
                max_batch_messages: Some(2_500),
                oversize_status: 400,
            },
            Platform::RudderStack => Limits {
                max_message_bytes: None,
                max_request_bytes: 4_000 * 1024,
                max_batch_messages: None,
                oversize_status: 413,
            },
        }
    }

    /// `Segment` or `RudderStack`, as refusal reasons name it.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Segment => "Segment",
            Platform::RudderStack => "RudderStack",
        }
    }

    /// Why this platform refuses a request of `body_bytes` whose messages measure
    /// `message_bytes` (labelled by `label(index)`, such as `batch[3]`), or `None` when it is
    /// within every limit.
    pub fn breach(
        self,
        body_bytes: usize,
        message_bytes: &[usize],
        label: impl Fn(usize) -> String,
    ) -> Option<String> {
        let limits = self.limits();
        let name = self.name();
        let mut problems = Vec::new();
        if body_bytes > limits.max_request_bytes {
            problems.push(format!(
                "the request has {} bytes, over {name}'s limit of {} per request",
                thousands(body_bytes),
                thousands(limits.max_request_bytes)
            ));
        }
        if let Some(max) = limits
            .max_batch_messages
            .filter(|&max| message_bytes.len() > max)
        {
            problems.push(format!(
                "the batch has {} messages, over {name}'s limit of {} per batch",
                thousands(message_bytes.len()),
                thousands(max)
            ));
        }
        if let Some(max) = limits.max_message_bytes {
            let oversize: Vec<String> = message_bytes
                .iter()
                .enumerate()
                .filter(|&(_, &size)| size > max)
                .map(|(index, &size)| format!("{} has {} bytes", label(index), thousands(size)))
                .collect();
            if !oversize.is_empty() {
                problems.push(format!(
                    "{}, over {name}'s limit of {} per message",
                    list(&oversize),
                    thousands(max)
                ));
            }
        }
        (!problems.is_empty()).then(|| {
            format!(
                "{}; {name} refuses the whole request ({})",
                problems.join("; "),
                limits.oversize_status
            )
        })
    }
}

impl fmt::Display for Platform {
    /// The platform and its limits, as the banner and the page show them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limits = self.limits();
        write!(f, "{} (", self.name())?;
        if let Some(max) = limits.max_message_bytes {
            write!(f, "{} bytes per message, ", thousands(max))?;
        }
        write!(
            f,
            "{} bytes per request",
            thousands(limits.max_request_bytes)
        )?;
        if let Some(max) = limits.max_batch_messages {
            write!(f, ", {} messages per batch", thousands(max))?;
        }
        write!(f, "; over a limit: {})", limits.oversize_status)
    }
}

/// A platform's size limits. Sizes are bytes of JSON as sent, before any gzip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// One message, as its JSON text appears in the body (`None`: no cap of its own).
    pub max_message_bytes: Option<usize>,
    /// One request body, decompressed.
    pub max_request_bytes: usize,
    /// Messages of one batch (`None`: no cap).
    pub max_batch_messages: Option<usize>,
    /// The status of a request over a limit.
    pub oversize_status: u16,
}

/// How many oversize messages one reason lists before eliding the rest.
const MAX_LISTED: usize = 10;

fn list(items: &[String]) -> String {
    let mut text = items
        .iter()
        .take(MAX_LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > MAX_LISTED {
        text.push_str(&format!(" and {} more", items.len() - MAX_LISTED));
    }
    text
}

/// `32768` as `32,768`: sizes near a limit are read at a glance.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(index: usize) -> String {
        format!("batch[{index}]")
    }

    #[test]
    fn segment_allows_32_kib_per_message_and_500_kib_per_request() {
        let segment = Platform::Segment;
        assert_eq!(segment.breach(512_000, &[32_768, 10], item), None);
        let reason = segment.breach(40_000, &[10, 32_769], item).unwrap();
        assert_eq!(
            reason,
            "batch[1] has 32,769 bytes, over Segment's limit of 32,768 per message; \
             Segment refuses the whole request (400)"
        );
        let reason = segment.breach(512_001, &[10; 2_501], item).unwrap();
        assert!(
            reason.starts_with(
                "the request has 512,001 bytes, over Segment's limit of 512,000 per request; \
                 the batch has 2,501 messages, over Segment's limit of 2,500 per batch"
            ),
            "{reason}"
        );
    }

    #[test]
    fn rudderstack_caps_only_the_request_at_4000_kib_with_413() {
        let rudder = Platform::RudderStack;
        assert_eq!(rudder.breach(4_096_000, &[1_000_000; 4], item), None);
        let reason = rudder.breach(4_096_001, &[4_096_001], item).unwrap();
        assert_eq!(
            reason,
            "the request has 4,096,001 bytes, over RudderStack's limit of 4,096,000 per request; \
             RudderStack refuses the whole request (413)"
        );
    }

    #[test]
    fn many_oversize_messages_are_listed_then_elided() {
        let reason = Platform::Segment.breach(10, &[40_000; 12], item).unwrap();
        assert!(
            reason.contains("batch[9] has 40,000 bytes and 2 more"),
            "{reason}"
        );
    }

    #[test]
    fn platforms_describe_themselves_and_parse_by_name() {
        assert_eq!(
            Platform::Segment.to_string(),
            "Segment (32,768 bytes per message, 512,000 bytes per request, 2,500 messages per \
             batch; over a limit: 400)"
        );
        assert_eq!(
            Platform::RudderStack.to_string(),
            "RudderStack (4,096,000 bytes per request; over a limit: 413)"
        );
        let parsed: Platform = serde_json::from_str("\"rudderstack\"").unwrap();
        assert_eq!(parsed, Platform::RudderStack);
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
    }
}
