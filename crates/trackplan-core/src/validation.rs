//! What the client does with tracking-plan violations (`Properties::violations()`,
//! `Traits::violations()`) at enqueue.

use std::fmt;
use std::sync::Arc;

use crate::error::EnqueueError;
use crate::event::Violation;

/// A callback for [`ValidationPolicy::Warn`]: what was called (such as `track "Order Completed"`)
/// and its violations.
pub type ViolationCallback = Arc<dyn Fn(&str, &[Violation]) + Send + Sync>;

/// How plan violations are handled.
///
/// Default: `Warn` through `tracing` in builds with `debug_assertions`, `Off` in release builds
/// (where checking costs time on every call).
#[derive(Clone)]
pub enum ValidationPolicy {
    /// Do not check.
    Off,
    /// Check, report violations to the callback, send the message anyway.
    Warn(ViolationCallback),
    /// Check and refuse a message with violations: [`EnqueueError::PlanViolation`].
    Refuse,
}

impl ValidationPolicy {
    /// `Warn` with a `tracing` warning per violating message.
    pub fn warn_with_tracing() -> Self {
        ValidationPolicy::Warn(Arc::new(|what: &str, violations: &[Violation]| {
            let violations = violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            tracing::warn!(call = what, %violations, "trackplan: message breaks the tracking plan");
        }))
    }

    /// `Warn` with your own callback.
    pub fn warn(callback: impl Fn(&str, &[Violation]) + Send + Sync + 'static) -> Self {
        ValidationPolicy::Warn(Arc::new(callback))
    }

    /// Apply the policy. `what` and `violations` are only computed when the policy checks.
    pub(crate) fn check(
        &self,
        what: impl FnOnce() -> String,
        violations: impl FnOnce() -> Vec<Violation>,
    ) -> Result<(), EnqueueError> {
        match self {
            ValidationPolicy::Off => Ok(()),
            ValidationPolicy::Warn(callback) => {
                let violations = violations();
                if !violations.is_empty() {
                    callback(&what(), &violations);
                }
                Ok(())
            }
            ValidationPolicy::Refuse => {
                let violations = violations();
                if violations.is_empty() {
                    Ok(())
                } else {
                    Err(EnqueueError::PlanViolation {
                        what: what(),
                        violations,
                    })
                }
            }
        }
    }
}

impl Default for ValidationPolicy {
    fn default() -> Self {
        if cfg!(debug_assertions) {
            ValidationPolicy::warn_with_tracing()
        } else {
            ValidationPolicy::Off
        }
    }
}

impl fmt::Debug for ValidationPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValidationPolicy::Off => "Off",
            ValidationPolicy::Warn(_) => "Warn(..)",
            ValidationPolicy::Refuse => "Refuse",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn violation() -> Vec<Violation> {
        vec![Violation {
            path: "/price".into(),
            rule: "minimum",
            message: "must be >= 0".into(),
        }]
    }

    #[test]
    fn refuse_names_the_call_and_each_violation() {
        let err = ValidationPolicy::Refuse
            .check(|| "track \"Order Completed\"".into(), violation)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "track \"Order Completed\" breaks the tracking plan: /price: must be >= 0 (minimum)"
        );
        assert!(ValidationPolicy::Refuse
            .check(|| unreachable!(), Vec::new)
            .is_ok());
    }

    #[test]
    fn warn_calls_back_and_lets_the_message_through_and_off_never_checks() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let policy = ValidationPolicy::warn(move |what, v| {
            sink.lock().unwrap().push((what.to_owned(), v.len()))
        });
        assert!(policy.check(|| "identify".into(), violation).is_ok());
        assert_eq!(*seen.lock().unwrap(), [("identify".to_owned(), 1)]);
        assert!(ValidationPolicy::Off
            .check(|| unreachable!(), || unreachable!())
            .is_ok());
    }
}
