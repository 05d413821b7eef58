//! `trackplan lint`: a plan checked against Segment's naming guidance and common mistakes.
//!
//! Works on the normalised [`Plan`], so every plan shape is linted the same way. Each
//! [`Finding`] names its [`RuleId`] (stable, kebab-case), a [`Severity`], the event and
//! property, a JSON pointer into the plan file, what is wrong and what to do. A
//! [`LintConfig`] (the `trackplan-lint.json` file) switches rules off or changes their severity.
//!
//! ```
//! use trackplan_plan::lint::{lint, LintConfig, RuleId};
//! use trackplan_plan::{Call, Plan, PlanShape, Rule};
//!
//! let rule = Rule {
//!     call: Call::Track,
//!     name: "order_completed".into(),
//!     version: Some(1),
//!     description: Some("User completed the order.".into()),
//!     payload: serde_json::json!({"type": "object", "properties": {"orderId": {"type": "string"}}}),
//!     payload_required: true,
//!     pointer: "/rules/0/jsonSchema/properties/properties".into(),
//!     definitions: Default::default(),
//! };
//! let plan = Plan { name: "Shop".into(), id: None, shape: PlanShape::PublicApi, rules: vec![rule] };
//! let report = lint(&plan, &LintConfig::default());
//! let ids: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
//! assert_eq!(ids, [RuleId::EventNameCase, RuleId::PropertyNameCase]);
//! assert!(!report.has_errors());
//! ```

mod config;
mod names;
mod report;
mod rules;
mod walk;

use std::fmt;

pub use config::{ConfigError, Level, LintConfig};

use crate::{Call, Plan};

/// The identifier of a lint rule, as written in findings and in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    /// Track event names are Title Case words separated by spaces (`Order Completed`).
    EventNameCase,
    /// Track event names have a past-tense action after the object (`Completed`, `Sent`).
    EventNameTense,
    /// Two events whose names differ only in case or punctuation (`Event Collided`,
    /// `event_collided`): Segment warehouses load both into one table.
    EventNameCollision,
    /// Property names are snake_case; Segment's reserved camelCase traits are allowed.
    PropertyNameCase,
    /// Two properties of one object whose names differ only in case or punctuation.
    PropertyNameCollision,
    /// A rule has no description.
    MissingDescription,
    /// A property has no description (off by default).
    MissingPropertyDescription,
    /// A name embeds a value: a date, an id, an e-mail address or a number.
    DynamicName,
    /// A payload declares no properties and does not close them with
    /// `additionalProperties: false`, so anything goes.
    EmptyPropertiesSchema,
    /// One property name with different types across events (`order_id` a string here, a
    /// number there). A warning: Segment warehouses give each event its own table, but
    /// destinations with one property namespace (Mixpanel, Amplitude) see a conflict.
    InconsistentPropertyType,
    /// `required` names a property that `properties` does not declare.
    RequiredUndeclared,
    /// A property Segment reserves for every event with another type: `revenue` and `value`
    /// are numbers, `currency` a string (destinations such as Google Analytics read them).
    ReservedPropertyType,
    /// A string property whose name suggests personal data (`email`, `phone`, `ip`, an address,
    /// a person's name, a birthday, an identity number) is not marked `"x-pii"`, so the client's
    /// PII policy does not apply to it.
    UnmarkedPii,
}

impl RuleId {
    /// Every rule, in documentation order.
    pub const ALL: [RuleId; 13] = [
        RuleId::EventNameCase,
        RuleId::EventNameTense,
        RuleId::EventNameCollision,
        RuleId::PropertyNameCase,
        RuleId::PropertyNameCollision,
        RuleId::MissingDescription,
        RuleId::MissingPropertyDescription,
        RuleId::DynamicName,
        RuleId::EmptyPropertiesSchema,
        RuleId::InconsistentPropertyType,
        RuleId::RequiredUndeclared,
        RuleId::ReservedPropertyType,
        RuleId::UnmarkedPii,
    ];

    /// The stable kebab-case id (`event-name-case`).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::EventNameCase => "event-name-case",
            RuleId::EventNameTense => "event-name-tense",
            RuleId::EventNameCollision => "event-name-collision",
            RuleId::PropertyNameCase => "property-name-case",
            RuleId::PropertyNameCollision => "property-name-collision",
            RuleId::MissingDescription => "missing-description",
            RuleId::MissingPropertyDescription => "missing-property-description",
            RuleId::DynamicName => "dynamic-name",
            RuleId::EmptyPropertiesSchema => "empty-properties-schema",
            RuleId::InconsistentPropertyType => "inconsistent-property-type",
            RuleId::RequiredUndeclared => "required-undeclared",
            RuleId::ReservedPropertyType => "reserved-property-type",
            RuleId::UnmarkedPii => "unmarked-pii",
        }
    }

    /// The rule with this id.
    pub fn parse(id: &str) -> Option<RuleId> {
        RuleId::ALL.into_iter().find(|rule| rule.as_str() == id)
    }

    /// The level a rule runs at when the config does not say.
    pub fn default_level(self) -> Level {
        match self {
            // Same warehouse table or column: data of both lands in one place.
            RuleId::EventNameCollision | RuleId::PropertyNameCollision => Level::Error,
            RuleId::MissingPropertyDescription => Level::Off,
            RuleId::EventNameCase
            | RuleId::EventNameTense
            | RuleId::PropertyNameCase
            | RuleId::MissingDescription
            | RuleId::DynamicName
            | RuleId::EmptyPropertiesSchema
            | RuleId::InconsistentPropertyType
            | RuleId::RequiredUndeclared
            | RuleId::ReservedPropertyType
            | RuleId::UnmarkedPii => Level::Warning,
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a finding is. Errors make `trackplan lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Reported; the lint still passes.
    Warning,
    /// Reported; the lint fails.
    Error,
}

impl Severity {
    /// `warning` or `error`, as in reports and config files.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem lint found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule that found it.
    pub rule: RuleId,
    /// Its severity after the config.
    pub severity: Severity,
    /// The call of the rule the finding is about.
    pub call: Call,
    /// The rule's wire name (empty for unnamed identify/group rules).
    pub event: String,
    /// The property's path inside the payload (`products[].price`), when the finding is about one.
    pub property: Option<String>,
    /// JSON pointer into the plan file.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// The findings of one plan, in plan order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LintReport {
    /// Per-rule findings in plan order, then plan-wide ones (collisions, inconsistent types).
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|finding| finding.severity == severity)
            .count()
    }

    /// Whether any finding is an error (`trackplan lint` exits 1).
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// Lint `plan`: every enabled rule, all findings at once.
pub fn lint(plan: &Plan, config: &LintConfig) -> LintReport {
    let findings = rules::check(plan)
        .into_iter()
        .filter_map(|raw| {
            let severity = config.level(raw.rule).severity()?;
            Some(raw.into_finding(severity))
        })
        .collect();
    LintReport { findings }
}
