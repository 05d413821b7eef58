//! Reading a plan file of any shape into the normalised [`Plan`].
//!
//! Shape detection (the README's *Plans*, "Plan files"): a `rules` array is the Public API
//! (Typewriter-unwrapped when its schemas carry `eventMetadata`); `rules.events` is the Config
//! API, or RudderTyper when an event has `eventType`. Every problem is collected; nothing panics.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{pointer_push, PlanError};
use crate::{Call, LoadOptions, Plan, PlanShape, Rule, CONSENT_CATEGORIES_KEY, CONSENT_KEY};

/// Keys that annotate schemas in real plans but are not JSON Schema (or, for `id`, a draft-04
/// identifier whose values in Typewriter files are stale paths): dropped from payloads.
const ANNOTATION_KEYS: &[&str] = &["labels", "eventMetadata", "$schema"];

/// Keys holding one subschema.
const SUBSCHEMA_KEYS: &[&str] = &[
    "items",
    "additionalItems",
    "additionalProperties",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
];

/// Keys holding a map of name -> subschema.
const SCHEMA_MAP_KEYS: &[&str] = &["properties", "patternProperties", "definitions", "$defs"];

/// Keys holding an array of subschemas.
const SCHEMA_ARRAY_KEYS: &[&str] = &["allOf", "anyOf", "oneOf", "items"];

const SHAPE_HINT: &str = "expected a Segment Config API plan (`rules.events`), a Public API plan \
                          (`rules` array, as `trackplan pull` or Typewriter write it) or a \
                          RudderTyper `plan.json`";

pub(super) fn read(text: &str, opts: &LoadOptions) -> Result<Plan, Vec<PlanError>> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        vec![PlanError::new("", format!("not valid JSON: {e}"))
            .hint("fix the JSON syntax at the line and column shown")]
    })?;
    let Value::Object(root) = root else {
        return Err(vec![PlanError::new(
            "",
            "a tracking plan must be a JSON object",
        )
        .hint(SHAPE_HINT)]);
    };
    let shape = detect_shape(&root).map_err(|e| vec![e])?;
    let mut reader = Reader::default();
    reader.consent_categories = reader.plan_consent_categories(&root);
    match shape {
        PlanShape::PublicApi | PlanShape::TypewriterSanitized => reader.public_api(&root),
        PlanShape::ConfigApi | PlanShape::RudderTyper => reader.events_layout(&root),
    }
    let rules = reader.select(opts);
    if !reader.errors.is_empty() {
        return Err(reader.errors);
    }
    Ok(Plan {
        name: plan_name(&root),
        id: plan_id(&root),
        shape,
        rules,
    })
}

fn detect_shape(root: &Map<String, Value>) -> Result<PlanShape, PlanError> {
    match root.get("rules") {
        Some(Value::Array(rules)) => {
            let unwrapped = rules.iter().any(|rule| {
                rule.get("jsonSchema")
                    .and_then(|s| s.get("eventMetadata"))
                    .is_some()
            });
            Ok(if unwrapped {
                PlanShape::TypewriterSanitized
            } else {
                PlanShape::PublicApi
            })
        }
        Some(Value::Object(rules)) => match rules.get("events") {
            Some(Value::Array(events)) => {
                let rudder = events.iter().any(|e| e.get("eventType").is_some());
                Ok(if rudder {
                    PlanShape::RudderTyper
                } else {
                    PlanShape::ConfigApi
                })
            }
            _ => Err(PlanError::new("/rules", "`rules` has no `events` array").hint(SHAPE_HINT)),
        },
        Some(_) => {
            Err(PlanError::new("/rules", "`rules` must be an array or an object").hint(SHAPE_HINT))
        }
        None => {
            Err(PlanError::new("", "not a tracking plan: there is no `rules` key").hint(SHAPE_HINT))
        }
    }
}

fn plan_name(root: &Map<String, Value>) -> String {
    ["display_name", "name", "id"]
        .iter()
        .filter_map(|key| root.get(*key).and_then(Value::as_str))
        .find(|s| !s.is_empty())
        .unwrap_or_default()
        .to_owned()
}

fn plan_id(root: &Map<String, Value>) -> Option<String> {
    if let Some(id) = root.get("id").and_then(Value::as_str) {
        return Some(id.to_owned());
    }
    // Config API: `name` is `workspaces/<slug>/tracking-plans/rs_...`.
    let name = root.get("name").and_then(Value::as_str)?;
    name.rsplit('/')
        .next()
        .filter(|last| last.starts_with("rs_"))
        .map(str::to_owned)
}

/// A rule before version selection, with its position in the file.
struct Candidate {
    order: usize,
    rule: Rule,
}

#[derive(Default)]
struct Reader {
    errors: Vec<PlanError>,
    candidates: Vec<Candidate>,
    /// The plan's [`CONSENT_CATEGORIES_KEY`] list, when it has one.
    consent_categories: Option<Vec<String>>,
}

impl Reader {
    /// The plan's top-level list of consent categories: non-empty strings.
    fn plan_consent_categories(&mut self, root: &Map<String, Value>) -> Option<Vec<String>> {
        let ptr = pointer_push("", CONSENT_CATEGORIES_KEY);
        match root.get(CONSENT_CATEGORIES_KEY)? {
            Value::Array(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| match item.as_str() {
                        Some(name) if !name.trim().is_empty() => Some(name.to_owned()),
                        _ => {
                            self.errors.push(
                                PlanError::new(
                                    pointer_push(&ptr, &i.to_string()),
                                    "a consent category must be a non-empty string",
                                )
                                .hint(
                                    "name it as your consent manager does, such as \"Analytics\"",
                                ),
                            );
                            None
                        }
                    })
                    .collect(),
            ),
            _ => {
                self.errors.push(
                    PlanError::new(
                        ptr,
                        format!("`{CONSENT_CATEGORIES_KEY}` must be an array of category names"),
                    )
                    .hint("write `\"x-consent-categories\": [\"Analytics\", \"Advertising\"]`"),
                );
                None
            }
        }
    }

    /// Check the rule schema's [`CONSENT_KEY`] and keep it on the rule's payload, where
    /// [`Rule::consent`] reads it (a whole-message schema's payload is a sub-schema).
    fn read_consent(
        &self,
        schema: &Map<String, Value>,
        schema_ptr: &str,
        rule: &mut Rule,
    ) -> Result<(), PlanError> {
        let Some(value) = schema.get(CONSENT_KEY) else {
            return Ok(());
        };
        let ptr = pointer_push(schema_ptr, CONSENT_KEY);
        let example = "write `\"x-consent\": [\"Analytics\"]`";
        let Value::Array(items) = value else {
            return Err(
                PlanError::new(ptr, "`x-consent` must be an array of consent categories")
                    .hint(example),
            );
        };
        for (i, item) in items.iter().enumerate() {
            let item_ptr = pointer_push(&ptr, &i.to_string());
            let category = match item.as_str() {
                Some(category) if !category.trim().is_empty() => category,
                _ => {
                    return Err(PlanError::new(
                        item_ptr,
                        "a consent category must be a non-empty string",
                    )
                    .hint(example))
                }
            };
            if items[..i].contains(item) {
                return Err(PlanError::new(
                    item_ptr,
                    format!("consent category `{category}` is listed twice"),
                ));
            }
            if let Some(known) = &self.consent_categories {
                if !known.iter().any(|k| k == category) {
                    return Err(PlanError::new(
                        item_ptr,
                        format!("unknown consent category `{category}`"),
                    )
                    .hint(format!(
                        "the plan's `{CONSENT_CATEGORIES_KEY}` lists {}; add it there or fix the name",
                        known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
        if let Value::Object(payload) = &mut rule.payload {
            payload.insert(CONSENT_KEY.to_owned(), value.clone());
        }
        Ok(())
    }

    fn push(&mut self, rule: Rule) {
        let order = self.candidates.len();
        self.candidates.push(Candidate { order, rule });
    }

    fn public_api(&mut self, root: &Map<String, Value>) {
        let Some(Value::Array(rules)) = root.get("rules") else {
            return;
        };
        for (i, rule) in rules.iter().enumerate() {
            let ptr = format!("/rules/{i}");
            if let Err(e) = self.public_api_rule(rule, &ptr) {
                self.errors.push(e);
            }
        }
    }

    fn public_api_rule(&mut self, rule: &Value, ptr: &str) -> Result<(), PlanError> {
        let rule = as_object(rule, ptr, "a rule")?;
        let kind = required_str(rule, ptr, "type")?;
        let call = match kind.to_ascii_uppercase().as_str() {
            "TRACK" => Call::Track,
            "IDENTIFY" => Call::Identify,
            "GROUP" => Call::Group,
            "PAGE" => Call::Page,
            "SCREEN" => Call::Screen,
            // Common rules constrain `context`, which no generated type holds.
            "COMMON" => return Ok(()),
            _ => {
                return Err(PlanError::new(
                    pointer_push(ptr, "type"),
                    format!("unknown rule type `{kind}`"),
                )
                .hint("use one of TRACK, IDENTIFY, GROUP, PAGE, SCREEN, COMMON"))
            }
        };
        let schema_ptr = pointer_push(ptr, "jsonSchema");
        let schema = as_object(
            rule.get("jsonSchema")
                .ok_or_else(|| missing(ptr, "jsonSchema"))?,
            &schema_ptr,
            "`jsonSchema`",
        )?;
        let version = version(rule, ptr)?;
        let description =
            non_empty_str(rule, "description").or_else(|| non_empty_str(schema, "description"));
        let key = rule.get("key").and_then(Value::as_str);
        let metadata_name = schema
            .get("eventMetadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str);
        let name = match call {
            Call::Identify | Call::Group => String::new(),
            _ => match metadata_name.or(key) {
                Some(name) => name.to_owned(),
                // An unnamed page or screen rule covers every page (as RudderTyper's do).
                None if call != Call::Track => String::new(),
                None => return Err(missing(ptr, "key")),
            },
        };
        let mut rule = if schema.contains_key("eventMetadata") {
            unwrapped_rule(call, name, version, description, schema, schema_ptr.clone())
        } else {
            message_rule(call, name, version, description, schema, &schema_ptr)?
        };
        self.read_consent(schema, &schema_ptr, &mut rule)?;
        self.push(rule);
        Ok(())
    }

    fn events_layout(&mut self, root: &Map<String, Value>) {
        let Some(Value::Object(rules)) = root.get("rules") else {
            return;
        };
        if let Some(Value::Array(events)) = rules.get("events") {
            for (i, event) in events.iter().enumerate() {
                let ptr = format!("/rules/events/{i}");
                if let Err(e) = self.event_rule(event, &ptr) {
                    self.errors.push(e);
                }
            }
        }
        for (key, call) in [
            ("identify_traits", Call::Identify),
            ("group_traits", Call::Group),
        ] {
            match rules.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::Array(entries)) => {
                    for (i, entry) in entries.iter().enumerate() {
                        let ptr = format!("/rules/{key}/{i}");
                        if let Err(e) = self.traits_rule(entry, &ptr, call) {
                            self.errors.push(e);
                        }
                    }
                }
                Some(_) => self.errors.push(PlanError::new(
                    format!("/rules/{key}"),
                    format!("`{key}` must be an array"),
                )),
            }
        }
    }

    fn event_rule(&mut self, event: &Value, ptr: &str) -> Result<(), PlanError> {
        let event = as_object(event, ptr, "an event")?;
        let call = match event.get("eventType") {
            // Config API events are all track events; so are RudderTyper's without a type.
            None => Call::Track,
            Some(Value::String(kind)) => match kind.to_ascii_lowercase().as_str() {
                "track" => Call::Track,
                "identify" => Call::Identify,
                "group" => Call::Group,
                "page" => Call::Page,
                "screen" => Call::Screen,
                _ => {
                    return Err(PlanError::new(
                        pointer_push(ptr, "eventType"),
                        format!("unknown event type `{kind}`"),
                    )
                    .hint("use one of track, identify, group, page, screen"))
                }
            },
            Some(_) => {
                return Err(PlanError::new(
                    pointer_push(ptr, "eventType"),
                    "`eventType` must be a string",
                ))
            }
        };
        let name = match call {
            Call::Identify | Call::Group => String::new(),
            _ => match event.get("name") {
                Some(Value::String(name)) => name.clone(),
                None if call != Call::Track => String::new(),
                Some(_) => {
                    return Err(PlanError::new(
                        pointer_push(ptr, "name"),
                        "`name` must be a string",
                    ))
                }
                None => return Err(missing(ptr, "name")),
            },
        };
        self.whole_message_entry(event, ptr, call, name)
    }

    fn traits_rule(&mut self, entry: &Value, ptr: &str, call: Call) -> Result<(), PlanError> {
        let entry = as_object(entry, ptr, "a traits rule")?;
        self.whole_message_entry(entry, ptr, call, String::new())
    }

    fn whole_message_entry(
        &mut self,
        entry: &Map<String, Value>,
        ptr: &str,
        call: Call,
        name: String,
    ) -> Result<(), PlanError> {
        let schema_ptr = pointer_push(ptr, "rules");
        let schema = as_object(
            entry.get("rules").ok_or_else(|| missing(ptr, "rules"))?,
            &schema_ptr,
            "`rules`",
        )?;
        let version = version(entry, ptr)?;
        let description =
            non_empty_str(entry, "description").or_else(|| non_empty_str(schema, "description"));
        let mut rule = message_rule(call, name, version, description, schema, &schema_ptr)?;
        self.read_consent(schema, &schema_ptr, &mut rule)?;
        self.push(rule);
        Ok(())
    }

    /// Newest version per (call, name) unless pinned; first-appearance order.
    fn select(&mut self, opts: &LoadOptions) -> Vec<Rule> {
        let mut groups: BTreeMap<(Call, String), Vec<Candidate>> = BTreeMap::new();
        for candidate in self.candidates.drain(..) {
            groups
                .entry((candidate.rule.call, candidate.rule.name.clone()))
                .or_default()
                .push(candidate);
        }
        for (call, name) in opts.pins.keys() {
            if !groups.contains_key(&(*call, name.clone())) {
                self.errors.push(
                    PlanError::new(
                        "",
                        format!("pinned {} `{name}` is not in the plan", call.as_str()),
                    )
                    .hint("remove the pin or fix its name"),
                );
            }
        }
        let mut chosen = Vec::new();
        for (key, mut group) in groups {
            group.sort_by_key(|c| c.order);
            let first_order = group[0].order;
            let mut seen = BTreeMap::new();
            for c in &group {
                if let Some(previous) = seen.insert(c.rule.version, c.rule.pointer.clone()) {
                    self.errors.push(
                        PlanError::new(
                            c.rule.pointer.clone(),
                            format!(
                                "{} `{}` appears twice with the same version (first at {previous})",
                                key.0.as_str(),
                                key.1
                            ),
                        )
                        .hint("remove one rule or give it a new `version`"),
                    );
                }
            }
            let pick = match opts.pins.get(&key) {
                Some(&pin) => match group.iter().position(|c| c.rule.version == Some(pin)) {
                    Some(i) => i,
                    None => {
                        let versions: Vec<String> = group
                            .iter()
                            .filter_map(|c| c.rule.version)
                            .map(|v| v.to_string())
                            .collect();
                        self.errors.push(
                            PlanError::new(
                                group[0].rule.pointer.clone(),
                                format!("{} `{}` has no version {pin}", key.0.as_str(), key.1),
                            )
                            .hint(format!(
                                "pin one of the versions in the plan: [{}]",
                                versions.join(", ")
                            )),
                        );
                        continue;
                    }
                },
                // `max_by_key` keeps the last maximum: the later rule wins a tie, which only
                // happens alongside the duplicate error above.
                None => group
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, c)| c.rule.version)
                    .map_or(0, |(i, _)| i),
            };
            let picked = group.swap_remove(pick);
            chosen.push((first_order, picked.rule));
        }
        chosen.sort_by_key(|(order, _)| *order);
        chosen.into_iter().map(|(_, rule)| rule).collect()
    }
}

/// A rule whose schema is the whole message (Config API, Public API, RudderTyper): the payload
/// is `properties.properties` or `properties.traits`.
fn message_rule(
    call: Call,
    name: String,
    version: Option<u64>,
    description: Option<String>,
    schema: &Map<String, Value>,
    schema_ptr: &str,
) -> Result<Rule, PlanError> {
    let key = call.payload_key();
    let props_ptr = pointer_push(schema_ptr, "properties");
    let (payload, pointer) = match schema.get("properties") {
        None => (empty_object_schema(), schema_ptr.to_owned()),
        Some(Value::Object(props)) => {
            let pointer = pointer_push(&props_ptr, key);
            match props.get(key) {
                None => (empty_object_schema(), schema_ptr.to_owned()),
                Some(Value::Object(payload)) => (Value::Object(payload.clone()), pointer),
                Some(Value::Bool(true)) => (empty_object_schema(), pointer),
                Some(_) => {
                    return Err(PlanError::new(
                        pointer,
                        format!("the `{key}` schema must be a JSON object"),
                    )
                    .hint(format!(
                        "write `\"{key}\": {{\"type\": \"object\", \"properties\": {{...}}}}`"
                    )))
                }
            }
        }
        Some(_) => {
            return Err(PlanError::new(
                props_ptr,
                "`properties` must be a JSON object",
            ))
        }
    };
    let payload_required = schema
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|req| req.iter().any(|r| r.as_str() == Some(key)));
    let mut definitions = Map::new();
    collect_definitions(schema, &mut definitions);
    collect_definitions_of(&payload, &mut definitions);
    Ok(Rule {
        call,
        name,
        version,
        description,
        payload: strip_annotations(payload),
        payload_required,
        pointer,
        definitions: strip_definitions(definitions),
    })
}

/// A Typewriter-unwrapped rule: `jsonSchema` is the payload itself. The root `required:
/// ["properties"]` was lost, so the payload is required iff it has required fields.
fn unwrapped_rule(
    call: Call,
    name: String,
    version: Option<u64>,
    description: Option<String>,
    schema: &Map<String, Value>,
    pointer: String,
) -> Rule {
    let payload = Value::Object(schema.clone());
    let payload_required = has_required_fields(&payload);
    let mut definitions = Map::new();
    collect_definitions(schema, &mut definitions);
    Rule {
        call,
        name,
        version,
        description,
        payload: strip_annotations(payload),
        payload_required,
        pointer,
        definitions: strip_definitions(definitions),
    }
}

fn has_required_fields(schema: &Value) -> bool {
    schema
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty())
}

fn empty_object_schema() -> Value {
    serde_json::json!({ "type": "object" })
}

fn collect_definitions_of(schema: &Value, into: &mut Map<String, Value>) {
    if let Value::Object(map) = schema {
        collect_definitions(map, into);
    }
}

fn collect_definitions(schema: &Map<String, Value>, into: &mut Map<String, Value>) {
    for key in ["definitions", "$defs"] {
        if let Some(Value::Object(defs)) = schema.get(key) {
            for (name, def) in defs {
                into.entry(name.clone()).or_insert_with(|| def.clone());
            }
        }
    }
}

fn strip_definitions(definitions: Map<String, Value>) -> Map<String, Value> {
    definitions
        .into_iter()
        .map(|(k, v)| (k, strip_annotations(v)))
        .collect()
}

/// Drop the non-schema keys real plans carry (`labels`, `eventMetadata`, `$schema`, string `id`
/// and `key` annotations) from every schema position, leaving property names alone.
pub(crate) fn strip_annotations(schema: Value) -> Value {
    let Value::Object(mut map) = schema else {
        return schema;
    };
    for key in ANNOTATION_KEYS {
        map.remove(*key);
    }
    for key in ["id", "key"] {
        if map.get(key).is_some_and(Value::is_string) {
            map.remove(key);
        }
    }
    for (key, value) in map.iter_mut() {
        let key = key.as_str();
        let taken = std::mem::take(value);
        *value = if SCHEMA_MAP_KEYS.contains(&key) {
            match taken {
                Value::Object(children) => Value::Object(
                    children
                        .into_iter()
                        .map(|(k, v)| (k, strip_annotations(v)))
                        .collect(),
                ),
                other => other,
            }
        } else if SCHEMA_ARRAY_KEYS.contains(&key) && taken.is_array() {
            match taken {
                Value::Array(items) => {
                    Value::Array(items.into_iter().map(strip_annotations).collect())
                }
                other => other,
            }
        } else if SUBSCHEMA_KEYS.contains(&key) {
            strip_annotations(taken)
        } else {
            taken
        };
    }
    Value::Object(map)
}

fn as_object<'a>(
    value: &'a Value,
    ptr: &str,
    what: &str,
) -> Result<&'a Map<String, Value>, PlanError> {
    value
        .as_object()
        .ok_or_else(|| PlanError::new(ptr, format!("{what} must be a JSON object")))
}

fn missing(ptr: &str, key: &str) -> PlanError {
    PlanError::new(ptr, format!("missing `{key}`"))
}

fn required_str<'a>(
    map: &'a Map<String, Value>,
    ptr: &str,
    key: &str,
) -> Result<&'a str, PlanError> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(PlanError::new(
            pointer_push(ptr, key),
            format!("`{key}` must be a string"),
        )),
        None => Err(missing(ptr, key)),
    }
}

fn non_empty_str(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

fn version(map: &Map<String, Value>, ptr: &str) -> Result<Option<u64>, PlanError> {
    match map.get("version") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            PlanError::new(
                pointer_push(ptr, "version"),
                format!("`version` must be a non-negative integer, not {v}"),
            )
        }),
    }
}
