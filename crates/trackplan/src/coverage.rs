//! Plan coverage of what a test captured (feature `coverage`): the report `trackplan coverage`
//! gives for a recording, each message judged by the collector's validator.
//!
//! ```
//! use trackplan::coverage::parse_plan;
//! use trackplan::testing::{Capture, CaptureCoverage};
//! use trackplan::{RawEvent, User};
//!
//! let plan = parse_plan(r#"{"rules": [{"key": "Signed Up", "type": "TRACK", "jsonSchema":
//!     {"properties": {"properties": {"properties": {"plan": {}, "seats": {}}}}}}]}"#,
//!     &Default::default())?;
//! let capture = Capture::new();
//! let client = capture.client();
//! client.track(&User::id("u1"), &RawEvent::new("Signed Up", serde_json::json!({"plan": "pro"})))?;
//! client.flush_blocking();
//!
//! let report = capture.coverage(&plan)?;
//! assert_eq!(report.rules[0].seen, 1);
//! assert_eq!(report.rules[0].unseen_properties, ["seats"]);
//! assert_eq!(report.properties_covered_pct, 50.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use trackplan_collector::SchemaErrors;
use trackplan_collector::Validator;
use trackplan_core::testing::Capture;
use trackplan_plan::coverage::Coverage;
pub use trackplan_plan::coverage::{CoverageReport, RuleCoverage, Unplanned, Unreadable};
pub use trackplan_plan::{load as load_plan, parse as parse_plan, LoadOptions, Plan, PlanErrors};

/// `capture.coverage(&plan)`: which rules and properties of `plan` the captured messages
/// exercise. An extension trait because [`Capture`] lives in a crate that knows no plans.
pub trait CaptureCoverage {
    /// The coverage of `plan` by every message captured so far; an error when a rule's schema
    /// cannot be compiled.
    fn coverage(&self, plan: &Plan) -> Result<CoverageReport, SchemaErrors>;
}

impl CaptureCoverage for Capture {
    fn coverage(&self, plan: &Plan) -> Result<CoverageReport, SchemaErrors> {
        let validator = Validator::new(std::slice::from_ref(plan))?;
        let mut coverage = Coverage::new(&plan.rules);
        for message in self.messages() {
            coverage.record(&message, |m| validator.validate(m).is_empty());
        }
        Ok(coverage.report())
    }
}
