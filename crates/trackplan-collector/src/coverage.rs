//! Per-rule plan coverage of what the collector received, for `/api/stats` and the page: the
//! engine `trackplan coverage` uses, fed each message with the validator's verdict.

use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use trackplan_plan::coverage::Coverage;
use trackplan_plan::Plan;

/// How one plan rule was exercised since start (or the last clear).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleCoverageStats {
    /// The rule's call: `track`, `identify`, ...
    #[serde(rename = "type")]
    pub call: String,
    /// The event or page/screen name; empty for identify and group rules and unnamed rules.
    pub name: String,
    /// Messages that matched the rule, and how many of them were valid and invalid.
    pub seen: u64,
    pub valid: u64,
    pub invalid: u64,
    /// Properties the rule declares that no matching message had, sorted.
    pub unseen_properties: Vec<String>,
}

/// The loaded plans' coverage, shared by the ingest handlers.
pub(crate) struct PlanCoverage {
    /// The coverage with nothing recorded, to start again from on a clear.
    empty: Coverage,
    live: Mutex<Coverage>,
}

impl PlanCoverage {
    pub(crate) fn new(plans: &[Plan]) -> PlanCoverage {
        let empty = Coverage::new(plans.iter().flat_map(|plan| &plan.rules));
        PlanCoverage {
            live: Mutex::new(empty.clone()),
            empty,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Coverage> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn record(&self, message: &Value, valid: bool) {
        self.lock().record(message, |_| valid);
    }

    pub(crate) fn clear(&self) {
        *self.lock() = self.empty.clone();
    }

    /// Every rule of the loaded plans, in plan order.
    pub(crate) fn rules(&self) -> Vec<RuleCoverageStats> {
        self.lock()
            .report()
            .rules
            .into_iter()
            .map(|rule| RuleCoverageStats {
                call: rule.call.as_str().to_owned(),
                name: rule.name,
                seen: rule.seen,
                valid: rule.valid,
                invalid: rule.invalid,
                unseen_properties: rule.unseen_properties,
            })
            .collect()
    }
}
