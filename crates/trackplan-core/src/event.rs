//! The typed payload traits every call takes: [`Event`] for track, [`Traits`] for identify and
//! group, [`Properties`] for page and screen (and nested objects), [`PropertyValue`] for a single
//! property value.
//!
//! Implementations write JSON straight into the message buffer: no intermediate
//! `serde_json::Value`, so the typed path costs one pass over the fields. `#[derive(Event)]`,
//! `#[derive(Traits)]`, `#[derive(Properties)]`, `#[derive(Enum)]` and `plan!` generate these
//! impls; [`RawEvent`] and [`RawProperties`] are the untyped ones.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

// The JSON helpers payload impls use, where they have always been reachable.
use crate::json::write_json_str;
pub use crate::json::{format_timestamp, write_serde_object, EncodeError};
use crate::pii::{self, PiiPolicy};

/// A constraint of the tracking plan that a value breaks (a pattern, a bound, a format).
///
/// Produced by the `validate()` that `plan!` generates and handled by the client's
/// [`ValidationPolicy`](crate::ValidationPolicy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// JSON path of the offending value inside the payload, such as `/products/0/price`.
    pub path: String,
    /// The JSON Schema keyword that failed, such as `pattern` or `minimum`.
    pub rule: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.message, self.rule)
    }
}

/// Where a generated type came from, sent as `context.protocols.event_version` and
/// `context.trackplan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanMetadata {
    /// The plan's name (or the file name when the plan has none).
    pub plan: &'static str,
    /// The rule's `version` in the plan, when the plan versions its rules.
    pub event_version: Option<u64>,
    /// The trackplan version that generated the type.
    pub generator_version: &'static str,
}

/// A value that can stand as one property: scalars, strings, options, sequences, string-keyed
/// maps, `serde_json::Value`, date-times (features `time`, `chrono`), `#[derive(Enum)]` enums and
/// `#[derive(Properties)]` objects.
///
/// Fields of any other `serde::Serialize` type take `#[property(serde)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a trackplan property value",
    label = "`{Self}` does not implement `trackplan::PropertyValue`",
    note = "use a scalar, String, Option, Vec, a string-keyed map, serde_json::Value, a `#[derive(trackplan::Enum)]` enum or a `#[derive(trackplan::Properties)]` struct",
    note = "or mark the field `#[property(serde)]` to serialise it with its `serde::Serialize` impl"
)]
pub trait PropertyValue {
    /// Serialise the value as JSON (inside other `serde` serialisation, e.g. `#[property(serde)]`
    /// contexts and [`AsProperty`]).
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// Append the value as JSON text to `out`: what [`ObjectWriter::field`] calls.
    ///
    /// The default goes through [`serialize_property`](Self::serialize_property) with
    /// `serde_json`. Objects override it to write themselves with an [`ObjectWriter`] (the
    /// `#[derive(Properties)]` and `plan!` types do), and sequences, options and maps pass it on
    /// to their items, so a typed event is written end to end without serde's map serializer.
    /// An override must write exactly what `serialize_property` would.
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.serialize_property(&mut serde_json::Serializer::new(out))
            .map_err(|e| EncodeError::json("property", e))
    }

    /// Absent values leave their key out of the object (`Option::None` as a field).
    #[inline]
    fn is_absent(&self) -> bool {
        false
    }

    /// Push the plan constraints this value breaks onto `out`, each at `path` (the value's JSON
    /// pointer) followed by its own. A `#[derive(Properties)]` type reports its fields'
    /// constraints, sequences, maps and options those of their items, so an event's
    /// `violations()` reaches the constraints of the objects nested in it. Nothing by default.
    #[inline]
    fn violations_at(&self, path: &str, out: &mut Vec<Violation>) {
        let _ = (path, out);
    }
}

/// [`PropertyValue::violations_at`] of a [`Properties`] value: its own violations, each path
/// prefixed with `path`. What the derives' nested objects call.
pub fn nested_violations<T: Properties + ?Sized>(value: &T, path: &str, out: &mut Vec<Violation>) {
    out.extend(value.violations().into_iter().map(|mut violation| {
        violation.path.insert_str(0, path);
        violation
    }));
}

/// For the derives' `violations()`: `NestedChecks::<T>::AT` is `T`'s
/// [`PropertyValue::violations_at`], or, through [`NoNestedChecks`], nothing when `T` is not a
/// property value. Path resolution picks the inherent constant, bounded by `T: PropertyValue`,
/// first; so a field type that is not a property value is reported once, where it is written,
/// and not again by its checks.
pub struct NestedChecks<T: ?Sized>(std::marker::PhantomData<T>);

impl<T: PropertyValue + ?Sized> NestedChecks<T> {
    pub const AT: fn(&T, &str, &mut Vec<Violation>) = T::violations_at;
}

/// See [`NestedChecks`]: no checks.
pub trait NoNestedChecks<T: ?Sized> {
    const AT: fn(&T, &str, &mut Vec<Violation>);
}

impl<T: ?Sized> NoNestedChecks<T> for NestedChecks<T> {
    const AT: fn(&T, &str, &mut Vec<Violation>) = |_, _, _| {};
}

/// [`PropertyValue::violations_at`] of a value held at `segment` under `path`. The value's
/// pointer is built only when it reports something: nested objects without constraints, the
/// usual case, cost no allocation.
fn child_violations_at<T: PropertyValue + ?Sized>(
    value: &T,
    path: &str,
    segment: impl FnOnce() -> String,
    out: &mut Vec<Violation>,
) {
    let start = out.len();
    value.violations_at("", out);
    if out.len() > start {
        let prefix = format!("{path}/{}", segment());
        for violation in &mut out[start..] {
            violation.path.insert_str(0, &prefix);
        }
    }
}

/// [`PropertyValue::violations_at`] of each item, at its index.
fn items_violations_at<'a, T: PropertyValue + 'a>(
    items: impl IntoIterator<Item = &'a T>,
    path: &str,
    out: &mut Vec<Violation>,
) {
    for (i, item) in items.into_iter().enumerate() {
        child_violations_at(item, path, || i.to_string(), out);
    }
}

/// [`PropertyValue::violations_at`] of each value, at its key (RFC 6901: `~` and `/` escaped).
fn entries_violations_at<'a, K: AsRef<str> + 'a, V: PropertyValue + 'a>(
    entries: impl IntoIterator<Item = (&'a K, &'a V)>,
    path: &str,
    out: &mut Vec<Violation>,
) {
    for (key, value) in entries {
        let escape = || key.as_ref().replace('~', "~0").replace('/', "~1");
        child_violations_at(value, path, escape, out);
    }
}

/// A numeric property value: what the reserved properties `revenue` and `value` must hold.
#[diagnostic::on_unimplemented(
    message = "reserved Segment property must be numeric, but `{Self}` is not",
    label = "`revenue` and `value` keep their Segment meaning: use an integer or float type",
    note = "rename the property if it is not the reserved one"
)]
pub trait NumericProperty: PropertyValue {}

/// A string property value: what the reserved property `currency` must hold.
#[diagnostic::on_unimplemented(
    message = "reserved Segment property `currency` must be a string, but `{Self}` is not",
    label = "`currency` holds an ISO 4217 code such as \"USD\"",
    note = "rename the property if it is not the reserved one"
)]
pub trait StringProperty: PropertyValue {}

/// A string-valued enum that knows every value it is sent as: `#[derive(Enum)]` enums and the
/// string enums of `plan!` and `trackplan generate`. A plan-checked derive
/// (`#[event(plan = "...")]`) compares `VALUES` with the property's `enum` in the plan when the
/// code compiles.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[derive(trackplan::Enum)]` enum, so its values cannot be checked against the plan's `enum`",
    label = "the plan lists the values this property allows",
    note = "use a `#[derive(trackplan::Enum)]` enum (or a generated one), or `String`"
)]
pub trait StringEnum: StringProperty {
    /// Every value the type is sent as, byte-exact, in declaration order.
    const VALUES: &'static [&'static str];
}

/// Adapts a [`PropertyValue`] to `serde::Serialize`.
pub struct AsProperty<'a, T: ?Sized>(pub &'a T);

impl<T: PropertyValue + ?Sized> Serialize for AsProperty<'_, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_property(serializer)
    }
}

/// Adapts a `serde::Serialize` value to [`PropertyValue`]: what `#[property(serde)]` uses.
pub struct SerdeProperty<'a, T: ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> PropertyValue for SerdeProperty<'_, T> {
    #[inline]
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// A JSON object's properties: page and screen properties, and nested objects.
pub trait Properties {
    /// Write the properties as one JSON object (`{...}`) onto `out`.
    fn write_properties(&self, out: &mut Vec<u8>) -> Result<(), EncodeError>;

    /// Plan constraints this value breaks; empty when it has none or no plan.
    fn violations(&self) -> Vec<Violation> {
        Vec::new()
    }

    /// The plan rule this type was generated from, if any.
    fn plan_metadata(&self) -> Option<PlanMetadata> {
        None
    }

    /// The consent categories the user must have granted for this to be sent
    /// (`#[event(consent = "...")]`, `x-consent` in a plan); see [`ConsentPolicy`](crate::ConsentPolicy).
    fn required_consent(&self) -> &'static [&'static str] {
        &[]
    }
}

/// A track event: its name and its properties.
pub trait Event: Properties {
    /// The event name sent as `event`, byte-exact.
    fn event_name(&self) -> &str;
}

/// Identify or group traits.
pub trait Traits {
    /// Write the traits as one JSON object (`{...}`) onto `out`.
    fn write_traits(&self, out: &mut Vec<u8>) -> Result<(), EncodeError>;

    /// Plan constraints these traits break.
    fn violations(&self) -> Vec<Violation> {
        Vec::new()
    }

    /// The plan rule this type was generated from, if any.
    fn plan_metadata(&self) -> Option<PlanMetadata> {
        None
    }

    /// The consent categories the user must have granted for this to be sent
    /// (`#[event(consent = "...")]`, `x-consent` in a plan); see [`ConsentPolicy`](crate::ConsentPolicy).
    fn required_consent(&self) -> &'static [&'static str] {
        &[]
    }
}

/// Writes one JSON object field by field; what derived and generated code calls.
///
/// Keys arrive already quoted and escaped (`"\"order_id\":"`), computed when the code was
/// generated, so the hot path copies bytes and serialises values only.
pub struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    #[inline]
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        ObjectWriter { out, first: true }
    }

    /// Write `"key": value` unless the value is absent. `quoted_key` is the key as a JSON string
    /// followed by a colon.
    #[inline]
    pub fn field<T: PropertyValue + ?Sized>(
        &mut self,
        quoted_key: &str,
        value: &T,
    ) -> Result<(), EncodeError> {
        if value.is_absent() {
            return Ok(());
        }
        self.key(quoted_key);
        value.write_json(self.out)
    }

    /// Write a field marked as personal data under the [`PiiPolicy`] in force for it: its own
    /// `field_policy` when it fixes one, else the client's. Fields that are not personal data
    /// go through [`field`](Self::field), which never looks at a policy.
    #[inline]
    pub fn pii_field<T: PropertyValue + ?Sized>(
        &mut self,
        quoted_key: &str,
        value: &T,
        field_policy: Option<PiiPolicy>,
    ) -> Result<(), EncodeError> {
        if value.is_absent() {
            return Ok(());
        }
        match pii::effective_policy(field_policy) {
            PiiPolicy::Send => {
                self.key(quoted_key);
                value.write_json(self.out)
            }
            PiiPolicy::Hash => {
                self.key(quoted_key);
                let start = self.out.len();
                value.write_json(self.out)?;
                pii::hash_written_value(self.out, start)
            }
            PiiPolicy::Redact => Ok(()),
            PiiPolicy::Refuse => Err(EncodeError::personal_data_refused(pii::key_name(
                quoted_key,
            ))),
        }
    }

    /// Write `"key": value` for a field that bypasses [`PropertyValue`] (`#[property(serde)]`).
    #[inline]
    pub fn serde_field<T: Serialize + ?Sized>(
        &mut self,
        quoted_key: &str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.key(quoted_key);
        serde_json::to_writer(&mut *self.out, value).map_err(|e| EncodeError::json("property", e))
    }

    /// Write a constant value given as JSON text (plan `const` and one-value enums).
    #[inline]
    pub fn raw_field(&mut self, quoted_key: &str, json: &str) {
        self.key(quoted_key);
        self.out.extend_from_slice(json.as_bytes());
    }

    #[inline]
    fn key(&mut self, quoted_key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.extend_from_slice(quoted_key.as_bytes());
    }

    #[inline]
    pub fn end(self) {
        self.out.push(b'}');
    }
}

/// An untyped track event: a name and any `serde::Serialize` value that serialises to an object.
///
/// ```
/// use trackplan_core::RawEvent;
/// let event = RawEvent::new("Order Completed", serde_json::json!({ "order_id": "o-1", "total": 9.5 }));
/// ```
#[derive(Debug, Clone)]
pub struct RawEvent<P = serde_json::Value> {
    name: Cow<'static, str>,
    properties: P,
}

impl<P: Serialize> RawEvent<P> {
    pub fn new(name: impl Into<Cow<'static, str>>, properties: P) -> Self {
        RawEvent {
            name: name.into(),
            properties,
        }
    }
}

impl<P: Serialize> Properties for RawEvent<P> {
    fn write_properties(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_serde_object("properties", &self.properties, out)
    }
}

impl<P: Serialize> Event for RawEvent<P> {
    fn event_name(&self) -> &str {
        &self.name
    }
}

/// Untyped properties or traits: any `serde::Serialize` value that serialises to an object.
#[derive(Debug, Clone, Default)]
pub struct RawProperties<P = serde_json::Value>(pub P);

impl<P: Serialize> Properties for RawProperties<P> {
    fn write_properties(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_serde_object("properties", &self.0, out)
    }
}

impl<P: Serialize> Traits for RawProperties<P> {
    fn write_traits(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_serde_object("traits", &self.0, out)
    }
}

/// Untyped traits; the same type as [`RawProperties`], named for identify and group.
pub type RawTraits<P = serde_json::Value> = RawProperties<P>;

/// No properties at all: `{}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProperties;

impl Properties for NoProperties {
    fn write_properties(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(b"{}");
        Ok(())
    }
}

impl Traits for NoProperties {
    fn write_traits(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(b"{}");
        Ok(())
    }
}

impl<T: Properties + ?Sized> Properties for &T {
    fn write_properties(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        (**self).write_properties(out)
    }
    fn violations(&self) -> Vec<Violation> {
        (**self).violations()
    }
    fn plan_metadata(&self) -> Option<PlanMetadata> {
        (**self).plan_metadata()
    }
    fn required_consent(&self) -> &'static [&'static str] {
        (**self).required_consent()
    }
}

impl<T: Event + ?Sized> Event for &T {
    fn event_name(&self) -> &str {
        (**self).event_name()
    }
}

impl<T: Traits + ?Sized> Traits for &T {
    fn write_traits(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        (**self).write_traits(out)
    }
    fn violations(&self) -> Vec<Violation> {
        (**self).violations()
    }
    fn plan_metadata(&self) -> Option<PlanMetadata> {
        (**self).plan_metadata()
    }
    fn required_consent(&self) -> &'static [&'static str] {
        (**self).required_consent()
    }
}

// ---- PropertyValue for the supported value types ----

macro_rules! serde_scalar {
    ($($ty:ty),* $(,)?) => {$(
        impl PropertyValue for $ty {
            #[inline]
            fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.serialize(serializer)
            }
        }
    )*};
}

serde_scalar!(bool, serde_json::Value, serde_json::Map<String, serde_json::Value>);
serde_scalar!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

// u128/i128 do not fit JSON numbers that destinations read; they are left out on purpose.

macro_rules! numeric {
    ($($ty:ty),* $(,)?) => {$( impl NumericProperty for $ty {} )*};
}
numeric!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64);

macro_rules! finite_float {
    ($($ty:ty),*) => {$(
        impl PropertyValue for $ty {
            /// JSON has no NaN or infinity (serde_json would silently write `null`): refuse them.
            #[inline]
            fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if !self.is_finite() {
                    return Err(S::Error::custom(format_args!("non-finite number {self}")));
                }
                self.serialize(serializer)
            }
        }
    )*};
}
finite_float!(f32, f64);

impl StringProperty for str {}
impl StringProperty for String {}
impl StringProperty for Cow<'_, str> {}
impl<T: StringProperty> StringProperty for Option<T> {}
impl<T: NumericProperty> NumericProperty for Option<T> {}
impl<T: StringProperty + ?Sized> StringProperty for &T {}
impl<T: NumericProperty + ?Sized> NumericProperty for &T {}

/// Strings are most of an event's bytes and rarely need escaping: they skip serde_json's
/// byte-by-byte escaper unless they do (same bytes either way).
macro_rules! string_value {
    ($($ty:ty),* $(,)?) => {$(
        impl PropertyValue for $ty {
            #[inline]
            fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self)
            }
            #[inline]
            fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
                write_json_str(out, self);
                Ok(())
            }
        }
    )*};
}
string_value!(str, String, Cow<'_, str>);

impl<T: PropertyValue + ?Sized> PropertyValue for &T {
    #[inline]
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize_property(serializer)
    }
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        (**self).write_json(out)
    }
    #[inline]
    fn is_absent(&self) -> bool {
        (**self).is_absent()
    }
    #[inline]
    fn violations_at(&self, path: &str, out: &mut Vec<Violation>) {
        (**self).violations_at(path, out)
    }
}

impl<T: PropertyValue + ?Sized> PropertyValue for Box<T> {
    #[inline]
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize_property(serializer)
    }
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        (**self).write_json(out)
    }
    #[inline]
    fn is_absent(&self) -> bool {
        (**self).is_absent()
    }
    #[inline]
    fn violations_at(&self, path: &str, out: &mut Vec<Violation>) {
        (**self).violations_at(path, out)
    }
}

impl<T: PropertyValue> PropertyValue for Option<T> {
    /// As a field, `None` leaves the key out ([`is_absent`](PropertyValue::is_absent)); inside a
    /// sequence or map it is `null`.
    #[inline]
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(v) => v.serialize_property(serializer),
            None => serializer.serialize_none(),
        }
    }
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Some(v) => v.write_json(out),
            None => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }
    #[inline]
    fn is_absent(&self) -> bool {
        self.is_none()
    }
    #[inline]
    fn violations_at(&self, path: &str, out: &mut Vec<Violation>) {
        if let Some(v) = self {
            v.violations_at(path, out);
        }
    }
}

/// An optional property that may also be `null`: absent (key left out), `null`, or a value.
///
/// What `plan!` generates for a property that is neither required nor non-nullable, since
/// `Option<T>` cannot tell "leave it out" from "send `null`".
///
/// ```
/// use trackplan_core::event::Nullable;
/// let cleared: Nullable<String> = Nullable::Null;
/// assert_eq!(Nullable::<i32>::from(Some(3)), Nullable::Value(3));
/// assert!(Nullable::<i64>::default().is_absent());
/// # let _ = cleared;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Nullable<T> {
    /// Not sent.
    #[default]
    Absent,
    /// Sent as `null`.
    Null,
    /// Sent as the value.
    Value(T),
}

impl<T> Nullable<T> {
    /// Whether the key is left out.
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    pub fn as_ref(&self) -> Nullable<&T> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Value(v) => Nullable::Value(v),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Nullable<U> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Value(v) => Nullable::Value(f(v)),
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Nullable::Value(value)
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    /// `None` becomes `Null`: an explicit option is a value the caller chose to clear.
    fn from(value: Option<T>) -> Self {
        value.map_or(Nullable::Null, Nullable::Value)
    }
}

impl<T: PropertyValue> PropertyValue for Nullable<T> {
    #[inline]
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Value(v) => v.serialize_property(serializer),
            Nullable::Absent | Nullable::Null => serializer.serialize_none(),
        }
    }
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Nullable::Value(v) => v.write_json(out),
            Nullable::Absent | Nullable::Null => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }
    #[inline]
    fn is_absent(&self) -> bool {
        Nullable::is_absent(self)
    }
    #[inline]
    fn violations_at(&self, path: &str, out: &mut Vec<Violation>) {
        if let Nullable::Value(v) = self {
            v.violations_at(path, out);
        }
    }
}

fn serialize_seq<'a, S, T, I>(serializer: S, items: I) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    T: PropertyValue + 'a,
    I: ExactSizeIterator<Item = &'a T>,
{
    let mut seq = serializer.serialize_seq(Some(items.len()))?;
    for item in items {
        seq.serialize_element(&AsProperty(item))?;
    }
    seq.end()
}

/// A JSON array of the items' [`PropertyValue::write_json`].
fn write_json_seq<'a, T: PropertyValue + 'a>(
    items: impl IntoIterator<Item = &'a T>,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item.write_json(out)?;
    }
    out.push(b']');
    Ok(())
}

impl<T: PropertyValue> PropertyValue for [T] {
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_seq(serializer, self.iter())
    }
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_json_seq(self, out)
    }
    fn violations_at(&self, path: &str, out: &mut Vec<Violation>) {
        items_violations_at(self, path, out)
    }
}

impl<T: PropertyValue, const N: usize> PropertyValue for [T; N] {
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_seq(serializer, self.iter())
    }
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_json_seq(self, out)
    }
    fn violations_at(&self, path: &str, out: &mut Vec<Violation>) {
        items_violations_at(self, path, out)
    }
}

impl<T: PropertyValue> PropertyValue for Vec<T> {
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_seq(serializer, self.iter())
    }
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_json_seq(self, out)
    }
    fn violations_at(&self, path: &str, out: &mut Vec<Violation>) {
        items_violations_at(self, path, out)
    }
}

fn serialize_map<'a, S, K, V, I>(serializer: S, entries: I) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    K: AsRef<str> + 'a,
    V: PropertyValue + 'a,
    I: ExactSizeIterator<Item = (&'a K, &'a V)>,
{
    let mut map = serializer.serialize_map(Some(entries.len()))?;
    for (k, v) in entries {
        map.serialize_entry(k.as_ref(), &AsProperty(v))?;
    }
    map.end()
}

/// A JSON object of string keys and the values' [`PropertyValue::write_json`].
fn write_json_map<'a, K: AsRef<str> + 'a, V: PropertyValue + 'a>(
    entries: impl IntoIterator<Item = (&'a K, &'a V)>,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    out.push(b'{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json_str(out, key.as_ref());
        out.push(b':');
        value.write_json(out)?;
    }
    out.push(b'}');
    Ok(())
}

impl<K: AsRef<str>, V: PropertyValue> PropertyValue for BTreeMap<K, V> {
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_map(serializer, self.iter())
    }
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_json_map(self, out)
    }
    fn violations_at(&self, path: &str, out: &mut Vec<Violation>) {
        entries_violations_at(self, path, out)
    }
}

impl<K: AsRef<str>, V: PropertyValue, H> PropertyValue for HashMap<K, V, H> {
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_map(serializer, self.iter())
    }
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_json_map(self, out)
    }
    fn violations_at(&self, path: &str, out: &mut Vec<Violation>) {
        entries_violations_at(self, path, out)
    }
}

#[cfg(feature = "time")]
impl PropertyValue for time::OffsetDateTime {
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_timestamp(*self))
    }
}

#[cfg(feature = "time")]
impl PropertyValue for time::UtcDateTime {
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_timestamp(self.to_offset(time::UtcOffset::UTC)))
    }
}

#[cfg(feature = "chrono")]
impl<Tz: chrono::TimeZone> PropertyValue for chrono::DateTime<Tz> {
    fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(
            &self
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value that always breaks one rule, reported at its own pointer.
    struct Broken;

    impl PropertyValue for Broken {
        fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_unit()
        }
        fn violations_at(&self, path: &str, out: &mut Vec<Violation>) {
            out.push(Violation {
                path: format!("{path}/x"),
                rule: "minimum",
                message: String::new(),
            });
        }
    }

    #[test]
    fn nested_violations_carry_indexes_and_escaped_keys() {
        let value: BTreeMap<&str, Vec<Option<Box<Broken>>>> =
            [("a/b~c", vec![None, Some(Box::new(Broken))])].into();
        let mut out = Vec::new();
        value.violations_at("/field", &mut out);
        let paths: Vec<&str> = out.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["/field/a~1b~0c/1/x"]);
        // Values that report nothing leave nothing behind.
        let mut out = Vec::new();
        vec![1_u8, 2].violations_at("/n", &mut out);
        assert!(out.is_empty());
    }

    fn write<T: PropertyValue + ?Sized>(key: &str, value: &T) -> String {
        let mut out = Vec::new();
        let mut w = ObjectWriter::new(&mut out);
        w.field(key, value).unwrap();
        w.end();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn absent_option_leaves_the_key_out_but_null_inside_a_sequence() {
        assert_eq!(write("\"a\":", &None::<i32>), "{}");
        assert_eq!(write("\"a\":", &vec![Some(1), None]), r#"{"a":[1,null]}"#);
    }

    #[test]
    fn nullable_is_absent_null_or_a_value() {
        assert_eq!(write("\"a\":", &Nullable::<i32>::Absent), "{}");
        assert_eq!(write("\"a\":", &Nullable::<i32>::Null), r#"{"a":null}"#);
        assert_eq!(write("\"a\":", &Nullable::Value(2)), r#"{"a":2}"#);
        assert_eq!(Nullable::<i32>::from(None), Nullable::Null);
        assert_eq!(
            Nullable::Value(2).as_ref().map(|v| v + 1),
            Nullable::Value(3)
        );
    }

    #[test]
    fn non_finite_floats_are_refused() {
        let mut out = Vec::new();
        let mut w = ObjectWriter::new(&mut out);
        let err = w.field("\"x\":", &f64::NAN).unwrap_err();
        assert!(err.to_string().contains("non-finite"), "{err}");
    }

    #[test]
    fn maps_and_cows() {
        let map: BTreeMap<&str, Cow<str>> = [("k", Cow::Borrowed("v"))].into();
        assert_eq!(write("\"m\":", &map), r#"{"m":{"k":"v"}}"#);
    }

    /// An object that writes itself directly, and says so if serde is used instead.
    struct Direct(u8);

    impl PropertyValue for Direct {
        fn serialize_property<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry("via", "serde")?;
            map.end()
        }
        fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
            let mut w = ObjectWriter::new(out);
            w.field("\"via\":", "direct")?;
            w.field("\"n\":", &self.0)?;
            w.end();
            Ok(())
        }
    }

    #[test]
    fn fields_sequences_options_and_maps_write_nested_objects_directly() {
        let direct = r#"{"via":"direct","n":1}"#;
        assert_eq!(write("\"o\":", &Direct(1)), format!(r#"{{"o":{direct}}}"#));
        let nested = vec![Some(Box::new(Direct(1))), None];
        assert_eq!(
            write("\"v\":", &nested),
            format!(r#"{{"v":[{direct},null]}}"#)
        );
        assert_eq!(
            write("\"a\":", &[Nullable::Value(Direct(1)), Nullable::Null]),
            format!(r#"{{"a":[{direct},null]}}"#)
        );
        let map: HashMap<String, Vec<Direct>> = [("k\"".to_owned(), vec![Direct(1)])].into();
        assert_eq!(
            write("\"m\":", &map),
            format!(r#"{{"m":{{"k\"":[{direct}]}}}}"#)
        );
        // Inside serde (`AsProperty`), the serde path is kept.
        assert_eq!(
            serde_json::to_string(&AsProperty(&vec![Direct(1)])).unwrap(),
            r#"[{"via":"serde"}]"#
        );
    }

    #[test]
    fn direct_json_matches_serde_for_the_standard_types() {
        fn both<T: PropertyValue>(value: &T) -> (String, String) {
            let mut direct = Vec::new();
            value.write_json(&mut direct).unwrap();
            let serde = serde_json::to_string(&AsProperty(value)).unwrap();
            (String::from_utf8(direct).unwrap(), serde)
        }
        let (a, b) = both(&vec![vec![Some(1.5), None], vec![]]);
        assert_eq!(a, b);
        let (a, b) = both(&BTreeMap::from([
            ("x\n", Nullable::Value("é\"")),
            ("y", Nullable::Null),
        ]));
        assert_eq!(a, b);
        let (a, b) = both(&[Some(Cow::Borrowed("a")), None]);
        assert_eq!(a, b);
        let mut out = Vec::new();
        assert!(vec![1.0, f64::INFINITY].write_json(&mut out).is_err());
    }

    #[test]
    fn raw_event_refuses_non_objects() {
        let mut out = Vec::new();
        let err = RawEvent::new("X", 3)
            .write_properties(&mut out)
            .unwrap_err();
        assert!(err.to_string().contains("JSON object"));
        assert!(out.is_empty());
    }

    proptest::proptest! {
        /// Strings skip serde_json's escaper when they can; the bytes must not change.
        #[test]
        fn strings_and_map_keys_are_written_as_serde_json_writes_them(
            entries in proptest::collection::btree_map("[\\x00-\\x7f\u{e9}\u{1F600}]{0,24}", "[\\x00-\\x7f\u{e9}]{0,24}", 0..6)
        ) {
            let mut out = Vec::new();
            entries.write_json(&mut out).unwrap();
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&entries).unwrap());
            for (key, value) in &entries {
                let (mut owned, mut cow) = (Vec::new(), Vec::new());
                value.write_json(&mut owned).unwrap();
                Cow::Borrowed(key.as_str()).write_json(&mut cow).unwrap();
                proptest::prop_assert_eq!(owned, serde_json::to_vec(value).unwrap());
                proptest::prop_assert_eq!(cow, serde_json::to_vec(key).unwrap());
            }
        }
    }
}
