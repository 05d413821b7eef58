//! [`Context`]: Segment's `context` object, typed after the spec
//! (<https://segment.com/docs/connections/spec/common/#context>), with an `extra` map for custom
//! keys. `library` is not settable: it is always trackplan's.
//!
//! Every struct serialises with Segment's wire names (`userAgent`, `groupId`,
//! `adTrackingEnabled`, ...) and leaves unset fields out. The encoder writes a context straight
//! into the message buffer ([`Context::write_entries`]), merging the per-call context over the
//! client's default one key by key.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::consent::Consent;
use crate::json::EncodeError;

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
    pub fn consent_ref(&self) -> Option<&Consent> {
        self.consent.as_ref()
    }

    /// This context without its consent, and the consent.
    pub(crate) fn split_consent(mut self) -> (Context, Option<Consent>) {
        let consent = self.consent.take();
        (self, consent)
    }

    /// The context as a JSON object (what the untyped paths merge).
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            // Every field serialises to JSON; a struct always becomes an object.
            _ => Map::new(),
        }
    }

    /// Write each entry set on `self` or, failing that, on `under`, as `"key":value,` (each
    /// followed by a comma), leaving `consent` out: the encoder writes the consent it chose.
    pub(crate) fn write_entries(
        &self,
        under: &Context,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        fn entry<T: Serialize>(
            out: &mut Vec<u8>,
            quoted_key: &[u8],
            value: Option<&T>,
        ) -> Result<(), EncodeError> {
            if let Some(value) = value {
                out.extend_from_slice(quoted_key);
                serde_json::to_writer(&mut *out, value)
                    .map_err(|e| EncodeError::json("context", e))?;
                out.push(b',');
            }
            Ok(())
        }
        macro_rules! entries {
            ($($field:ident => $key:literal),* $(,)?) => {$(
                entry(out, concat!("\"", $key, "\":").as_bytes(), self.$field.as_ref().or(under.$field.as_ref()))?;
            )*};
        }
        entries!(
            app => "app",
            campaign => "campaign",
            device => "device",
            ip => "ip",
            locale => "locale",
            location => "location",
            network => "network",
            os => "os",
            page => "page",
            referrer => "referrer",
            screen => "screen",
            timezone => "timezone",
            group_id => "groupId",
            traits => "traits",
            user_agent => "userAgent",
            user_agent_data => "userAgentData",
        );
        for (key, value) in &self.extra {
            write_extra(out, key, value)?;
        }
        for (key, value) in &under.extra {
            if !self.extra.contains_key(key) {
                write_extra(out, key, value)?;
            }
        }
        Ok(())
    }
}

fn write_extra(out: &mut Vec<u8>, key: &str, value: &Value) -> Result<(), EncodeError> {
    crate::json::write_json_str(out, key);
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

/// Structs of the spec whose fields are all optional, serialised with the spec's (camelCase)
/// wire names and unset fields left out.
macro_rules! spec_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $(
                $(#[$field_meta])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }
    };
}

spec_struct! {
    /// `context.app`.
    App {
        name: String,
        version: String,
        /// The build number.
        build: String,
        /// The bundle id or package name, such as `com.example.shop`.
        namespace: String,
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

spec_struct! {
    /// `context.device`.
    Device {
        id: String,
        /// The advertising id (IDFA, AAID).
        advertising_id: String,
        /// Whether ad tracking is allowed.
        ad_tracking_enabled: bool,
        manufacturer: String,
        model: String,
        name: String,
        /// The device type, such as `ios` or `android`.
        #[serde(rename = "type")]
        kind: String,
        version: String,
        /// The push notification token.
        token: String,
    }
}

spec_struct! {
    /// `context.location`.
    Location {
        city: String,
        country: String,
        latitude: f64,
        longitude: f64,
        region: String,
        speed: f64,
    }
}

spec_struct! {
    /// `context.network`.
    Network {
        bluetooth: bool,
        carrier: String,
        cellular: bool,
        wifi: bool,
    }
}

spec_struct! {
    /// `context.os`.
    Os {
        name: String,
        version: String,
    }
}

spec_struct! {
    /// `context.page`.
    Page {
        path: String,
        referrer: String,
        search: String,
        title: String,
        url: String,
    }
}

spec_struct! {
    /// `context.referrer`.
    Referrer {
        /// The referrer type, such as `dataxu`.
        #[serde(rename = "type")]
        kind: String,
        name: String,
        url: String,
        link: String,
    }
}

spec_struct! {
    /// `context.screen`.
    Screen {
        density: f64,
        height: u32,
        width: u32,
    }
}

spec_struct! {
    /// `context.userAgentData`: User-Agent Client Hints.
    UserAgentData {
        brands: Vec<Brand>,
        mobile: bool,
        platform: String,
        bitness: String,
        model: String,
        platform_version: String,
        ua_full_version: String,
        full_version_list: Vec<Brand>,
        wow64: bool,
    }
}

/// One entry of `userAgentData.brands` or `fullVersionList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Brand {
    pub brand: String,
    pub version: String,
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

    /// `write_entries` output as an object (its entries end in commas).
    fn entries(context: &Context, under: &Context) -> Value {
        let mut out = b"{".to_vec();
        context.write_entries(under, &mut out).unwrap();
        if out.last() == Some(&b',') {
            out.pop();
        }
        out.push(b'}');
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn written_entries_are_the_serialised_ones_without_consent() {
        let mut expected = serde_json::to_value(full()).unwrap();
        expected.as_object_mut().unwrap().remove("consent");
        assert_eq!(entries(&full(), &Context::new()), expected);
        assert_eq!(entries(&Context::new(), &full()), expected);
        assert_eq!(entries(&Context::new(), &Context::new()), json!({}));
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
