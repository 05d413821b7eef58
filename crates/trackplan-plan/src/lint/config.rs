//! The lint config file, `trackplan-lint.json`: a level per rule id.
//!
//! ```json
//! {
//!   "rules": {
//!     "event-name-tense": "off",
//!     "missing-description": "error",
//!     "missing-property-description": "warning"
//!   }
//! }
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::{RuleId, Severity};

/// What a rule does: nothing, warn, or fail the lint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The rule does not run.
    Off,
    /// Findings are warnings.
    Warning,
    /// Findings are errors: `trackplan lint` exits 1.
    Error,
}

impl Level {
    /// The severity of the rule's findings; `None` when the rule is off.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Warning => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }

    fn parse(text: &str) -> Option<Level> {
        match text {
            "off" => Some(Level::Off),
            "warning" | "warn" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// Per-rule levels; rules the config does not mention keep [`RuleId::default_level`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintConfig {
    levels: BTreeMap<RuleId, Level>,
}

/// Everything wrong with a config file, all at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// One line per problem, each naming the JSON pointer.
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid lint config: {}", self.problems.join("; "))
    }
}

impl std::error::Error for ConfigError {}

impl LintConfig {
    /// The level `rule` runs at.
    pub fn level(&self, rule: RuleId) -> Level {
        self.levels
            .get(&rule)
            .copied()
            .unwrap_or_else(|| rule.default_level())
    }

    /// Set the level of one rule.
    pub fn set(&mut self, rule: RuleId, level: Level) -> &mut Self {
        self.levels.insert(rule, level);
        self
    }

    /// Read a config file's text. Unknown keys, unknown rule ids and unknown levels are all
    /// reported at once.
    pub fn from_json(text: &str) -> Result<LintConfig, ConfigError> {
        let document: Value = serde_json::from_str(text).map_err(|err| ConfigError {
            problems: vec![format!("not JSON: {err}")],
        })?;
        let Value::Object(root) = document else {
            return Err(ConfigError {
                problems: vec![
                    r#"expected an object such as {"rules": {"event-name-tense": "off"}}"#
                        .to_owned(),
                ],
            });
        };
        let mut problems = Vec::new();
        let mut config = LintConfig::default();
        for (key, value) in &root {
            match (key.as_str(), value) {
                ("$schema", _) => {}
                ("rules", Value::Object(rules)) => {
                    for (id, level) in rules {
                        config.read_rule(id, level, &mut problems);
                    }
                }
                ("rules", _) => {
                    problems.push("/rules: expected an object of rule id to level".to_owned())
                }
                (other, _) => problems.push(format!(
                    "/{other}: unknown key (the config has only `rules`)"
                )),
            }
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError { problems })
        }
    }

    fn read_rule(&mut self, id: &str, level: &Value, problems: &mut Vec<String>) {
        let rule = RuleId::parse(id);
        let parsed = level.as_str().and_then(Level::parse);
        if rule.is_none() {
            let known: Vec<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
            problems.push(format!(
                "/rules/{id}: unknown rule (known: {})",
                known.join(", ")
            ));
        }
        if parsed.is_none() {
            problems.push(format!(
                "/rules/{id}: level must be \"off\", \"warning\" or \"error\", not {level}"
            ));
        }
        if let (Some(rule), Some(level)) = (rule, parsed) {
            self.levels.insert(rule, level);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_override_defaults() {
        let config = LintConfig::from_json(
            r#"{"rules": {"event-name-tense": "off", "missing-description": "error", "missing-property-description": "warn"}}"#,
        )
        .unwrap();
        assert_eq!(config.level(RuleId::EventNameTense), Level::Off);
        assert_eq!(config.level(RuleId::MissingDescription), Level::Error);
        assert_eq!(
            config.level(RuleId::MissingPropertyDescription),
            Level::Warning
        );
        assert_eq!(config.level(RuleId::EventNameCollision), Level::Error);
        assert_eq!(
            config.level(RuleId::MissingPropertyDescription).severity(),
            Some(Severity::Warning)
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = LintConfig::from_json(
            r#"{"rule": {}, "rules": {"event-case": "off", "dynamic-name": "fatal", "event-name-case": 1}}"#,
        )
        .unwrap_err();
        assert_eq!(err.problems.len(), 4, "{err}");
        let text = err.to_string();
        assert!(text.contains("/rule: unknown key"), "{text}");
        assert!(
            text.contains("/rules/event-case: unknown rule (known: event-name-case,"),
            "{text}"
        );
        assert!(
            text.contains(
                r#"/rules/dynamic-name: level must be "off", "warning" or "error", not "fatal""#
            ),
            "{text}"
        );
        assert!(
            text.contains("/rules/event-name-case: level must be"),
            "{text}"
        );
    }

    #[test]
    fn non_json_and_non_objects_are_refused() {
        assert!(LintConfig::from_json("rules = 1")
            .unwrap_err()
            .to_string()
            .contains("not JSON"));
        assert!(LintConfig::from_json("[]")
            .unwrap_err()
            .to_string()
            .contains("expected an object"));
    }
}
