//! Validation of messages against Segment's rules and the loaded tracking plans.
//!
//! Each plan rule's payload schema is compiled once, at startup, with its `definitions` embedded
//! so `#/definitions/X` and `#/$defs/X` references resolve locally; nothing is ever fetched.

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;
use trackplan_plan::conventions::closest_name;
use trackplan_plan::coverage::message_target;
use trackplan_plan::{pii, Call, Plan, Rule};

use crate::segment_rules::{check_message, field};
use crate::Violation;

/// The rule name of the violation for an event the plan does not define.
pub const UNKNOWN_EVENT_RULE: &str = "plan";

/// Checks messages against Segment's rules and, when plans are loaded, their JSON Schemas.
///
/// ```
/// use serde_json::json;
/// use trackplan_collector::Validator;
///
/// let validator = Validator::without_plan();
/// let violations = validator.validate(&json!({"type": "track", "userId": "u1", "event": "Signed Up"}));
/// assert!(violations.is_empty());
/// ```
#[derive(Default)]
pub struct Validator {
    /// Rules by call, then by wire name; the empty name applies to every message of its call
    /// that has no rule of its own.
    rules: HashMap<Call, HashMap<String, Vec<CompiledRule>>>,
    has_plan: bool,
}

struct CompiledRule {
    payload_key: &'static str,
    payload_required: bool,
    schema: jsonschema::Validator,
    /// Properties the plan marks `"x-pii"`, as paths inside the message
    /// (`properties.email`, `traits.address.street`, `properties.contacts[].phone`).
    personal_data: Vec<String>,
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rules: usize = self
            .rules
            .values()
            .flat_map(|by_name| by_name.values())
            .map(Vec::len)
            .sum();
        f.debug_struct("Validator")
            .field("has_plan", &self.has_plan)
            .field("rules", &rules)
            .finish()
    }
}

/// Plan rules whose schema could not be compiled, each with its location and reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the tracking plan has schemas the validator cannot use:\n{}", .problems.join("\n"))]
pub struct SchemaErrors {
    /// One line per rule: plan, call, name, JSON pointer and reason.
    pub problems: Vec<String>,
}

impl Validator {
    /// A validator that checks Segment's rules only.
    pub fn without_plan() -> Self {
        Validator::default()
    }

    /// Compiles every rule of `plans`; a message must satisfy each rule (of any plan) that
    /// matches its call and name. Every rule that fails to compile is reported at once.
    pub fn new(plans: &[Plan]) -> Result<Self, SchemaErrors> {
        let mut validator = Validator {
            has_plan: !plans.is_empty(),
            ..Validator::default()
        };
        let mut problems = Vec::new();
        for plan in plans {
            for rule in &plan.rules {
                match compile(rule) {
                    Ok(compiled) => validator
                        .rules
                        .entry(rule.call)
                        .or_default()
                        .entry(rule.name.clone())
                        .or_default()
                        .push(compiled),
                    Err(reason) => problems.push(format!(
                        "plan \"{}\", {} \"{}\" at {}: {reason}",
                        plan.name,
                        rule.call.as_str(),
                        rule.name,
                        rule.pointer
                    )),
                }
            }
        }
        if problems.is_empty() {
            Ok(validator)
        } else {
            Err(SchemaErrors { problems })
        }
    }

    /// Whether any plan is loaded (without one, only Segment's rules are checked).
    pub fn has_plan(&self) -> bool {
        self.has_plan
    }

    /// Every violation of `message`: Segment's rules first, then the plan's.
    pub fn validate(&self, message: &Value) -> Vec<Violation> {
        let mut violations = Vec::new();
        check_message(message, &mut violations);
        if self.has_plan {
            self.check_plan(message, &mut violations);
        }
        violations
    }

    /// The properties of `message` that its plan rules mark as personal data (`"x-pii"`), as
    /// paths inside the message such as `properties.email` or `traits.address.street` (`[]`
    /// for array items), for the page to flag. Empty without a plan or a rule.
    pub fn personal_data(&self, message: &Value) -> Vec<String> {
        let mut paths: Vec<String> = self
            .rules_for(message)
            .into_iter()
            .flatten()
            .flat_map(|rule| rule.personal_data.iter().cloned())
            .collect();
        paths.sort_unstable();
        paths.dedup();
        paths
    }

    /// The compiled rules `message` must satisfy, if its plan defines any.
    fn rules_for(&self, message: &Value) -> Option<&[CompiledRule]> {
        // Which rule a message is for is decided once, with coverage.
        let (call, name) = message_target(message)?;
        let rules = self.rules.get(&call)?;
        rules.get(name).or_else(|| rules.get("")).map(Vec::as_slice)
    }

    fn check_plan(&self, message: &Value, out: &mut Vec<Violation>) {
        let Some((call, name)) = message_target(message) else {
            return;
        };
        let by_name = self.rules.get(&call);
        match self.rules_for(message) {
            Some(rules) => {
                for rule in rules {
                    rule.check(message, out);
                }
            }
            // Tracks must be planned; the plan constrains other calls only where it defines them.
            None if call == Call::Track && message.get("event").is_some_and(Value::is_string) => {
                let mut planned: Vec<&str> = by_name
                    .into_iter()
                    .flat_map(|rules| rules.keys().map(String::as_str))
                    .collect();
                planned.sort_unstable();
                let hint = closest_name(name, planned)
                    .map(|near| format!("; did you mean \"{near}\"?"))
                    .unwrap_or_default();
                out.push(Violation::new(
                    "/event",
                    UNKNOWN_EVENT_RULE,
                    format!("unknown event: the tracking plan does not define \"{name}\"{hint}"),
                ));
            }
            None => {}
        }
    }
}

impl CompiledRule {
    fn check(&self, message: &Value, out: &mut Vec<Violation>) {
        let key = self.payload_key;
        match message.as_object().and_then(|fields| field(fields, key)) {
            None => {
                if self.payload_required {
                    out.push(Violation::new(
                        format!("/{key}"),
                        "required",
                        format!("the plan requires `{key}`"),
                    ));
                }
            }
            // Segment's rules already report a payload that is not an object.
            Some(payload) if !payload.is_object() => {}
            // `is_valid` stops early and builds no errors: the common case pays only for that.
            Some(payload) if self.schema.is_valid(payload) => {}
            Some(payload) => {
                for error in self.schema.iter_errors(payload) {
                    out.push(Violation::new(
                        format!("/{key}{}", error.instance_path()),
                        error.kind().keyword(),
                        error.to_string(),
                    ));
                }
            }
        }
    }
}

fn compile(rule: &Rule) -> Result<CompiledRule, String> {
    let schema = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&rule.standalone_schema())
        .map_err(|error| error.to_string())?;
    let payload_key = rule.call.payload_key();
    Ok(CompiledRule {
        payload_key,
        payload_required: rule.payload_required,
        schema,
        personal_data: pii::marked_paths(rule)
            .into_iter()
            .map(|path| format!("{payload_key}.{path}"))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use trackplan_plan::PlanShape;

    use serde_json::Map;

    use super::*;

    fn rule(call: Call, name: &str, payload: Value) -> Rule {
        Rule {
            call,
            name: name.into(),
            version: None,
            description: None,
            payload,
            payload_required: false,
            pointer: "/rules/0".into(),
            definitions: Map::new(),
        }
    }

    fn plan(rules: Vec<Rule>) -> Plan {
        Plan {
            name: "test".into(),
            id: None,
            shape: PlanShape::PublicApi,
            rules,
        }
    }

    fn order_completed() -> Rule {
        rule(
            Call::Track,
            "Order Completed",
            json!({
                "type": "object",
                "properties": {
                    "total": {"type": "number", "minimum": 0},
                    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}
                },
                "required": ["total"],
                "additionalProperties": false
            }),
        )
    }

    fn track(event: &str, properties: Value) -> Value {
        json!({"type": "track", "userId": "u1", "event": event, "properties": properties})
    }

    #[test]
    fn a_planned_event_that_fits_is_valid() {
        let validator = Validator::new(&[plan(vec![order_completed()])]).unwrap();
        let found = validator.validate(&track(
            "Order Completed",
            json!({"total": 10, "currency": "EUR"}),
        ));
        assert_eq!(found, vec![]);
    }

    #[test]
    fn every_schema_violation_keeps_path_keyword_and_message() {
        let validator = Validator::new(&[plan(vec![order_completed()])]).unwrap();
        let found = validator.validate(&track(
            "Order Completed",
            json!({"total": -1, "currency": "euro", "coupon": "X"}),
        ));
        let mut summary: Vec<_> = found
            .iter()
            .map(|v| (v.path.as_str(), v.rule.as_str()))
            .collect();
        summary.sort();
        assert_eq!(
            summary,
            [
                ("/properties", "additionalProperties"),
                ("/properties/currency", "pattern"),
                ("/properties/total", "minimum"),
            ]
        );
        assert!(
            found.iter().any(|v| v.message.contains("coupon")),
            "{found:#?}"
        );
    }

    #[test]
    fn an_unplanned_track_is_an_unknown_event() {
        let validator = Validator::new(&[plan(vec![order_completed()])]).unwrap();
        let found = validator.validate(&track("Order Complete", json!({})));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "/event");
        assert!(
            found[0].message.starts_with("unknown event"),
            "{}",
            found[0].message
        );
        assert!(
            found[0]
                .message
                .ends_with("did you mean \"Order Completed\"?"),
            "{}",
            found[0].message
        );
        let far = validator.validate(&track("Signed Up", json!({})));
        assert!(
            !far[0].message.contains("did you mean"),
            "{}",
            far[0].message
        );
    }

    #[test]
    fn unnamed_identify_rules_apply_to_every_identify() {
        let traits = rule(
            Call::Identify,
            "",
            json!({"type": "object", "properties": {"email": {"type": "string"}}}),
        );
        let validator = Validator::new(&[plan(vec![traits])]).unwrap();
        let found =
            validator.validate(&json!({"type": "identify", "userId": "u", "traits": {"email": 3}}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "/traits/email");
        assert_eq!(found[0].rule, "type");
    }

    #[test]
    fn properties_marked_x_pii_are_listed_as_message_paths() {
        let traits = rule(
            Call::Identify,
            "",
            json!({"type": "object", "properties": {
                "email": {"type": "string", "x-pii": "hash"},
                "address": {"type": "object", "properties": {"street": {"type": "string", "x-pii": true}}},
                "plan": {"type": "string"}
            }}),
        );
        let validator = Validator::new(&[plan(vec![traits, order_completed()])]).unwrap();
        let identify = json!({"type": "identify", "userId": "u", "traits": {"email": "a@b.c"}});
        assert!(
            validator.validate(&identify).is_empty(),
            "`x-pii` is an annotation"
        );
        assert_eq!(
            validator.personal_data(&identify),
            ["traits.address.street", "traits.email"]
        );
        assert!(validator
            .personal_data(&track("Order Completed", json!({})))
            .is_empty());
        assert!(Validator::without_plan()
            .personal_data(&identify)
            .is_empty());
    }

    #[test]
    fn definitions_resolve_under_both_spellings() {
        let mut with_refs = rule(
            Call::Track,
            "Product Viewed",
            json!({
                "type": "object",
                "properties": {
                    "product": {"$ref": "#/definitions/product"},
                    "variant": {"$ref": "#/$defs/product"}
                }
            }),
        );
        with_refs.definitions.insert(
            "product".into(),
            json!({"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}),
        );
        let validator = Validator::new(&[plan(vec![with_refs])]).unwrap();
        let found = validator.validate(&track(
            "Product Viewed",
            json!({"product": {}, "variant": {"sku": 1}}),
        ));
        let paths: Vec<_> = found
            .iter()
            .map(|v| (v.path.as_str(), v.rule.as_str()))
            .collect();
        assert_eq!(paths.len(), 2, "{found:#?}");
        assert!(paths.contains(&("/properties/product", "required")));
        assert!(paths.contains(&("/properties/variant/sku", "type")));
    }

    #[test]
    fn a_required_payload_must_be_sent() {
        let mut required = order_completed();
        required.payload_required = true;
        let validator = Validator::new(&[plan(vec![required])]).unwrap();
        let message = json!({"type": "track", "userId": "u", "event": "Order Completed"});
        let found = validator.validate(&message);
        assert_eq!(
            found,
            vec![Violation::new(
                "/properties",
                "required",
                "the plan requires `properties`"
            )]
        );
    }

    #[test]
    fn every_broken_schema_is_reported_at_once() {
        let broken =
            |name: &str| rule(Call::Track, name, json!({"type": "object", "pattern": "("}));
        let error =
            Validator::new(&[plan(vec![broken("A"), order_completed(), broken("B")])]).unwrap_err();
        assert_eq!(error.problems.len(), 2, "{error}");
        assert!(
            error.problems[0].contains("track \"A\" at /rules/0"),
            "{error}"
        );
    }

    #[test]
    fn without_a_plan_only_segment_rules_apply() {
        let validator = Validator::without_plan();
        assert!(validator
            .validate(&track("Anything", json!({"x": 1})))
            .is_empty());
        assert_eq!(
            validator
                .validate(&json!({"type": "track", "event": "E"}))
                .len(),
            1
        );
    }
}
