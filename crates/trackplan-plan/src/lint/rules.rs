//! The checks behind every [`RuleId`]: per rule (names, descriptions, empty payloads), per object
//! (property names, collisions, undeclared required properties) and plan-wide (event collisions,
//! inconsistent property types). Severity is applied afterwards, from the config.

use std::collections::BTreeMap;

use heck::ToSnakeCase;

use super::names;
use super::walk::{self, ObjectSite, PropertySite};
use super::{Finding, RuleId, Severity};
use crate::conventions::{self, Case};
use crate::schema::{self, JsonType, TypeSet};
use crate::{pii, Call, Plan, Rule};

/// A finding before its severity is known.
pub(super) struct RawFinding {
    pub rule: RuleId,
    call: Call,
    event: String,
    property: Option<String>,
    pointer: String,
    message: String,
    hint: String,
}

impl RawFinding {
    fn about_rule(id: RuleId, rule: &Rule, message: String, hint: impl Into<String>) -> Self {
        RawFinding {
            rule: id,
            call: rule.call,
            event: rule.name.clone(),
            property: None,
            pointer: rule.pointer.clone(),
            message,
            hint: hint.into(),
        }
    }

    fn about_property(
        id: RuleId,
        rule: &Rule,
        property: &PropertySite<'_>,
        message: String,
        hint: impl Into<String>,
    ) -> Self {
        RawFinding {
            rule: id,
            call: rule.call,
            event: rule.name.clone(),
            property: Some(property.path.clone()),
            pointer: property.pointer.clone(),
            message,
            hint: hint.into(),
        }
    }

    pub(super) fn into_finding(self, severity: Severity) -> Finding {
        Finding {
            rule: self.rule,
            severity,
            call: self.call,
            event: self.event,
            property: self.property,
            pointer: self.pointer,
            message: self.message,
            hint: self.hint,
        }
    }
}

/// Every rule's findings, unfiltered: per-rule findings in plan order, then plan-wide ones.
pub(super) fn check(plan: &Plan) -> Vec<RawFinding> {
    let objects = walk::objects(plan);
    let mut findings = Vec::new();
    for (index, rule) in plan.rules.iter().enumerate() {
        check_rule(rule, &mut findings);
        let marked_pii = pii::marked_paths(rule);
        for object in objects.iter().filter(|object| object.rule == index) {
            check_object(rule, object, &marked_pii, &mut findings);
        }
    }
    check_event_collisions(plan, &mut findings);
    check_property_types(plan, &objects, &mut findings);
    findings
}

fn check_rule(rule: &Rule, findings: &mut Vec<RawFinding>) {
    let name = &rule.name;
    if rule.call == Call::Track {
        // Empty names belong to unnamed identify and group rules.
        let problem = (!name.is_empty())
            .then(|| conventions::event_name_problem(name))
            .flatten();
        if let Some(problem) = problem {
            let such_as = conventions::suggest_event_name(name)
                .map(|suggestion| format!(" (such as `{suggestion}`)"))
                .unwrap_or_default();
            findings.push(RawFinding::about_rule(
                RuleId::EventNameCase,
                rule,
                format!("event name `{name}` {problem}{such_as}"),
                "name events \"Object Action\" in Title Case, like `Order Completed`; renaming \
                 an event is a breaking change, so do it when you next version the event",
            ));
        }
        if !names::has_past_tense_action(name) {
            findings.push(RawFinding::about_rule(
                RuleId::EventNameTense,
                rule,
                format!("event name `{name}` has no past-tense action"),
                "end the name with what happened, in the past tense: `Order Completed`, \
                 `Email Sent`",
            ));
        }
    }
    if let Some(part) = names::dynamic_part(name) {
        findings.push(RawFinding::about_rule(
            RuleId::DynamicName,
            rule,
            format!("event name `{name}` {part}"),
            "keep values out of names: one event with the value as a property \
             (`Signed Up` with `signup_date`) keeps the plan and the warehouse small",
        ));
    }
    if rule.description.is_none() {
        findings.push(RawFinding::about_rule(
            RuleId::MissingDescription,
            rule,
            format!("{} has no description", label(rule)),
            "say when the event fires and what it means; it becomes the generated type's rustdoc",
        ));
    }
    let payload = schema::resolve_leniently(&rule.payload, &rule.definitions).schema;
    let closed = payload.get("additionalProperties") == Some(&serde_json::Value::Bool(false));
    if !schema::has_properties(payload) && !closed {
        findings.push(RawFinding::about_rule(
            RuleId::EmptyPropertiesSchema,
            rule,
            format!("{} declares no {}: any payload passes", label(rule), rule.call.payload_key()),
            "declare the properties it sends, or set `additionalProperties: false` if it sends none",
        ));
    }
}

/// `marked_pii`: the rule's properties marked `"x-pii"` ([`pii::marked_paths`]).
fn check_object(
    rule: &Rule,
    object: &ObjectSite<'_>,
    marked_pii: &[String],
    findings: &mut Vec<RawFinding>,
) {
    let properties: Vec<PropertySite<'_>> = object.properties(rule).collect();
    for property in &properties {
        check_property(rule, property, findings);
        check_unmarked_pii(rule, property, marked_pii, findings);
    }
    let mut by_snake: BTreeMap<String, Vec<&PropertySite<'_>>> = BTreeMap::new();
    for property in &properties {
        by_snake
            .entry(property.name.to_snake_case())
            .or_default()
            .push(property);
    }
    for (snake, group) in by_snake.iter().filter(|(_, group)| group.len() > 1) {
        let spelled: Vec<String> = group.iter().map(|p| format!("`{}`", p.name)).collect();
        findings.push(RawFinding::about_property(
            RuleId::PropertyNameCollision,
            rule,
            group[1],
            format!(
                "properties {} of {} differ only in case or punctuation",
                spelled.join(" and "),
                label(rule)
            ),
            format!("keep one of them: warehouses load both into the column `{snake}`"),
        ));
    }
    let declared: Vec<&str> = properties.iter().map(|p| p.name).collect();
    for missing in schema::required(object.schema)
        .into_iter()
        .filter(|name| !declared.contains(name))
    {
        let at = if object.path.is_empty() {
            String::new()
        } else {
            format!(" in `{}`", object.path)
        };
        findings.push(RawFinding {
            rule: RuleId::RequiredUndeclared,
            call: rule.call,
            event: rule.name.clone(),
            property: Some(schema::path_join(&object.path, missing)),
            pointer: schema::pointer_join(&object.pointer, "required"),
            message: format!("`{missing}` is required{at} but not declared under `properties`"),
            hint: "declare the property with its type, or remove it from `required`".to_owned(),
        });
    }
}

/// Properties Segment reserves in every event, with the JSON type destinations expect.
const RESERVED_PROPERTIES: [(&str, JsonType); 3] = [
    ("revenue", JsonType::Number),
    ("value", JsonType::Number),
    ("currency", JsonType::String),
];

fn check_property(rule: &Rule, property: &PropertySite<'_>, findings: &mut Vec<RawFinding>) {
    let name = property.name;
    let top_level = !property.path.contains(['.', '[', '{']);
    if let Some((_, expected)) = RESERVED_PROPERTIES
        .iter()
        .find(|(reserved, _)| top_level && *reserved == name)
    {
        let all = TypeSet::of(property.schema);
        let types = all.without_null();
        let fits = |ty: JsonType| {
            ty == *expected || (ty == JsonType::Integer && *expected == JsonType::Number)
        };
        if !all.is_any() && !types.is_empty() && !types.iter().all(fits) {
            findings.push(RawFinding::about_property(
                RuleId::ReservedPropertyType,
                rule,
                property,
                format!(
                    "`{name}` is reserved by Segment as a {} but is {types} here",
                    expected.as_str()
                ),
                format!(
                    "type it as a {}, or rename the property if it means something else",
                    expected.as_str()
                ),
            ));
        }
    }
    if !(Case::Snake.matches(name) || conventions::is_reserved_trait(name)) {
        findings.push(RawFinding::about_property(
            RuleId::PropertyNameCase,
            rule,
            property,
            format!("property `{name}` is not snake_case"),
            format!(
                "use `{}` (Segment's reserved camelCase traits such as `firstName` are fine)",
                Case::Snake.convert(name)
            ),
        ));
    }
    if let Some(part) = names::dynamic_part(name) {
        findings.push(RawFinding::about_property(
            RuleId::DynamicName,
            rule,
            property,
            format!("property `{name}` {part}"),
            "keep values out of keys: use an array or a property holding the value instead of \
             `feature_1`, `feature_2`...",
        ));
    }
    if schema::description(property.schema).is_none() {
        findings.push(RawFinding::about_property(
            RuleId::MissingPropertyDescription,
            rule,
            property,
            format!("property `{}` has no description", property.path),
            "say what the value means and its unit; it becomes the generated field's rustdoc",
        ));
    }
}

/// A string property whose name suggests personal data, not marked `"x-pii"` (nor inside a
/// marked object).
fn check_unmarked_pii(
    rule: &Rule,
    property: &PropertySite<'_>,
    marked_pii: &[String],
    findings: &mut Vec<RawFinding>,
) {
    let name = property.name;
    let Some(kind) = names::personal_data_kind(name) else {
        return;
    };
    // `email_verified: boolean` or `phone_count: integer` hold no personal data themselves.
    if !TypeSet::of(property.schema).contains(JsonType::String)
        || pii::is_covered(marked_pii, &property.path)
    {
        return;
    }
    findings.push(RawFinding::about_property(
        RuleId::UnmarkedPii,
        rule,
        property,
        format!(
            "property `{}` looks like personal data ({kind}) but is not marked `\"{}\"`",
            property.path,
            pii::PII_KEY
        ),
        format!(
            "add `\"{key}\": true` to its schema so the client's PII policy applies (or \
             `\"{key}\": \"hash\"` to always send its SHA-256, as ad destinations expect for \
             emails and phone numbers)",
            key = pii::PII_KEY
        ),
    ));
}

/// Track events whose names snake_case to the same table name.
fn check_event_collisions(plan: &Plan, findings: &mut Vec<RawFinding>) {
    let mut by_table: BTreeMap<String, Vec<&Rule>> = BTreeMap::new();
    for rule in plan.rules.iter().filter(|rule| rule.call == Call::Track) {
        by_table
            .entry(rule.name.to_snake_case())
            .or_default()
            .push(rule);
    }
    for (table, group) in &by_table {
        for duplicate in group.iter().skip(1) {
            findings.push(RawFinding::about_rule(
                RuleId::EventNameCollision,
                duplicate,
                format!("events `{}` and `{}` differ only in case or punctuation", group[0].name, duplicate.name),
                format!("merge them or rename one: Segment warehouses load both into the table `{table}`"),
            ));
        }
    }
}

/// One property path typed differently across rules. Reported once per path, at the first
/// occurrence of each type that differs from the first one seen.
fn check_property_types(plan: &Plan, objects: &[ObjectSite<'_>], findings: &mut Vec<RawFinding>) {
    struct Use<'a> {
        rule: &'a Rule,
        pointer: String,
        types: TypeSet,
    }
    let mut by_path: BTreeMap<String, Vec<Use<'_>>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for object in objects {
        let rule = &plan.rules[object.rule];
        for property in object.properties(rule) {
            // Untyped (`{}`) and null-only properties conflict with nothing.
            let all = TypeSet::of(property.schema);
            let types = all.without_null();
            if all.is_any() || types.is_empty() {
                continue;
            }
            if !by_path.contains_key(&property.path) {
                order.push(property.path.clone());
            }
            by_path.entry(property.path.clone()).or_default().push(Use {
                rule,
                pointer: property.pointer,
                types,
            });
        }
    }
    for path in order {
        let uses = &by_path[&path];
        let first = &uses[0];
        let mut reported: Vec<&TypeSet> = vec![&first.types];
        for other in uses.iter().filter(|u| u.types != first.types) {
            if reported.contains(&&other.types) {
                continue;
            }
            reported.push(&other.types);
            let events_with = |types: &TypeSet| -> String {
                let labels: Vec<String> = uses
                    .iter()
                    .filter(|u| &u.types == types)
                    .map(|u| label(u.rule))
                    .collect();
                summarise(&labels)
            };
            findings.push(RawFinding {
                rule: RuleId::InconsistentPropertyType,
                call: other.rule.call,
                event: other.rule.name.clone(),
                property: Some(path.clone()),
                pointer: other.pointer.clone(),
                message: format!(
                    "`{path}` is {} in {} but {} in {}",
                    other.types,
                    events_with(&other.types),
                    first.types,
                    events_with(&first.types)
                ),
                hint: "give the property one type everywhere (destinations such as Mixpanel and \
                       Amplitude keep one type per property name), or rename one of them"
                    .to_owned(),
            });
        }
    }
}

/// How a rule is named in messages: `event \`Order Completed\``, `identify traits`, `page \`Home\``.
fn label(rule: &Rule) -> String {
    match (rule.call, rule.name.is_empty()) {
        (Call::Track, _) => format!("event `{}`", rule.name),
        (call, true) => format!("{} {}", call.as_str(), rule.call.payload_key()),
        (call, false) => format!("{} `{}`", call.as_str(), rule.name),
    }
}

/// `a, b and 3 more`: at most three labels spelled out.
fn summarise(labels: &[String]) -> String {
    const SHOWN: usize = 3;
    match labels.len() {
        0 => String::new(),
        1 => labels[0].clone(),
        n if n <= SHOWN => format!("{} and {}", labels[..n - 1].join(", "), labels[n - 1]),
        n => format!("{} and {} more", labels[..SHOWN].join(", "), n - SHOWN),
    }
}
