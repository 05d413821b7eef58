//! Personal data: what the client does with properties marked as PII (`#[property(pii)]`, the
//! plan's `"x-pii"`).
//!
//! The policy is applied while the field is written into the message buffer, by
//! [`ObjectWriter::pii_field`](crate::ObjectWriter::pii_field): there is one implementation of
//! each policy, shared by the derives and generated code. Fields that are not marked go through
//! [`ObjectWriter::field`](crate::ObjectWriter::field) and never look at the policy.
//!
//! The client's policy reaches the writer through this thread's `ClientPolicyScope`, set
//! around the payload's encoding: `write_properties` and `write_json` keep their signatures, so
//! nested objects written by any payload type see the same policy. The default policy, `Send`,
//! sets nothing.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::io::Write as _;

use serde::ser::{Error as _, SerializeMap};
use sha2::{Digest, Sha256};

use crate::event::{AsProperty, Nullable, PropertyValue};
use crate::json::EncodeError;

/// What the client does with a property marked as personal data.
///
/// Set for the whole client with
/// [`ClientBuilder::pii_policy`](crate::ClientBuilder::pii_policy); a field may fix its own
/// (`#[property(pii = "hash")]`, `"x-pii": "hash"`), which wins over the client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PiiPolicy {
    /// Send the value as it is (the default: nothing changes unless asked).
    #[default]
    Send,
    /// Send the lower-case hex SHA-256 of the trimmed, lower-cased value, as ad destinations
    /// expect for email addresses and phone numbers. A value that is not a string is hashed by
    /// its JSON text (a phone number held as an integer hashes as its digits); `null` stays
    /// `null`.
    Hash,
    /// Leave the key out of the message.
    Redact,
    /// Refuse the call: it returns [`EnqueueError::PersonalData`](crate::EnqueueError::PersonalData)
    /// naming the field, and nothing is sent.
    Refuse,
}

impl PiiPolicy {
    /// The attribute spelling of the policy.
    pub fn name(self) -> &'static str {
        match self {
            PiiPolicy::Send => "send",
            PiiPolicy::Hash => "hash",
            PiiPolicy::Redact => "redact",
            PiiPolicy::Refuse => "refuse",
        }
    }
}

impl fmt::Display for PiiPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A property value that [`PiiPolicy::Hash`] can hash as ad destinations expect: a string, or
/// an optional one. What `#[property(pii = "hash")]` requires of its field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be hashed as personal data: `pii = \"hash\"` needs a string field",
    label = "ad destinations match the SHA-256 of a normalised string, such as an email address",
    note = "use `String` (or `Option<String>`), or mark the field `#[property(pii)]` to follow the client's policy"
)]
pub trait HashableProperty: PropertyValue {}

impl HashableProperty for str {}
impl HashableProperty for String {}
impl HashableProperty for Cow<'_, str> {}
impl<T: HashableProperty> HashableProperty for Option<T> {}
impl<T: HashableProperty> HashableProperty for Nullable<T> {}
impl<T: HashableProperty + ?Sized> HashableProperty for &T {}
impl<T: HashableProperty + ?Sized> HashableProperty for Box<T> {}

thread_local! {
    /// The policy of the client encoding a message on this thread; `Send` outside any.
    static CLIENT_POLICY: Cell<PiiPolicy> = const { Cell::new(PiiPolicy::Send) };
}

/// Sets this thread's client policy for as long as it lives, and puts the previous one back
/// when dropped (also when encoding unwinds).
pub(crate) struct ClientPolicyScope {
    previous: Option<PiiPolicy>,
}

impl ClientPolicyScope {
    /// Apply `policy` to the PII fields written until the scope is dropped. `Send`, the policy
    /// outside any scope, costs nothing.
    #[inline]
    pub(crate) fn enter(policy: PiiPolicy) -> ClientPolicyScope {
        let previous = (policy != PiiPolicy::Send).then(|| CLIENT_POLICY.replace(policy));
        ClientPolicyScope { previous }
    }
}

impl Drop for ClientPolicyScope {
    #[inline]
    fn drop(&mut self) {
        if let Some(previous) = self.previous {
            CLIENT_POLICY.set(previous);
        }
    }
}

/// The policy for one PII field: its own when it fixes one, else the client's.
#[inline]
pub(crate) fn effective_policy(field_policy: Option<PiiPolicy>) -> PiiPolicy {
    field_policy.unwrap_or_else(|| CLIENT_POLICY.get())
}

/// Replace the JSON value in `out[start..]` by the quoted hex SHA-256 of its normalised text
/// (see [`PiiPolicy::Hash`]).
pub(crate) fn hash_written_value(out: &mut Vec<u8>, start: usize) -> Result<(), EncodeError> {
    if let Some(digest) = hash_of_json(&out[start..])? {
        out.truncate(start);
        // Writing into a `Vec` cannot fail.
        let _ = write!(out, "\"{digest}\"");
    }
    Ok(())
}

/// The [`PiiPolicy::Hash`] of a JSON value's text; `None` for `null`, which stays as it is.
fn hash_of_json(json: &[u8]) -> Result<Option<String>, EncodeError> {
    if json == b"null" {
        return Ok(None);
    }
    let text: Cow<'_, str> = if json.first() == Some(&b'"') {
        serde_json::from_slice::<Cow<'_, str>>(json)
            .map_err(|e| EncodeError::new("personal data", e.to_string()))?
    } else {
        // Numbers, booleans, arrays and objects: written from Rust values, so UTF-8.
        String::from_utf8_lossy(json)
    };
    Ok(Some(sha256_hex_of_normalised(&text)))
}

/// [`ObjectWriter::pii_field`](crate::ObjectWriter::pii_field) inside serde serialisation (a
/// derived or generated object nested in a serde context): the same policies, as a map entry.
/// A refusal is the serializer's error. What derived and generated `serialize_property` calls.
#[doc(hidden)]
pub fn serialize_pii_entry<M, T>(
    map: &mut M,
    name: &str,
    value: &T,
    field_policy: Option<PiiPolicy>,
) -> Result<(), M::Error>
where
    M: SerializeMap,
    T: PropertyValue + ?Sized,
{
    if value.is_absent() {
        return Ok(());
    }
    match effective_policy(field_policy) {
        PiiPolicy::Send => map.serialize_entry(name, &AsProperty(value)),
        PiiPolicy::Hash => {
            let mut json = Vec::new();
            value.write_json(&mut json).map_err(M::Error::custom)?;
            match hash_of_json(&json).map_err(M::Error::custom)? {
                Some(digest) => map.serialize_entry(name, &digest),
                None => map.serialize_entry(name, &()),
            }
        }
        PiiPolicy::Redact => Ok(()),
        PiiPolicy::Refuse => Err(M::Error::custom(format_args!(
            "`{name}` is personal data and the PII policy is `refuse`"
        ))),
    }
}

/// The lower-case hex SHA-256 of `text` trimmed and lower-cased.
pub fn sha256_hex_of_normalised(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.trim().to_lowercase()))
}

/// The property name of a pre-quoted key (`"\"email\":"` → `email`), for the error naming it.
pub(crate) fn key_name(quoted_key: &str) -> String {
    let quoted = quoted_key.strip_suffix(':').unwrap_or(quoted_key);
    serde_json::from_str(quoted).unwrap_or_else(|_| quoted.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_the_ad_destinations_test_vectors() {
        // Meta's Conversions API customer-information examples.
        assert_eq!(
            sha256_hex_of_normalised("  John_Smith@gmail.com "),
            "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
        );
        assert_eq!(
            sha256_hex_of_normalised("16505551212"),
            "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"
        );
    }

    #[test]
    fn policies_are_named_as_in_attributes() {
        let names: Vec<String> = [
            PiiPolicy::Send,
            PiiPolicy::Hash,
            PiiPolicy::Redact,
            PiiPolicy::Refuse,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(names, ["send", "hash", "redact", "refuse"]);
        assert_eq!(PiiPolicy::default(), PiiPolicy::Send);
    }

    #[test]
    fn the_scope_sets_the_client_policy_and_puts_the_previous_one_back() {
        assert_eq!(effective_policy(None), PiiPolicy::Send);
        {
            let _outer = ClientPolicyScope::enter(PiiPolicy::Hash);
            assert_eq!(effective_policy(None), PiiPolicy::Hash);
            assert_eq!(effective_policy(Some(PiiPolicy::Send)), PiiPolicy::Send);
            {
                let _inner = ClientPolicyScope::enter(PiiPolicy::Refuse);
                assert_eq!(effective_policy(None), PiiPolicy::Refuse);
            }
            assert_eq!(effective_policy(None), PiiPolicy::Hash);
        }
        assert_eq!(effective_policy(None), PiiPolicy::Send);
    }

    #[test]
    fn written_values_are_hashed_by_their_text() {
        let hashed = |json: &str| {
            let mut out = b"prefix".to_vec();
            out.extend_from_slice(json.as_bytes());
            hash_written_value(&mut out, 6).unwrap();
            String::from_utf8(out).unwrap()
        };
        let escaped = hashed(r#"" A\u00e9@x.io""#);
        assert_eq!(
            escaped,
            format!("prefix\"{}\"", sha256_hex_of_normalised("aé@x.io"))
        );
        assert_eq!(
            hashed("16505551212"),
            format!("prefix\"{}\"", sha256_hex_of_normalised("16505551212"))
        );
        assert_eq!(hashed("null"), "prefixnull");
    }

    /// `{"id":1,"email":<email under the policy>}` as an `ObjectWriter` writes it.
    fn write_email(
        client: PiiPolicy,
        field: Option<PiiPolicy>,
        email: Option<&str>,
    ) -> Result<String, crate::EnqueueError> {
        let _scope = ClientPolicyScope::enter(client);
        let mut out = Vec::new();
        let mut writer = crate::ObjectWriter::new(&mut out);
        writer.field("\"id\":", &1)?;
        writer.pii_field("\"email\":", &email, field)?;
        writer.end();
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn the_field_writer_applies_the_client_policy_unless_the_field_fixes_one() {
        let email = Some(" Ann@Example.com");
        let digest = sha256_hex_of_normalised("ann@example.com");
        let write = |client, field| write_email(client, field, email).unwrap();
        assert_eq!(
            write(PiiPolicy::Send, None),
            r#"{"id":1,"email":" Ann@Example.com"}"#
        );
        assert_eq!(
            write(PiiPolicy::Hash, None),
            format!(r#"{{"id":1,"email":"{digest}"}}"#)
        );
        assert_eq!(write(PiiPolicy::Redact, None), r#"{"id":1}"#);
        assert_eq!(
            write(PiiPolicy::Redact, Some(PiiPolicy::Hash)),
            format!(r#"{{"id":1,"email":"{digest}"}}"#)
        );
        assert_eq!(
            write(PiiPolicy::Hash, Some(PiiPolicy::Send)),
            r#"{"id":1,"email":" Ann@Example.com"}"#
        );
        let refused = write_email(PiiPolicy::Refuse, None, email).unwrap_err();
        assert!(
            matches!(&refused, crate::EnqueueError::PersonalData { field } if field == "email"),
            "{refused:?}"
        );
        // An absent value holds no personal data, so nothing is refused.
        assert_eq!(
            write_email(PiiPolicy::Refuse, None, None).unwrap(),
            r#"{"id":1}"#
        );
    }

    /// `serialize_pii_entry` as a one-entry JSON object.
    fn serde_entry(client: PiiPolicy, field: Option<PiiPolicy>) -> Result<String, String> {
        struct Entry(Option<PiiPolicy>);
        impl serde::Serialize for Entry {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                serialize_pii_entry(&mut map, "email", " Ann@Example.com", self.0)?;
                map.end()
            }
        }
        let _scope = ClientPolicyScope::enter(client);
        serde_json::to_string(&Entry(field)).map_err(|e| e.to_string())
    }

    #[test]
    fn serde_contexts_apply_the_same_policies() {
        let digest = sha256_hex_of_normalised("ann@example.com");
        assert_eq!(
            serde_entry(PiiPolicy::Send, None).unwrap(),
            r#"{"email":" Ann@Example.com"}"#
        );
        assert_eq!(
            serde_entry(PiiPolicy::Send, Some(PiiPolicy::Hash)).unwrap(),
            format!(r#"{{"email":"{digest}"}}"#)
        );
        assert_eq!(serde_entry(PiiPolicy::Redact, None).unwrap(), "{}");
        let refused = serde_entry(PiiPolicy::Refuse, None).unwrap_err();
        assert!(refused.contains("`email` is personal data"), "{refused}");
    }

    #[test]
    fn key_names_are_unquoted() {
        assert_eq!(key_name("\"email\":"), "email");
        assert_eq!(key_name("\"a\\\"b\":"), "a\"b");
    }
}
