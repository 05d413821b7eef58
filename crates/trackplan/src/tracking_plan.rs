//! [`TrackingPlan`]: a tracking plan exported from the Rust types that define the events, in the
//! Segment Public API shape `trackplan pull` saves.

use std::fmt;

use serde_json::{json, Map, Value};
use trackplan_core::describe::{Describe, DescribeEvent, Described, Schema, SchemaGenerator};
#[cfg(feature = "registry")]
use trackplan_core::registry::{self, RegisteredCall};
use trackplan_plan::Call;

/// A tracking plan built from the types that define its events (the derives), exported as the
/// JSON that `trackplan pull` writes and every trackplan reader loads.
///
/// ```
/// /// Sent when an order is paid.
/// #[derive(trackplan::Event)]
/// struct OrderCompleted {
///     order_id: String,
///     /// In the order's currency.
///     #[property(min = 0)]
///     total: f64,
/// }
///
/// #[derive(trackplan::Traits)]
/// struct UserTraits {
///     email: Option<String>,
/// }
///
/// let plan = trackplan::TrackingPlan::new("Shop")
///     .track::<OrderCompleted>()
///     .identify::<UserTraits>();
/// let json = plan.to_json()?;
/// assert_eq!(json["rules"][0]["key"], "Order Completed");
/// let total = &json["rules"][0]["jsonSchema"]["properties"]["properties"]["properties"]["total"];
/// assert_eq!(total["minimum"], 0);
/// assert_eq!(json["rules"][1]["type"], "IDENTIFY");
/// # Ok::<(), trackplan::TrackingPlanError>(())
/// ```
///
/// The schema of each type is built only by [`to_json`](Self::to_json): sending events never
/// builds one.
#[derive(Debug, Clone)]
pub struct TrackingPlan {
    name: String,
    rules: Vec<PlanRule>,
}

/// One rule of the plan: a call, a name, and the type that describes it.
#[derive(Debug, Clone)]
struct PlanRule {
    call: Call,
    /// The event, page or screen name; empty for identify and group.
    name: String,
    type_name: fn() -> &'static str,
    schema: &'static Schema,
}

/// Why a plan cannot be exported: two types claim the same rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingPlanError {
    /// One line per collision, naming the rule and both types with their modules.
    pub collisions: Vec<String>,
}

impl fmt::Display for TrackingPlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the tracking plan has {} rule(s) defined twice:",
            self.collisions.len()
        )?;
        for collision in &self.collisions {
            write!(f, "\n  {collision}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TrackingPlanError {}

impl TrackingPlan {
    /// An empty plan named `display_name`.
    pub fn new(display_name: impl Into<String>) -> Self {
        TrackingPlan {
            name: display_name.into(),
            rules: Vec::new(),
        }
    }

    /// Every `#[derive(Event)]` and `#[derive(Traits)]` type linked into this binary, found
    /// without listing them (link-time registration with `inventory`). Traits are identify
    /// traits unless they say `#[traits(call = "group")]`.
    ///
    /// Needs the `registry` feature, which makes the derives register their types: enable it
    /// where the plan is exported, usually the dev-dependencies
    /// (`trackplan = { version = "..", features = ["registry"] }`), so production builds neither
    /// compile the registrations nor run them before `main`.
    ///
    /// Registration works on Linux, macOS, Windows and the other targets `inventory` supports.
    /// It finds nothing where the target has no life-before-main, and misses types whose object
    /// file the linker dropped (a static library whose events live in a module nothing else
    /// uses); generic types are never registered. List those with [`track`](Self::track) and
    /// friends.
    #[cfg(feature = "registry")]
    pub fn registered(display_name: impl Into<String>) -> Self {
        let mut plan = TrackingPlan::new(display_name);
        for registration in registry::registrations() {
            let (call, name) = match registration.call {
                RegisteredCall::Track(name) => (Call::Track, name),
                RegisteredCall::Identify => (Call::Identify, ""),
                RegisteredCall::Group => (Call::Group, ""),
            };
            plan.rules.push(PlanRule {
                call,
                name: name.to_owned(),
                type_name: registration.type_name,
                schema: registration.schema,
            });
        }
        plan
    }

    /// Add the track event `E`.
    #[must_use]
    pub fn track<E: DescribeEvent>(self) -> Self {
        self.rule::<E>(Call::Track, E::EVENT_NAME)
    }

    /// Add `T` as the identify traits.
    #[must_use]
    pub fn identify<T: Describe>(self) -> Self {
        self.rule::<T>(Call::Identify, "")
    }

    /// Add `T` as the group traits.
    #[must_use]
    pub fn group<T: Describe>(self) -> Self {
        self.rule::<T>(Call::Group, "")
    }

    /// Add the page `name`, whose properties are `P`.
    #[must_use]
    pub fn page<P: Describe>(self, name: &str) -> Self {
        self.rule::<P>(Call::Page, name)
    }

    /// Add the screen `name`, whose properties are `P`.
    #[must_use]
    pub fn screen<P: Describe>(self, name: &str) -> Self {
        self.rule::<P>(Call::Screen, name)
    }

    fn rule<T: Describe>(mut self, call: Call, name: &str) -> Self {
        self.rules.push(PlanRule {
            call,
            name: name.to_owned(),
            type_name: std::any::type_name::<T>,
            schema: const { &T::SCHEMA },
        });
        self
    }

    /// The plan as Segment Public API JSON (what `trackplan pull` saves): one rule per call and
    /// name, sorted by call (track, identify, group, page, screen) then name, object keys
    /// sorted, so the exported file diffs cleanly in review.
    ///
    /// A property whose type cannot describe itself (a `#[property(serde)]` type without
    /// [`Describe`]) is exported as `{}`, and the plan's `description` names it.
    ///
    /// # Errors
    ///
    /// Two different types for the same rule (the same event name, two identify types...),
    /// each collision naming both types with their modules. The same type added twice is one
    /// rule.
    pub fn to_json(&self) -> Result<Value, TrackingPlanError> {
        let mut rules: Vec<&PlanRule> = self.rules.iter().collect();
        rules.sort_by(|a, b| {
            (a.call, &a.name, (a.type_name)()).cmp(&(b.call, &b.name, (b.type_name)()))
        });
        rules.dedup_by(|b, a| {
            (a.call, &a.name, (a.type_name)()) == (b.call, &b.name, (b.type_name)())
        });
        let collisions: Vec<String> = rules
            .windows(2)
            .filter(|pair| (pair[0].call, &pair[0].name) == (pair[1].call, &pair[1].name))
            .map(|pair| {
                format!(
                    "{} `{}` is defined by both `{}` and `{}`",
                    pair[0].call.as_str(),
                    pair[0].name,
                    (pair[0].type_name)(),
                    (pair[1].type_name)()
                )
            })
            .collect();
        if !collisions.is_empty() {
            return Err(TrackingPlanError { collisions });
        }
        let mut undescribed = Vec::new();
        let rules: Vec<Value> = rules
            .iter()
            .map(|rule| {
                let described = SchemaGenerator::payload_of(rule.schema);
                for type_name in &described.undescribed {
                    undescribed.push(format!("{} ({type_name})", rule_label(rule)));
                }
                rule_json(rule, described)
            })
            .collect();
        let mut plan = Map::new();
        plan.insert("name".to_owned(), json!(self.name));
        if !undescribed.is_empty() {
            plan.insert(
                "description".to_owned(),
                json!(format!(
                    "Some properties have types that cannot describe themselves and are exported as {{}} (any value): {}.",
                    undescribed.join("; ")
                )),
            );
        }
        plan.insert("rules".to_owned(), Value::Array(rules));
        Ok(sorted(Value::Object(plan)))
    }

    /// [`to_json`](Self::to_json) as the text `trackplan pull` writes: pretty-printed, with a
    /// final newline.
    ///
    /// # Errors
    ///
    /// As [`to_json`](Self::to_json).
    pub fn to_json_string(&self) -> Result<String, TrackingPlanError> {
        let json = self.to_json()?;
        Ok(format!(
            "{}\n",
            serde_json::to_string_pretty(&json).expect("a JSON value always serialises")
        ))
    }
}

fn rule_label(rule: &PlanRule) -> String {
    match rule.call {
        Call::Identify | Call::Group => format!("{} traits", rule.call.as_str()),
        call => format!("{} `{}`", call.as_str(), rule.name),
    }
}

/// One Public API rule: the whole-message schema with the payload under `properties.properties`
/// (or `properties.traits`), required when it has required fields, shared definitions at the
/// root where its `$ref`s point.
fn rule_json(rule: &PlanRule, described: Described) -> Value {
    let Described {
        mut schema,
        definitions,
        ..
    } = described;
    // The type's doc comment describes the rule.
    let description = schema
        .as_object_mut()
        .and_then(|payload| payload.remove("description"));
    // The consent a rule's messages need sits on the rule's schema, where plans keep it.
    let consent = schema
        .as_object_mut()
        .and_then(|payload| payload.remove(trackplan_plan::CONSENT_KEY));
    let payload_key = rule.call.payload_key();
    let has_required = schema
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|required| !required.is_empty());
    let mut message = Map::new();
    message.insert(
        "$schema".to_owned(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    message.insert("type".to_owned(), json!("object"));
    message.insert("properties".to_owned(), json!({ payload_key: schema }));
    if has_required {
        message.insert("required".to_owned(), json!([payload_key]));
    }
    if !definitions.is_empty() {
        message.insert("$defs".to_owned(), Value::Object(definitions));
    }
    if let Some(consent) = consent {
        message.insert(trackplan_plan::CONSENT_KEY.to_owned(), consent);
    }
    let mut json = Map::new();
    if let Some(description) = description {
        message.insert("description".to_owned(), description.clone());
        json.insert("description".to_owned(), description);
    }
    if !matches!(rule.call, Call::Identify | Call::Group) {
        json.insert("key".to_owned(), json!(rule.name));
    }
    json.insert(
        "type".to_owned(),
        json!(rule.call.as_str().to_ascii_uppercase()),
    );
    json.insert("version".to_owned(), json!(1));
    json.insert("jsonSchema".to_owned(), Value::Object(message));
    Value::Object(json)
}

/// Object keys in byte order at every level, whatever order serde_json's map keeps (a
/// dependency may turn on its `preserve_order`).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
