//! Plan coverage: which rules of a plan recorded messages exercise, how many of those messages
//! were valid, which of a rule's properties never appeared, and which messages no rule plans.
//!
//! A message matches the rule of its call and wire name ([`message_target`]), else its call's
//! unnamed rule (the empty name, as identify and group rules have); that is how the collector's
//! validator picks the rules it checks. Validity is the caller's verdict (the collector's
//! validator, say), so this module needs no JSON Schema engine. A rule's properties are the
//! names its payload schema declares under `properties`; one appears when a message has the key.
//!
//! ```
//! use serde_json::json;
//! use trackplan_plan::coverage::Coverage;
//! use trackplan_plan::LoadOptions;
//!
//! let plan = trackplan_plan::parse(r#"{"rules": [{"key": "Signed Up", "type": "TRACK", "jsonSchema":
//!     {"properties": {"properties": {"properties": {"plan": {}, "seats": {}}}}}}]}"#,
//!     &LoadOptions::default()).unwrap();
//! let mut coverage = Coverage::new(&plan.rules);
//! coverage.record(&json!({"type": "track", "event": "Signed Up", "properties": {"plan": "pro"}}), |_| true);
//! coverage.record(&json!({"type": "track", "event": "Logged In"}), |_| true);
//! let report = coverage.report();
//! assert_eq!(report.rules[0].seen, 1);
//! assert_eq!(report.rules[0].unseen_properties, ["seats"]);
//! assert_eq!(report.unplanned[0].name, "Logged In");
//! assert_eq!(report.rules_covered_pct, 100.0);
//! assert_eq!(report.properties_covered_pct, 50.0);
//! ```

mod render;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::{Call, Rule};

/// The call and wire name a message is for: `event` of a track, `name` of a page or screen
/// (empty when absent), empty for identify and group. `None` when `type` is not one of those.
pub fn message_target(message: &Value) -> Option<(Call, &str)> {
    let call = match message.get("type")?.as_str()? {
        "track" => Call::Track,
        "identify" => Call::Identify,
        "group" => Call::Group,
        "page" => Call::Page,
        "screen" => Call::Screen,
        _ => return None,
    };
    let name = match call {
        Call::Identify | Call::Group => None,
        Call::Track => message.get("event"),
        Call::Page | Call::Screen => message.get("name"),
    };
    Some((call, name.and_then(Value::as_str).unwrap_or_default()))
}

/// Counts for one rule while messages are recorded.
#[derive(Debug, Clone)]
struct RuleTally {
    call: Call,
    name: String,
    /// Declared property names, sorted, each with whether a message had it.
    properties: Vec<(String, bool)>,
    seen: u64,
    valid: u64,
}

/// Coverage being measured: feed it messages with [`Coverage::record`], read it with
/// [`Coverage::report`] at any time.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    rules: Vec<RuleTally>,
    /// Rule indexes by (call, wire name); several when several plans define the same rule.
    index: HashMap<(Call, String), Vec<usize>>,
    /// Messages that matched no rule, by (call, name).
    unplanned: BTreeMap<(String, String), u64>,
    unreadable: Vec<Unreadable>,
    messages: u64,
}

impl Coverage {
    /// Coverage of `rules` (one plan's, or several plans' chained), none seen yet.
    pub fn new<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> Coverage {
        let mut coverage = Coverage::default();
        for rule in rules {
            let mut properties: Vec<(String, bool)> = rule
                .payload
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|declared| declared.keys())
                .map(|name| (name.clone(), false))
                .collect();
            properties.sort();
            coverage
                .index
                .entry((rule.call, rule.name.clone()))
                .or_default()
                .push(coverage.rules.len());
            coverage.rules.push(RuleTally {
                call: rule.call,
                name: rule.name.clone(),
                properties,
                seen: 0,
                valid: 0,
            });
        }
        coverage
    }

    /// Count `message`; `is_valid` is asked (once) only when a rule matches it.
    pub fn record(&mut self, message: &Value, is_valid: impl FnOnce(&Value) -> bool) {
        self.messages += 1;
        let target = message_target(message);
        let matched = target.and_then(|(call, name)| {
            self.index
                .get(&(call, name.to_owned()))
                .or_else(|| self.index.get(&(call, String::new())))
        });
        let Some(matched) = matched else {
            let (call, name) = match target {
                Some((call, name)) => (call.as_str(), name),
                None => (
                    message
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    "",
                ),
            };
            *self
                .unplanned
                .entry((call.to_owned(), name.to_owned()))
                .or_default() += 1;
            return;
        };
        let valid = is_valid(message);
        for &index in matched {
            let rule = &mut self.rules[index];
            rule.seen += 1;
            rule.valid += u64::from(valid);
            let payload = message
                .get(rule.call.payload_key())
                .and_then(Value::as_object);
            if let Some(payload) = payload {
                for (name, seen) in &mut rule.properties {
                    *seen |= payload.contains_key(name.as_str());
                }
            }
        }
    }

    /// Note input that could not be read as a message, at `location` (`events.ndjson:3`).
    pub fn unreadable(&mut self, location: impl Into<String>, reason: impl Into<String>) {
        self.unreadable.push(Unreadable {
            location: location.into(),
            reason: reason.into(),
        });
    }

    /// What has been measured so far.
    pub fn report(&self) -> CoverageReport {
        let rules: Vec<RuleCoverage> = self
            .rules
            .iter()
            .map(|rule| RuleCoverage {
                call: rule.call,
                name: rule.name.clone(),
                seen: rule.seen,
                valid: rule.valid,
                invalid: rule.seen - rule.valid,
                properties: rule.properties.len(),
                unseen_properties: rule
                    .properties
                    .iter()
                    .filter(|(_, seen)| !seen)
                    .map(|(name, _)| name.clone())
                    .collect(),
            })
            .collect();
        let rules_seen = rules.iter().filter(|r| r.seen > 0).count();
        let properties: usize = rules.iter().map(|r| r.properties).sum();
        let properties_seen: usize = rules
            .iter()
            .map(|r| r.properties - r.unseen_properties.len())
            .sum();
        let unplanned = self
            .unplanned
            .iter()
            .map(|((call, name), seen)| Unplanned {
                call: call.clone(),
                name: name.clone(),
                seen: *seen,
            })
            .collect();
        let note = if self.messages == 0 {
            Some(if self.unreadable.is_empty() {
                "no messages were read, so nothing is covered".to_owned()
            } else {
                format!(
                    "no messages were read ({} unreadable), so nothing is covered",
                    self.unreadable.len()
                )
            })
        } else if rules.is_empty() {
            Some("the plan has no rules to cover".to_owned())
        } else if properties == 0 {
            Some("the plan's rules declare no properties".to_owned())
        } else {
            None
        };
        CoverageReport {
            messages: self.messages,
            rules_covered_pct: percent(rules_seen, rules.len()),
            properties_covered_pct: percent(properties_seen, properties),
            rules_seen,
            properties,
            properties_seen,
            rules,
            unplanned,
            unreadable: self.unreadable.clone(),
            note,
        }
    }
}

/// `part` of `whole` in percent; 0 when `whole` is (nothing measured covers nothing).
fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// The coverage of a plan by a set of messages.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageReport {
    /// Every rule, in plan order.
    pub rules: Vec<RuleCoverage>,
    /// Messages no rule matched, by call then name.
    pub unplanned: Vec<Unplanned>,
    /// Input that was not a message, in input order.
    pub unreadable: Vec<Unreadable>,
    /// Messages read (planned or not).
    pub messages: u64,
    /// Rules seen at least once.
    pub rules_seen: usize,
    /// Properties the rules declare, and how many of them appeared.
    pub properties: usize,
    pub properties_seen: usize,
    /// Share of rules seen at least once, 0 to 100.
    pub rules_covered_pct: f64,
    /// Share of declared properties that appeared, 0 to 100.
    pub properties_covered_pct: f64,
    /// Why the figures measure nothing, when they do not (no messages, no rules, ...).
    pub note: Option<String>,
}

/// How one rule was exercised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCoverage {
    pub call: Call,
    /// The wire name; empty for identify and group rules.
    pub name: String,
    /// Messages that matched the rule, and how many of them were valid and invalid.
    pub seen: u64,
    pub valid: u64,
    pub invalid: u64,
    /// How many properties the rule declares.
    pub properties: usize,
    /// Declared properties no matching message had, sorted.
    pub unseen_properties: Vec<String>,
}

/// Messages of one call and name that no rule plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplanned {
    /// The message's `type` as sent (empty when it had none).
    pub call: String,
    /// `event` of a track, `name` of a page or screen, else empty.
    pub name: String,
    pub seen: u64,
}

/// Input that was not a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Where it was (`events.ndjson:3`).
    pub location: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::LoadOptions;

    fn rules(text: &str) -> Vec<Rule> {
        crate::parse(text, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .rules
    }

    #[test]
    fn a_named_rule_wins_over_the_unnamed_one_and_validity_is_asked_only_when_planned() {
        let rules = rules(
            r#"{"rules": [
                {"type": "PAGE", "jsonSchema": {}},
                {"type": "PAGE", "key": "Pricing", "jsonSchema": {}}
            ]}"#,
        );
        let mut coverage = Coverage::new(&rules);
        let mut asked = 0;
        for name in ["Pricing", "Home", "Pricing"] {
            coverage.record(&json!({"type": "page", "name": name}), |_| {
                asked += 1;
                asked != 2
            });
        }
        coverage.record(&json!({"type": "screen", "name": "Home"}), |_| {
            panic!("unplanned messages are not judged")
        });
        let report = coverage.report();
        assert_eq!(asked, 3);
        let counts: Vec<(&str, u64, u64, u64)> = report
            .rules
            .iter()
            .map(|r| (r.name.as_str(), r.seen, r.valid, r.invalid))
            .collect();
        assert_eq!(counts, [("", 1, 0, 1), ("Pricing", 2, 2, 0)]);
        assert_eq!(
            report.unplanned,
            [Unplanned {
                call: "screen".to_owned(),
                name: "Home".to_owned(),
                seen: 1
            }]
        );
        assert_eq!(report.messages, 4);
        assert_eq!(
            report.note.as_deref(),
            Some("the plan's rules declare no properties")
        );
    }

    #[test]
    fn a_rule_two_plans_share_counts_in_both_and_messages_without_a_type_are_unplanned() {
        let one = rules(
            r#"{"rules": [{"type": "IDENTIFY", "jsonSchema": {"properties": {"traits": {"properties": {"email": {}}}}}}]}"#,
        );
        let two = rules(
            r#"{"rules": [{"type": "IDENTIFY", "jsonSchema": {"properties": {"traits": {"properties": {"plan": {}}}}}}]}"#,
        );
        let mut coverage = Coverage::new(one.iter().chain(&two));
        coverage.record(
            &json!({"type": "identify", "traits": {"email": "e"}}),
            |_| true,
        );
        coverage.record(&json!({"event": "No type"}), |_| true);
        let report = coverage.report();
        assert_eq!(report.rules[0].unseen_properties, Vec::<String>::new());
        assert_eq!(report.rules[1].unseen_properties, ["plan"]);
        assert_eq!((report.rules[0].seen, report.rules[1].seen), (1, 1));
        assert_eq!(report.unplanned[0].call, "");
        assert_eq!(report.properties_covered_pct, 50.0);
    }

    #[test]
    fn nothing_to_measure_is_zero_with_a_reason() {
        let mut coverage = Coverage::new(&[]);
        assert_eq!(
            coverage.report().note.as_deref(),
            Some("no messages were read, so nothing is covered")
        );
        coverage.unreadable("e.ndjson:1", "not JSON");
        assert_eq!(
            coverage.report().note.as_deref(),
            Some("no messages were read (1 unreadable), so nothing is covered")
        );
        coverage.record(&json!({"type": "track", "event": "A"}), |_| true);
        let report = coverage.report();
        assert_eq!(
            report.note.as_deref(),
            Some("the plan has no rules to cover")
        );
        assert_eq!(report.rules_covered_pct, 0.0);
    }
}
