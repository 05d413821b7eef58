//! The comparison itself: rules matched by (call, name), then their payload schemas walked side
//! by side.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::{Change, ChangeKind, Side};
use crate::schema::{self, JsonType, TypeSet};
use crate::{Call, Plan, PlanShape, Rule};

/// Schemas nested deeper than this are not compared (JSON is finite; this keeps it cheap).
const MAX_DEPTH: usize = 64;

/// Every change between `old` and `new`.
pub(super) fn plans(old: &Plan, new: &Plan) -> Vec<Change> {
    let mut changes = Vec::new();
    let index = |plan: &Plan| -> HashMap<(Call, String), usize> {
        let mut index = HashMap::new();
        for (position, rule) in plan.rules.iter().enumerate() {
            index
                .entry((rule.call, rule.name.clone()))
                .or_insert(position);
        }
        index
    };
    let old_index = index(old);
    let new_index = index(new);
    // Typewriter-unwrapped files lost whether the payload itself is required, so that bit is only
    // compared when both files carry it.
    let compare_payload_required =
        old.shape != PlanShape::TypewriterSanitized && new.shape != PlanShape::TypewriterSanitized;
    for (position, old_rule) in old.rules.iter().enumerate() {
        let key = (old_rule.call, old_rule.name.clone());
        if old_index.get(&key) != Some(&position) {
            continue;
        }
        match new_index.get(&key) {
            Some(&at) => {
                let rules = RulePair {
                    old: old_rule,
                    new: &new.rules[at],
                    changes: &mut changes,
                };
                rules.compare(compare_payload_required);
            }
            None => changes.push(rule_change(
                ChangeKind::EventRemoved,
                old_rule,
                Side::Old,
                "removed".to_owned(),
            )),
        }
    }
    for (position, new_rule) in new.rules.iter().enumerate() {
        let key = (new_rule.call, new_rule.name.clone());
        if new_index.get(&key) == Some(&position) && !old_index.contains_key(&key) {
            changes.push(rule_change(
                ChangeKind::EventAdded,
                new_rule,
                Side::New,
                "added".to_owned(),
            ));
        }
    }
    changes
}

fn rule_change(kind: ChangeKind, rule: &Rule, side: Side, detail: String) -> Change {
    Change {
        kind,
        call: rule.call,
        event: rule.name.clone(),
        property: None,
        pointer: rule.pointer.clone(),
        side,
        detail,
    }
}

/// Where the walk is: the property path and the pointers of the schema in both files.
#[derive(Clone)]
struct At {
    path: String,
    old: String,
    new: String,
    depth: usize,
}

impl At {
    fn child(&self, path: String, segments: &[&str]) -> At {
        let extend = |pointer: &str| {
            segments.iter().fold(pointer.to_owned(), |acc, segment| {
                schema::pointer_join(&acc, segment)
            })
        };
        At {
            path,
            old: extend(&self.old),
            new: extend(&self.new),
            depth: self.depth + 1,
        }
    }

    fn property(&self, name: &str) -> At {
        self.child(schema::path_join(&self.path, name), &["properties", name])
    }
}

struct RulePair<'a> {
    old: &'a Rule,
    new: &'a Rule,
    changes: &'a mut Vec<Change>,
}

impl<'a> RulePair<'a> {
    fn compare(mut self, compare_payload_required: bool) {
        let (old, new) = (self.old, self.new);
        if old.version != new.version {
            let detail = format!(
                "version {} -> {}",
                show_version(old.version),
                show_version(new.version)
            );
            self.changes.push(rule_change(
                ChangeKind::VersionChanged,
                new,
                Side::New,
                detail,
            ));
        }
        if old.description != new.description {
            self.changes.push(rule_change(
                ChangeKind::DescriptionChanged,
                new,
                Side::New,
                "description changed".to_owned(),
            ));
        }
        if compare_payload_required && old.payload_required != new.payload_required {
            let (kind, detail) = if new.payload_required {
                (
                    ChangeKind::PayloadMadeRequired,
                    format!("the {} must now be sent", new.call.payload_key()),
                )
            } else {
                (
                    ChangeKind::PayloadMadeOptional,
                    format!("the {} may now be omitted", new.call.payload_key()),
                )
            };
            self.changes.push(rule_change(kind, new, Side::New, detail));
        }
        let at = At {
            path: String::new(),
            old: old.pointer.clone(),
            new: new.pointer.clone(),
            depth: 0,
        };
        self.schemas(&old.payload, &new.payload, &at, &mut Vec::new());
    }

    fn push(&mut self, kind: ChangeKind, at: &At, side: Side, detail: String) {
        self.changes.push(Change {
            kind,
            call: self.new.call,
            event: self.new.name.clone(),
            property: (!at.path.is_empty()).then(|| at.path.clone()),
            pointer: match side {
                Side::Old => at.old.clone(),
                Side::New => at.new.clone(),
            },
            side,
            detail,
        });
    }

    /// Compare two schemas at `at`. `refs` holds the pairs of definitions being compared, so a
    /// recursive definition is compared once.
    fn schemas(
        &mut self,
        old_raw: &'a Value,
        new_raw: &'a Value,
        at: &At,
        refs: &mut Vec<(Option<&'a str>, Option<&'a str>)>,
    ) {
        let schema::Resolved {
            schema: old,
            definition: old_def,
        } = schema::resolve_leniently(old_raw, defs(self.old));
        let schema::Resolved {
            schema: new,
            definition: new_def,
        } = schema::resolve_leniently(new_raw, defs(self.new));
        let via_ref = old_def.is_some() || new_def.is_some();
        if at.depth > MAX_DEPTH || (via_ref && refs.contains(&(old_def, new_def))) {
            return;
        }
        if via_ref {
            refs.push((old_def, new_def));
        }
        if !at.path.is_empty() && schema::description(old) != schema::description(new) {
            self.push(
                ChangeKind::DescriptionChanged,
                at,
                Side::New,
                "description changed".to_owned(),
            );
        }
        let old_types = TypeSet::of(old);
        let new_types = TypeSet::of(new);
        self.types(&old_types, &new_types, at);
        self.enums(old, new, at);
        self.constraints(old, new, at);
        let both = |ty: JsonType| old_types.contains(ty) && new_types.contains(ty);
        if both(JsonType::Object) {
            self.properties(old, new, at, refs);
            self.additional_properties(old, new, at, refs);
        }
        if both(JsonType::Array) {
            self.items(old, new, at, refs);
        }
        if via_ref {
            refs.pop();
        }
    }

    fn types(&mut self, old: &TypeSet, new: &TypeSet, at: &At) {
        if old == new {
            return;
        }
        let kind = if old.fits_in(new) {
            ChangeKind::TypeWidened
        } else if new.fits_in(old) {
            ChangeKind::TypeNarrowed
        } else {
            ChangeKind::TypeChanged
        };
        self.push(kind, at, Side::New, format!("type {old} -> {new}"));
    }

    fn enums(&mut self, old: &Value, new: &Value, at: &At) {
        match (schema::enum_values(old), schema::enum_values(new)) {
            (Some(old_values), Some(new_values)) => {
                for value in old_values.iter().filter(|v| !new_values.contains(v)) {
                    self.push(
                        ChangeKind::EnumValueRemoved,
                        at,
                        Side::New,
                        format!("enum value {value} removed"),
                    );
                }
                for value in new_values.iter().filter(|v| !old_values.contains(v)) {
                    self.push(
                        ChangeKind::EnumValueAdded,
                        at,
                        Side::New,
                        format!("enum value {value} added"),
                    );
                }
            }
            (None, Some(new_values)) => {
                let listed: Vec<String> = new_values.iter().map(Value::to_string).collect();
                self.push(
                    ChangeKind::EnumIntroduced,
                    at,
                    Side::New,
                    format!("values now limited to {}", listed.join(", ")),
                );
            }
            (Some(_), None) => {
                self.push(
                    ChangeKind::EnumLifted,
                    at,
                    Side::New,
                    "enum removed: any value of the type is accepted".to_owned(),
                );
            }
            (None, None) => {}
        }
    }

    fn constraints(&mut self, old: &Value, new: &Value, at: &At) {
        for (keyword, bound) in CONSTRAINTS {
            let (before, after) = (old.get(keyword), new.get(keyword));
            if before == after {
                continue;
            }
            let tighter = match (bound, before, after) {
                (_, None, Some(_)) => true,
                (_, Some(_), None) => false,
                (Bound::Lower, Some(b), Some(a)) => as_f64(a) > as_f64(b),
                (Bound::Upper, Some(b), Some(a)) => as_f64(a) < as_f64(b),
                (Bound::Flag, Some(_), Some(a)) => a == &Value::Bool(true),
                // A changed pattern, format or multipleOf may reject what the old one accepted.
                (Bound::Exact, Some(_), Some(_)) => true,
                (_, None, None) => continue,
            };
            let kind = if tighter {
                ChangeKind::ConstraintTightened
            } else {
                ChangeKind::ConstraintLoosened
            };
            let show =
                |value: Option<&Value>| value.map_or_else(|| "none".to_owned(), Value::to_string);
            self.push(
                kind,
                at,
                Side::New,
                format!("`{keyword}` {} -> {}", show(before), show(after)),
            );
        }
    }

    fn properties(
        &mut self,
        old: &'a Value,
        new: &'a Value,
        at: &At,
        refs: &mut Vec<(Option<&'a str>, Option<&'a str>)>,
    ) {
        let old_props = property_map(old);
        let new_props = property_map(new);
        let old_required = schema::required(old);
        let new_required = schema::required(new);
        let removed: Vec<&str> = old_props
            .keys()
            .map(String::as_str)
            .filter(|k| !new_props.contains_key(*k))
            .collect();
        let added: Vec<&str> = new_props
            .keys()
            .map(String::as_str)
            .filter(|k| !old_props.contains_key(*k))
            .collect();
        let renames = self.renames(&removed, &added, old_props, new_props);

        for (name, old_schema) in old_props {
            let child = at.property(name);
            if let Some(new_schema) = new_props.get(name) {
                self.schemas(old_schema, new_schema, &child, refs);
                match (
                    old_required.contains(name.as_str()),
                    new_required.contains(name.as_str()),
                ) {
                    (false, true) => self.push(
                        ChangeKind::PropertyMadeRequired,
                        &child,
                        Side::New,
                        "optional -> required".to_owned(),
                    ),
                    (true, false) => self.push(
                        ChangeKind::PropertyMadeOptional,
                        &child,
                        Side::New,
                        "required -> optional".to_owned(),
                    ),
                    _ => {}
                }
            } else if let Some(new_name) = renames.get(name.as_str()) {
                let target = at.property(new_name);
                self.changes.push(Change {
                    kind: ChangeKind::PropertyRenamed,
                    call: self.new.call,
                    event: self.new.name.clone(),
                    property: Some(child.path),
                    pointer: target.new,
                    side: Side::New,
                    detail: format!("renamed to `{}`", target.path),
                });
            } else {
                self.push(
                    ChangeKind::PropertyRemoved,
                    &child,
                    Side::Old,
                    "removed".to_owned(),
                );
            }
        }
        let renamed_to: BTreeSet<&str> = renames.values().copied().collect();
        for name in new_props.keys() {
            if old_props.contains_key(name) || renamed_to.contains(name.as_str()) {
                continue;
            }
            let child = at.property(name);
            if new_required.contains(name.as_str()) {
                self.push(
                    ChangeKind::RequiredPropertyAdded,
                    &child,
                    Side::New,
                    "required property added".to_owned(),
                );
            } else {
                self.push(
                    ChangeKind::PropertyAdded,
                    &child,
                    Side::New,
                    "optional property added".to_owned(),
                );
            }
        }
        // `required` may list names `properties` does not declare (they must be present, any type).
        for name in new_required.difference(&old_required) {
            if !old_props.contains_key(*name) && !new_props.contains_key(*name) {
                let child = at.child(schema::path_join(&at.path, name), &["required"]);
                self.push(
                    ChangeKind::PropertyMadeRequired,
                    &child,
                    Side::New,
                    "undeclared property now required".to_owned(),
                );
            }
        }
        for name in old_required.difference(&new_required) {
            if !old_props.contains_key(*name) && !new_props.contains_key(*name) {
                let child = at.child(schema::path_join(&at.path, name), &["required"]);
                self.push(
                    ChangeKind::PropertyMadeOptional,
                    &child,
                    Side::New,
                    "undeclared property no longer required".to_owned(),
                );
            }
        }
    }

    /// Removed and added properties that pair up one-to-one by schema (annotations aside): the
    /// rename heuristic. Returns old name -> new name.
    fn renames<'n>(
        &self,
        removed: &[&'n str],
        added: &[&'n str],
        old_props: &Map<String, Value>,
        new_props: &Map<String, Value>,
    ) -> HashMap<&'n str, &'n str> {
        let canonical_old: Vec<Value> = removed
            .iter()
            .map(|n| schema::canonical(&old_props[*n], defs(self.old)))
            .collect();
        let canonical_new: Vec<Value> = added
            .iter()
            .map(|n| schema::canonical(&new_props[*n], defs(self.new)))
            .collect();
        let mut renames = HashMap::new();
        for (i, old_name) in removed.iter().enumerate() {
            let matches: Vec<usize> = (0..added.len())
                .filter(|&j| canonical_old[i] == canonical_new[j])
                .collect();
            if let [j] = matches[..] {
                let back = canonical_old
                    .iter()
                    .filter(|c| **c == canonical_new[j])
                    .count();
                if back == 1 {
                    renames.insert(*old_name, added[j]);
                }
            }
        }
        renames
    }

    fn additional_properties(
        &mut self,
        old: &'a Value,
        new: &'a Value,
        at: &At,
        refs: &mut Vec<(Option<&'a str>, Option<&'a str>)>,
    ) {
        let (before, after) = match (
            old.get("additionalProperties"),
            new.get("additionalProperties"),
        ) {
            (None, None) => return,
            (before, after) => (before.unwrap_or(&ANY), after.unwrap_or(&ANY)),
        };
        let closed = |value: &Value| value == &Value::Bool(false);
        let child = at.child(format!("{}{{}}", at.path), &["additionalProperties"]);
        match (closed(before), closed(after)) {
            (false, true) => self.push(
                ChangeKind::AdditionalPropertiesClosed,
                &child,
                Side::New,
                "undeclared properties are now refused".to_owned(),
            ),
            (true, false) => self.push(
                ChangeKind::AdditionalPropertiesOpened,
                &child,
                Side::New,
                "undeclared properties are now accepted".to_owned(),
            ),
            (true, true) => {}
            (false, false) => {
                // `true` and an absent keyword are the empty schema.
                let as_schema = |value: &'a Value| if value.is_object() { value } else { &*EMPTY };
                self.schemas(as_schema(before), as_schema(after), &child, refs);
            }
        }
    }

    fn items(
        &mut self,
        old: &'a Value,
        new: &'a Value,
        at: &At,
        refs: &mut Vec<(Option<&'a str>, Option<&'a str>)>,
    ) {
        let (before, after) = match (old.get("items"), new.get("items")) {
            (None, None) => return,
            (before, after) => (before.unwrap_or(&*EMPTY), after.unwrap_or(&*EMPTY)),
        };
        let child = at.child(format!("{}[]", at.path), &["items"]);
        if before.is_array() || after.is_array() {
            if schema::canonical(before, defs(self.old)) != schema::canonical(after, defs(self.new))
            {
                self.push(
                    ChangeKind::TypeChanged,
                    &child,
                    Side::New,
                    "tuple items changed".to_owned(),
                );
            }
            return;
        }
        self.schemas(before, after, &child, refs);
    }
}

/// The empty schema `{}`: what an absent `items` or `additionalProperties` means.
/// `additionalProperties` when absent.
static ANY: Value = Value::Bool(true);

static EMPTY: LazyLock<Value> = LazyLock::new(|| Value::Object(Map::new()));

fn defs(rule: &Rule) -> &Map<String, Value> {
    &rule.definitions
}

/// The `properties` of an object schema (empty when it has none).
fn property_map(schema: &Value) -> &Map<String, Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&*EMPTY_MAP)
}

static EMPTY_MAP: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);

fn show_version(version: Option<u64>) -> String {
    version.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

fn as_f64(value: &Value) -> f64 {
    value.as_f64().unwrap_or(f64::NAN)
}

/// How a constraint keyword tightens.
#[derive(Clone, Copy)]
enum Bound {
    /// A larger value is tighter.
    Lower,
    /// A smaller value is tighter.
    Upper,
    /// `true` is tighter than `false`.
    Flag,
    /// Any change may reject old values.
    Exact,
}

const CONSTRAINTS: [(&str, Bound); 14] = [
    ("minimum", Bound::Lower),
    ("exclusiveMinimum", Bound::Lower),
    ("minLength", Bound::Lower),
    ("minItems", Bound::Lower),
    ("minProperties", Bound::Lower),
    ("maximum", Bound::Upper),
    ("exclusiveMaximum", Bound::Upper),
    ("maxLength", Bound::Upper),
    ("maxItems", Bound::Upper),
    ("maxProperties", Bound::Upper),
    ("uniqueItems", Bound::Flag),
    ("pattern", Bound::Exact),
    ("format", Bound::Exact),
    ("multipleOf", Bound::Exact),
];
