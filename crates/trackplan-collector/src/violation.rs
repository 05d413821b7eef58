//! One way a message breaks Segment's rules or the tracking plan.

use serde::{Deserialize, Serialize};

/// A problem found in one message: where, which rule, and what is wrong in words.
///
/// ```
/// use trackplan_collector::Violation;
///
/// let v = Violation::new("/properties/total", "type", "\"ten\" is not of type \"number\"");
/// assert_eq!(v.to_string(), "/properties/total: \"ten\" is not of type \"number\" (type)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// JSON pointer of the offending value inside the message, such as `/properties/total`
    /// (empty for the message itself).
    pub path: String,
    /// The rule that failed: a JSON Schema keyword (`type`, `required`, `pattern`...) or
    /// `segment` for Segment's own message rules, `plan` for an event the plan lacks.
    pub rule: String,
    /// What is wrong, in words.
    pub message: String,
}

impl Violation {
    /// A violation at `path` of `rule`, described by `message`.
    pub fn new(
        path: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Violation {
            path: path.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{} ({})", self.message, self.rule)
        } else {
            write!(f, "{}: {} ({})", self.path, self.message, self.rule)
        }
    }
}
