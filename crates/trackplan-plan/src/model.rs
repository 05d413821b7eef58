//! The normalised tracking plan every shape is read into: one [`Rule`] per (call, wire name),
//! with the payload's JSON Schema and where it came from in the file.

use serde_json::Value;

/// Which Segment call a rule describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Call {
    Track,
    Identify,
    Group,
    Page,
    Screen,
}

impl Call {
    /// The `type` field of the wire message: `track`, `identify`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Call::Track => "track",
            Call::Identify => "identify",
            Call::Group => "group",
            Call::Page => "page",
            Call::Screen => "screen",
        }
    }

    /// Where the payload sits in the message: `properties` or `traits`.
    pub fn payload_key(self) -> &'static str {
        match self {
            Call::Identify | Call::Group => "traits",
            Call::Track | Call::Page | Call::Screen => "properties",
        }
    }
}

/// The file layouts a plan can come in (the README's *Plans*, "Plan files").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanShape {
    /// Segment Config API v1: `rules.events[]` with whole-message schemas (Typewriter <= 7).
    ConfigApi,
    /// Segment Public API v2: `rules[]` with `key`, `type`, `version`, `jsonSchema`.
    PublicApi,
    /// Public API v2 as Typewriter >= 8 stores it: `jsonSchema` already unwrapped to the payload,
    /// the wire name in `jsonSchema.eventMetadata.name`.
    TypewriterSanitized,
    /// RudderTyper's `rules.events[]` with `eventType`.
    RudderTyper,
}

/// A tracking plan, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The plan's display name, else its name or id, else empty.
    pub name: String,
    /// The plan id (`tp_...`, `rs_...`) when the file has one.
    pub id: Option<String>,
    pub shape: PlanShape,
    /// Rules in file order, one per (call, wire name): the newest version unless pinned.
    pub rules: Vec<Rule>,
}

/// One event (or identify/group traits, page/screen properties) of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub call: Call,
    /// The wire name, byte-exact (`event` for track, `name` for page/screen; empty for
    /// identify/group and for RudderTyper's unnamed rules).
    pub name: String,
    /// The rule's `version`, when the plan versions its rules.
    pub version: Option<u64>,
    /// The rule's description, `None` when absent or empty.
    pub description: Option<String>,
    /// JSON Schema of the payload object (`properties` or `traits`).
    pub payload: Value,
    /// Whether the payload must be sent at all (Config API root `required: ["properties"]`;
    /// for shapes that lost that bit: whether the payload has required fields).
    pub payload_required: bool,
    /// JSON pointer to `payload` inside the plan file, for diagnostics.
    pub pointer: String,
    /// Schema definitions (`definitions`, `$defs`) in scope for `$ref`s inside `payload`.
    pub definitions: serde_json::Map<String, Value>,
}

/// The extension key naming the consent categories a rule's messages need: on the rule's schema
/// (`jsonSchema` or `rules`), such as `"x-consent": ["Analytics"]`. Segment's tracking plans have
/// no consent field (consent categories live in the workspace's consent settings), so this is
/// trackplan's own `x-` extension. A plan may list its categories in a top-level
/// [`CONSENT_CATEGORIES_KEY`] array; rules may then name only those.
pub const CONSENT_KEY: &str = "x-consent";

/// The top-level extension key listing every consent category a plan's rules may name.
pub const CONSENT_CATEGORIES_KEY: &str = "x-consent-categories";

impl Rule {
    /// The consent categories the rule's messages need (its [`CONSENT_KEY`], checked when the
    /// plan was read and kept on the payload schema), in the plan's order.
    pub fn consent(&self) -> Vec<&str> {
        self.payload
            .get(CONSENT_KEY)
            .and_then(Value::as_array)
            .map(|categories| categories.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}
