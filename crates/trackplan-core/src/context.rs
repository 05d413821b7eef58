//! [`Context`]: Segment's `context` object, typed after the spec
//! (<https://segment.com/docs/connections/spec/common/#context>), with an `extra` map for custom
//! keys. `library` is not settable: it is always trackplan's.
//!
//! Every struct serialises with Segment's wire names (`userAgent`, `groupId`,
//! `adTrackingEnabled`, ...) and leaves unset fields out. The encoder writes a context straight
//! into the message buffer, merging the per-call context over the
//! client's default one key by key.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::consent::Consent;
use crate::json::{write_decimal, write_json_str, EncodeError};

/// Keys an `extra` entry may not use: the typed fields' wire names, and the keys trackplan
/// writes itself (`library`; `protocols` and `trackplan` for plan metadata).
const RESERVED_KEYS: &[&str] = &[
    "app",
    "campaign",
    "consent",
    "device",
    "groupId",
    "ip",
    "library",
    "locale",
    "location",
    "network",
    "os",
    "page",
    "protocols",
    "referrer",
    "screen",
    "timezone",
    "trackplan",
    "traits",
    "userAgent",
    "userAgentData",
];

/// Segment's `context`: what the message was sent from and about.
///
/// Set on the client as a default for every message
/// ([`ClientBuilder::context`](crate::ClientBuilder::context)) and per call
/// ([`CallOptions::context`](crate::CallOptions::context)). A key set on the call replaces the
/// default's whole value for that key (`app`, `device`, each `extra` key, ...); `library` is
/// always trackplan's.
///
/// ```
/// use trackplan_core::context::{App, Context, Page};
/// let context = Context::new()
///     .app(App { name: Some("shop".into()), version: Some("2.3.0".into()), ..App::default() })
///     .ip("203.0.113.7".parse().unwrap())
///     .locale("en-GB")
///     .page(Page { path: Some("/basket".into()), ..Page::default() })
///     .extra("experiment", "checkout-b")?;
/// assert_eq!(
///     serde_json::to_value(&context).unwrap(),
///     serde_json::json!({
///         "app": { "name": "shop", "version": "2.3.0" },
///         "ip": "203.0.113.7",
///         "locale": "en-GB",
///         "page": { "path": "/basket" },
///         "experiment": "checkout-b"
///     })
/// );
/// # Ok::<(), trackplan_core::context::ContextError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    #[serde(skip_serializing_if = "Option::is_none")]
    app: Option<App>,
    #[serde(skip_serializing_if = "Option::is_none")]
    campaign: Option<Campaign>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<Device>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    network: Option<Network>,
    #[serde(skip_serializing_if = "Option::is_none")]
    os: Option<Os>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<Page>,
    #[serde(skip_serializing_if = "Option::is_none")]
    referrer: Option<Referrer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    screen: Option<Screen>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    traits: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent_data: Option<UserAgentData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consent: Option<Consent>,
    /// Custom keys, sorted by name.
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

/// Why a context cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// An `extra` key that a typed field (or trackplan itself) writes.
    #[error(
        "`context.{0}` is a key Segment's spec or trackplan defines; set it with its typed \
         method (`library`, `protocols` and `trackplan` are written by trackplan)"
    )]
    ReservedKey(String),
    /// An untyped context that is not an object.
    #[error("`context` must be a JSON object, not {0}")]
    NotAnObject(&'static str),
    /// An untyped `context.consent` that is not `{"categoryPreferences": {<category>: bool}}`.
    #[error(
        "`context.consent` must be {{\"categoryPreferences\": {{<category>: true|false}}}}: {0}"
    )]
    BadConsent(String),
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Context::default()
    }

    /// `context.app`: the app that sends the message.
    pub fn app(mut self, app: App) -> Self {
        self.app = Some(app);
        self
    }

    /// `context.campaign`: the marketing campaign (UTM parameters) the user came from.
    pub fn campaign(mut self, campaign: Campaign) -> Self {
        self.campaign = Some(campaign);
        self
    }

    /// `context.device`: the user's device.
    pub fn device(mut self, device: Device) -> Self {
        self.device = Some(device);
        self
    }

    /// `context.ip`: the user's IP address (Segment derives the location from it).
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// `context.locale`: the user's locale, such as `en-US`.
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = Some(locale.into());
        self
    }

    /// `context.location`: where the user is.
    pub fn location(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// `context.network`: the device's network connections.
    pub fn network(mut self, network: Network) -> Self {
        self.network = Some(network);
        self
    }

    /// `context.os`: the operating system.
    pub fn os(mut self, os: Os) -> Self {
        self.os = Some(os);
        self
    }

    /// `context.page`: the web page the message comes from.
    pub fn page(mut self, page: Page) -> Self {
        self.page = Some(page);
        self
    }

    /// `context.referrer`: what referred the user (a link, an ad network).
    pub fn referrer(mut self, referrer: Referrer) -> Self {
        self.referrer = Some(referrer);
        self
    }

    /// `context.screen`: the device's screen.
    pub fn screen(mut self, screen: Screen) -> Self {
        self.screen = Some(screen);
        self
    }

    /// `context.timezone`: the user's tz database name, such as `Europe/Amsterdam`.
    pub fn timezone(mut self, timezone: impl Into<String>) -> Self {
        self.timezone = Some(timezone.into());
        self
    }

    /// `context.groupId`: the group (account) the message belongs to.
    pub fn group_id(mut self, group_id: impl Into<String>) -> Self {
        self.group_id = Some(group_id.into());
        self
    }

    /// `context.traits`: traits of the user, for destinations that read them on every call.
    pub fn traits(mut self, traits: Map<String, Value>) -> Self {
        self.traits = Some(traits);
        self
    }

    /// `context.userAgent`: the user agent of the device.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// `context.userAgentData`: the browser's User-Agent Client Hints.
    pub fn user_agent_data(mut self, data: UserAgentData) -> Self {
        self.user_agent_data = Some(data);
        self
    }

    /// `context.consent`: the user's consent. On a per-call context it overrides the client's
    /// consent source ([`ClientBuilder::consent`](crate::ClientBuilder::consent)), and is the
    /// consent the call is checked against.
    pub fn consent(mut self, consent: Consent) -> Self {
        self.consent = Some(consent);
        self
    }

    /// A custom key. Keys of the spec's fields and the keys trackplan writes are refused with
    /// [`ContextError::ReservedKey`]: use the typed method instead.
    pub fn extra(
        mut self,
        key: impl Into<String>,
        value: impl Into<Value>,
    ) -> Result<Self, ContextError> {
        let key = key.into();
        if RESERVED_KEYS.contains(&key.as_str()) {
            return Err(ContextError::ReservedKey(key));
        }
        self.extra.insert(key, value.into());
        Ok(self)
    }

    /// The consent set on this context, if any.
    pub(crate) fn consent_ref(&self) -> Option<&Consent> {
        self.consent.as_ref()
    }

    /// The context as a JSON object (what the untyped paths merge).
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            // Every field serialises to JSON; a struct always becomes an object.
            _ => Map::new(),
        }
    }

    /// Write each entry set on `self` or, failing that, on `under` (copied as `under` was
    /// written), as `"key":value,` (each followed by a comma), leaving `consent` out: the
    /// encoder writes the consent it chose.
    pub(crate) fn write_entries(
        &self,
        under: &WrittenContext,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        for field in 0..TYPED_FIELDS {
            if !self.write_field(field, out)? {
                out.extend_from_slice(&under.bytes[under.typed[field].clone()]);
            }
        }
        for (key, value) in &self.extra {
            write_extra(out, key, value)?;
        }
        for (key, entry) in &under.extra {
            if !self.extra.contains_key(key) {
                out.extend_from_slice(&under.bytes[entry.clone()]);
            }
        }
        Ok(())
    }

    /// Write typed field number `field` (in wire order) as `"key":value,` if it is set; whether
    /// it was. Inlined, so that the loops over the fields unroll into straight-line code (the
    /// per-field dispatch cost a call's context about 100 ns).
    #[inline(always)]
    fn write_field(&self, field: usize, out: &mut Vec<u8>) -> Result<bool, EncodeError> {
        fn entry<T: WriteJson>(
            out: &mut Vec<u8>,
            quoted_key: &str,
            value: Option<&T>,
        ) -> Result<bool, EncodeError> {
            let Some(value) = value else {
                return Ok(false);
            };
            out.extend_from_slice(quoted_key.as_bytes());
            value.write_json(out)?;
            out.push(b',');
            Ok(true)
        }
        macro_rules! fields {
            ($($index:literal: $field:ident => $key:literal,)*) => {
                match field {
                    $( $index => entry(out, concat!("\"", $key, "\":"), self.$field.as_ref()), )*
                    _ => Ok(false),
                }
            };
        }
        fields!(
            0: app => "app",
            1: campaign => "campaign",
            2: device => "device",
            3: ip => "ip",
            4: locale => "locale",
            5: location => "location",
            6: network => "network",
            7: os => "os",
            8: page => "page",
            9: referrer => "referrer",
            10: screen => "screen",
            11: timezone => "timezone",
            12: group_id => "groupId",
            13: traits => "traits",
            14: user_agent => "userAgent",
            15: user_agent_data => "userAgentData",
        )
    }
}

/// How many typed fields [`Context::write_field`] writes (all but `consent`).
const TYPED_FIELDS: usize = 16;

/// A context's entries written once (the client's default context), each kept as a slice, so a
/// call's context is merged over it by copying the entries the call does not replace.
#[derive(Debug)]
pub(crate) struct WrittenContext {
    /// Every entry, `"key":value,` each, typed fields first, then the extra keys.
    bytes: Vec<u8>,
    /// Each typed field's entry in `bytes` (empty when unset).
    typed: [std::ops::Range<usize>; TYPED_FIELDS],
    /// Each extra key's entry in `bytes`.
    extra: BTreeMap<String, std::ops::Range<usize>>,
}

impl WrittenContext {
    /// `context`'s entries, without its consent.
    pub(crate) fn new(context: &Context) -> Result<WrittenContext, EncodeError> {
        let mut bytes = Vec::new();
        let mut typed: [std::ops::Range<usize>; TYPED_FIELDS] = Default::default();
        for (field, range) in typed.iter_mut().enumerate() {
            let start = bytes.len();
            context.write_field(field, &mut bytes)?;
            *range = start..bytes.len();
        }
        let mut extra = BTreeMap::new();
        for (key, value) in &context.extra {
            let start = bytes.len();
            write_extra(&mut bytes, key, value)?;
            extra.insert(key.clone(), start..bytes.len());
        }
        Ok(WrittenContext {
            bytes,
            typed,
            extra,
        })
    }

    /// Every entry, each followed by a comma: what a call without its own context writes.
    pub(crate) fn entries(&self) -> &[u8] {
        &self.bytes
    }
}

fn write_extra(out: &mut Vec<u8>, key: &str, value: &Value) -> Result<(), EncodeError> {
    write_json_str(out, key);
    out.push(b':');
    serde_json::to_writer(&mut *out, value).map_err(|e| EncodeError::json("context", e))?;
    out.push(b',');
    Ok(())
}

/// An untyped `context.consent`, checked: `{"categoryPreferences": {<category>: bool}}`.
impl TryFrom<&Value> for Consent {
    type Error = ContextError;

    fn try_from(value: &Value) -> Result<Self, Self::Error> {
        let bad = |reason: String| ContextError::BadConsent(reason);
        let preferences = value
            .get("categoryPreferences")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("no `categoryPreferences` object".to_owned()))?;
        preferences.iter().try_fold(
            Consent::new(),
            |consent, (category, granted)| match granted {
                Value::Bool(granted) => Ok(consent.set(category.clone(), *granted)),
                other => Err(bad(format!(
                    "`{category}` is {}",
                    crate::integrations::json_type(other)
                ))),
            },
        )
    }
}

/// Writes a context value as JSON straight into the message buffer: byte-identical to its
/// `Serialize` impl (tested), but strings take the encoder's escaping fast path and nothing goes
/// through serde's machinery, which made a typical request context cost twice as much.
trait WriteJson {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError>;
}

impl WriteJson for String {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_json_str(out, self);
        Ok(())
    }
}

impl WriteJson for bool {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
        Ok(())
    }
}

impl WriteJson for u32 {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        write_decimal(out, u64::from(*self));
        Ok(())
    }
}

/// As serde_json writes floats (shortest round-trip form; a non-finite value as `null`).
impl WriteJson for f64 {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        serde_json::to_writer(out, self).map_err(|e| EncodeError::json("context", e))
    }
}

/// An address's text never needs escaping. IPv4 (most of them) is written digit by digit: the
/// `Display` machinery cost more than the rest of a typical context.
impl WriteJson for IpAddr {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(b'"');
        match self {
            IpAddr::V4(v4) => {
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        out.push(b'.');
                    }
                    write_decimal(out, u64::from(octet));
                }
            }
            IpAddr::V6(v6) => {
                use std::io::Write as _;
                // Writing into a `Vec` cannot fail.
                let _ = write!(out, "{v6}");
            }
        }
        out.push(b'"');
        Ok(())
    }
}

impl WriteJson for Map<String, Value> {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        serde_json::to_writer(out, self).map_err(|e| EncodeError::json("context", e))
    }
}

impl<T: WriteJson> WriteJson for Vec<T> {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(b'[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item.write_json(out)?;
        }
        out.push(b']');
        Ok(())
    }
}

/// Writes `"key":value` pairs of one object, commas between them.
struct Fields<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Fields<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Fields { out, first: true }
    }

    /// `quoted_key` is the key as a JSON string followed by a colon.
    fn field<T: WriteJson>(
        &mut self,
        quoted_key: &str,
        value: Option<&T>,
    ) -> Result<(), EncodeError> {
        let Some(value) = value else { return Ok(()) };
        self.separate();
        self.out.extend_from_slice(quoted_key.as_bytes());
        value.write_json(self.out)
    }

    /// A custom key whose value is a string.
    fn text_entry(&mut self, key: &str, value: &str) {
        self.separate();
        write_json_str(self.out, key);
        self.out.push(b':');
        write_json_str(self.out, value);
    }

    fn separate(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

/// Structs of the spec whose fields are all optional: each field with its wire name (the one
/// place it is spelled), serialised and written with unset fields left out.
macro_rules! spec_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty => $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                #[serde(rename = $wire, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }

        impl WriteJson for $name {
            fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
                let mut fields = Fields::open(out);
                $( fields.field(concat!("\"", $wire, "\":"), self.$field.as_ref())?; )*
                fields.close();
                Ok(())
            }
        }
    };
}

spec_struct! {
    /// `context.app`.
    App {
        name: String => "name",
        version: String => "version",
        /// The build number.
        build: String => "build",
        /// The bundle id or package name, such as `com.example.shop`.
        namespace: String => "namespace",
    }
}

/// `context.campaign`: UTM parameters; any other `utm_` parameter goes in `custom`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Campaign {
    /// `utm_campaign`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `utm_source`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `utm_medium`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    /// `utm_term`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// `utm_content`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Other campaign parameters, written as keys of `campaign` itself.
    #[serde(flatten)]
    pub custom: BTreeMap<String, String>,
}

impl WriteJson for Campaign {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut fields = Fields::open(out);
        fields.field("\"name\":", self.name.as_ref())?;
        fields.field("\"source\":", self.source.as_ref())?;
        fields.field("\"medium\":", self.medium.as_ref())?;
        fields.field("\"term\":", self.term.as_ref())?;
        fields.field("\"content\":", self.content.as_ref())?;
        for (key, value) in &self.custom {
            fields.text_entry(key, value);
        }
        fields.close();
        Ok(())
    }
}

spec_struct! {
    /// `context.device`.
    Device {
        id: String => "id",
        /// The advertising id (IDFA, AAID).
        advertising_id: String => "advertisingId",
        /// Whether ad tracking is allowed.
        ad_tracking_enabled: bool => "adTrackingEnabled",
        manufacturer: String => "manufacturer",
        model: String => "model",
        name: String => "name",
        /// The device type, such as `ios` or `android`.
        kind: String => "type",
        version: String => "version",
        /// The push notification token.
        token: String => "token",
    }
}

spec_struct! {
    /// `context.location`.
    Location {
        city: String => "city",
        country: String => "country",
        latitude: f64 => "latitude",
        longitude: f64 => "longitude",
        region: String => "region",
        speed: f64 => "speed",
    }
}

spec_struct! {
    /// `context.network`.
    Network {
        bluetooth: bool => "bluetooth",
        carrier: String => "carrier",
        cellular: bool => "cellular",
        wifi: bool => "wifi",
    }
}

spec_struct! {
    /// `context.os`.
    Os {
        name: String => "name",
        version: String => "version",
    }
}

spec_struct! {
    /// `context.page`.
    Page {
        path: String => "path",
        referrer: String => "referrer",
        search: String => "search",
        title: String => "title",
        url: String => "url",
    }
}

spec_struct! {
    /// `context.referrer`.
    Referrer {
        /// The referrer type, such as `dataxu`.
        kind: String => "type",
        name: String => "name",
        url: String => "url",
        link: String => "link",
    }
}

spec_struct! {
    /// `context.screen`.
    Screen {
        density: f64 => "density",
        height: u32 => "height",
        width: u32 => "width",
    }
}

spec_struct! {
    /// `context.userAgentData`: User-Agent Client Hints.
    UserAgentData {
        brands: Vec<Brand> => "brands",
        mobile: bool => "mobile",
        platform: String => "platform",
        bitness: String => "bitness",
        model: String => "model",
        platform_version: String => "platformVersion",
        ua_full_version: String => "uaFullVersion",
        full_version_list: Vec<Brand> => "fullVersionList",
        wow64: bool => "wow64",
    }
}

/// One entry of `userAgentData.brands` or `fullVersionList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Brand {
    pub brand: String,
    pub version: String,
}

impl WriteJson for Brand {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut fields = Fields::open(out);
        fields.field("\"brand\":", Some(&self.brand))?;
        fields.field("\"version\":", Some(&self.version))?;
        fields.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every field set, so every wire name is checked against the spec's.
    fn full() -> Context {
        Context::new()
            .app(App {
                name: Some("shop".into()),
                version: Some("2.3.0".into()),
                build: Some("41".into()),
                namespace: Some("com.example.shop".into()),
            })
            .campaign(Campaign {
                name: Some("spring".into()),
                source: Some("newsletter".into()),
                medium: Some("email".into()),
                term: Some("shoes".into()),
                content: Some("hero".into()),
                custom: [("utm_id".to_owned(), "c-1".to_owned())].into(),
            })
            .device(Device {
                id: Some("d-1".into()),
                advertising_id: Some("ad-1".into()),
                ad_tracking_enabled: Some(false),
                manufacturer: Some("Apple".into()),
                model: Some("iPhone15,2".into()),
                name: Some("phone".into()),
                kind: Some("ios".into()),
                version: Some("17.1".into()),
                token: Some("t-1".into()),
            })
            .ip("2001:db8::1".parse().unwrap())
            .locale("nl-NL")
            .location(Location {
                city: Some("Utrecht".into()),
                country: Some("NL".into()),
                latitude: Some(52.09),
                longitude: Some(5.12),
                region: Some("UT".into()),
                speed: Some(0.0),
            })
            .network(Network {
                bluetooth: Some(false),
                carrier: Some("KPN".into()),
                cellular: Some(true),
                wifi: Some(false),
            })
            .os(Os {
                name: Some("iOS".into()),
                version: Some("17.1".into()),
            })
            .page(Page {
                path: Some("/a".into()),
                referrer: Some("https://example.org/".into()),
                search: Some("?q=1".into()),
                title: Some("A".into()),
                url: Some("https://example.com/a?q=1".into()),
            })
            .referrer(Referrer {
                kind: Some("dataxu".into()),
                name: Some("x".into()),
                url: Some("https://r.example".into()),
                link: Some("https://r.example/l".into()),
            })
            .screen(Screen {
                density: Some(2.0),
                height: Some(844),
                width: Some(390),
            })
            .timezone("Europe/Amsterdam")
            .group_id("g-1")
            .traits(json!({ "plan": "pro" }).as_object().cloned().unwrap())
            .user_agent("Mozilla/5.0")
            .user_agent_data(UserAgentData {
                brands: Some(vec![Brand {
                    brand: "Chromium".into(),
                    version: "120".into(),
                }]),
                mobile: Some(false),
                platform: Some("macOS".into()),
                bitness: Some("64".into()),
                model: Some(String::new()),
                platform_version: Some("14.1".into()),
                ua_full_version: Some("120.0.1".into()),
                full_version_list: Some(vec![]),
                wow64: Some(false),
            })
            .consent(crate::Consent::new().grant("Analytics"))
            .extra("channel", "server")
            .unwrap()
    }

    #[test]
    fn every_field_has_the_spec_wire_name() {
        assert_eq!(
            serde_json::to_value(full()).unwrap(),
            json!({
                "app": { "name": "shop", "version": "2.3.0", "build": "41", "namespace": "com.example.shop" },
                "campaign": { "name": "spring", "source": "newsletter", "medium": "email", "term": "shoes", "content": "hero", "utm_id": "c-1" },
                "device": { "id": "d-1", "advertisingId": "ad-1", "adTrackingEnabled": false, "manufacturer": "Apple", "model": "iPhone15,2", "name": "phone", "type": "ios", "version": "17.1", "token": "t-1" },
                "ip": "2001:db8::1",
                "locale": "nl-NL",
                "location": { "city": "Utrecht", "country": "NL", "latitude": 52.09, "longitude": 5.12, "region": "UT", "speed": 0.0 },
                "network": { "bluetooth": false, "carrier": "KPN", "cellular": true, "wifi": false },
                "os": { "name": "iOS", "version": "17.1" },
                "page": { "path": "/a", "referrer": "https://example.org/", "search": "?q=1", "title": "A", "url": "https://example.com/a?q=1" },
                "referrer": { "type": "dataxu", "name": "x", "url": "https://r.example", "link": "https://r.example/l" },
                "screen": { "density": 2.0, "height": 844, "width": 390 },
                "timezone": "Europe/Amsterdam",
                "groupId": "g-1",
                "traits": { "plan": "pro" },
                "userAgent": "Mozilla/5.0",
                "userAgentData": {
                    "brands": [{ "brand": "Chromium", "version": "120" }],
                    "mobile": false, "platform": "macOS", "bitness": "64", "model": "",
                    "platformVersion": "14.1", "uaFullVersion": "120.0.1", "fullVersionList": [], "wow64": false
                },
                "consent": { "categoryPreferences": { "Analytics": true } },
                "channel": "server"
            })
        );
    }

    /// `write_entries` output as an object's text (its entries end in commas).
    fn entries_text(context: &Context, under: &Context) -> String {
        let mut out = b"{".to_vec();
        let under = WrittenContext::new(under).unwrap();
        context.write_entries(&under, &mut out).unwrap();
        if out.last() == Some(&b',') {
            out.pop();
        }
        out.push(b'}');
        String::from_utf8(out).unwrap()
    }

    fn entries(context: &Context, under: &Context) -> Value {
        serde_json::from_str(&entries_text(context, under)).unwrap()
    }

    #[test]
    fn written_entries_are_byte_for_byte_the_serialised_ones_without_consent() {
        let mut without_consent = full();
        without_consent.consent = None;
        let serialised = serde_json::to_string(&without_consent).unwrap();
        assert_eq!(entries_text(&full(), &Context::new()), serialised);
        assert_eq!(entries_text(&Context::new(), &full()), serialised);
        assert_eq!(entries_text(&Context::new(), &Context::new()), "{}");
        // Escapes, custom campaign keys only, an IPv4 address and non-finite floats.
        let odd = Context::new()
            .campaign(Campaign {
                custom: [("utm_\"x\"".to_owned(), "a\nb".to_owned())].into(),
                ..Campaign::default()
            })
            .ip([192, 0, 2, 1].into())
            .screen(Screen {
                density: Some(f64::NAN),
                ..Screen::default()
            })
            .user_agent("tab\there \u{e9}");
        assert_eq!(
            entries_text(&odd, &Context::new()),
            serde_json::to_string(&odd).unwrap()
        );
    }

    #[test]
    fn entries_take_each_key_from_the_top_layer_that_sets_it() {
        let default = Context::new()
            .app(App {
                name: Some("shop".into()),
                version: Some("1".into()),
                ..App::default()
            })
            .locale("en-US")
            .extra("channel", "server")
            .unwrap()
            .extra("tenant", "t-1")
            .unwrap();
        let call = Context::new()
            .app(App {
                name: Some("shop-admin".into()),
                ..App::default()
            })
            .extra("tenant", "t-2")
            .unwrap();
        assert_eq!(
            entries(&call, &default),
            json!({ "app": { "name": "shop-admin" }, "locale": "en-US", "tenant": "t-2", "channel": "server" })
        );
    }

    #[test]
    fn reserved_extra_keys_and_bad_untyped_consent_are_errors() {
        for key in ["library", "ip", "userAgent", "protocols", "consent"] {
            assert_eq!(
                Context::new().extra(key, 1).unwrap_err(),
                ContextError::ReservedKey(key.to_owned())
            );
        }
        let consent = Consent::try_from(
            &json!({ "categoryPreferences": { "Analytics": true, "Ads": false } }),
        )
        .unwrap();
        assert_eq!(consent, Consent::new().grant("Analytics").deny("Ads"));
        for bad in [
            json!({ "Analytics": true }),
            json!({ "categoryPreferences": { "Analytics": "yes" } }),
            json!(true),
        ] {
            assert!(
                matches!(Consent::try_from(&bad), Err(ContextError::BadConsent(_))),
                "{bad}"
            );
        }
    }
}
