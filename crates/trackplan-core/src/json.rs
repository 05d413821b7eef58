//! Leaf JSON writing shared by the payload traits and the encoder: string escaping, compact
//! writers and Segment's timestamp text. Imports nothing from the rest of the crate.

use serde::Serialize;

/// Why a payload could not be written as JSON.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode {what}: {reason}")]
pub struct EncodeError {
    what: &'static str,
    reason: String,
    /// The personal-data field a `Refuse` PII policy stopped at, which the client reports as
    /// `EnqueueError::PersonalData`.
    refused_personal_data: Option<String>,
}

impl EncodeError {
    pub fn new(what: &'static str, reason: impl Into<String>) -> Self {
        EncodeError {
            what,
            reason: reason.into(),
            refused_personal_data: None,
        }
    }

    /// The PII policy `Refuse` met the personal-data property `field`.
    pub(crate) fn personal_data_refused(field: String) -> Self {
        EncodeError {
            what: "personal data",
            reason: format!("`{field}` is personal data and the PII policy is `refuse`"),
            refused_personal_data: Some(field),
        }
    }

    /// The field of [`personal_data_refused`](Self::personal_data_refused), or the error back.
    pub(crate) fn into_refused_personal_data(self) -> Result<String, EncodeError> {
        match self.refused_personal_data {
            Some(field) => Ok(field),
            None => Err(self),
        }
    }

    pub(crate) fn json(what: &'static str, err: serde_json::Error) -> Self {
        EncodeError::new(what, err.to_string())
    }
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

/// Serialise a value that implements `serde::Serialize` as a JSON object onto `out`, refusing
/// anything that is not an object.
pub fn write_serde_object<T: Serialize + ?Sized>(
    what: &'static str,
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let start = out.len();
    serde_json::to_writer(&mut *out, value).map_err(|e| EncodeError::json(what, e))?;
    if out.get(start) != Some(&b'{') {
        out.truncate(start);
        return Err(EncodeError::new(what, "must serialise to a JSON object"));
    }
    Ok(())
}

/// `value` in decimal, as serde_json writes an integer.
pub(crate) fn write_decimal(out: &mut Vec<u8>, mut value: u64) {
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

/// RFC 3339 with milliseconds and `Z`, the form Segment's libraries send: `2026-01-01T12:00:00.123Z`.
/// Years outside 0..=9999 are clamped to that range (RFC 3339 has four-digit years only).
pub fn format_timestamp(at: time::OffsetDateTime) -> String {
    timestamp_text(at)
        .iter()
        .map(|&byte| char::from(byte))
        .collect()
}

/// The text of [`format_timestamp`] on the stack: it runs on every call, so no `format!`.
/// Years outside 0..=9999 cannot be written in this form and are clamped, as RFC 3339 requires.
pub(crate) fn timestamp_text(at: time::OffsetDateTime) -> [u8; 24] {
    /// `value`'s last `digits.len()` decimal digits, zero-padded.
    fn put(digits: &mut [u8], mut value: u32) {
        for digit in digits.iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    let at = at.to_offset(time::UtcOffset::UTC);
    let (year, month, day) = at.to_calendar_date();
    let (hour, minute, second, milli) = at.to_hms_milli();
    let mut text = *b"0000-00-00T00:00:00.000Z";
    put(&mut text[0..4], year.clamp(0, 9999) as u32);
    put(&mut text[5..7], u8::from(month).into());
    put(&mut text[8..10], day.into());
    put(&mut text[11..13], hour.into());
    put(&mut text[14..16], minute.into());
    put(&mut text[17..19], second.into());
    put(&mut text[20..23], milli.into());
    text
}

/// The current time as [`format_timestamp`] writes it. Calls within
/// one second share its date and time of day, so each thread keeps the last second's text and
/// only writes the milliseconds (the calendar arithmetic is most of a timestamp's cost).
pub(crate) fn now_text() -> [u8; 24] {
    thread_local! {
        static LAST_SECOND: std::cell::Cell<Option<(u64, [u8; 24])>> =
            const { std::cell::Cell::new(None) };
    }
    let Ok(since_epoch) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) else {
        // A clock before 1970: nothing worth caching.
        return timestamp_text(time::OffsetDateTime::now_utc());
    };
    let second = since_epoch.as_secs();
    let mut text = match LAST_SECOND.get() {
        Some((cached, text)) if cached == second => text,
        _ => {
            let at = time::OffsetDateTime::UNIX_EPOCH + std::time::Duration::from_secs(second);
            let text = timestamp_text(at);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let at = time::macros::datetime!(2026-01-01 12:00:00.123456 +02:00);
        assert_eq!(format_timestamp(at), "2026-01-01T10:00:00.123Z");
    }

    #[test]
    fn timestamps_pad_every_field_and_clamp_years_below_zero() {
        let early = time::macros::datetime!(0042-03-04 05:06:07.008 UTC);
        assert_eq!(format_timestamp(early), "0042-03-04T05:06:07.008Z");
        let before_year_zero = time::macros::datetime!(-0001-12-31 23:59:59.999 UTC);
        assert_eq!(
            format_timestamp(before_year_zero),
            "0000-12-31T23:59:59.999Z"
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
            assert_eq!(format_timestamp(at), text);
        }
    }

    #[test]
    fn written_timestamps_match_format_timestamp() {
        let cases = [
            time::macros::datetime!(2026-01-01 12:00:00.123456 +02:00),
            time::macros::datetime!(0999-12-31 23:59:59.999 UTC),
            time::macros::datetime!(2024-02-29 00:00:00 UTC),
        ];
        for at in cases {
            assert_eq!(
                std::str::from_utf8(&timestamp_text(at)).unwrap(),
                format_timestamp(at)
            );
        }
    }
}
