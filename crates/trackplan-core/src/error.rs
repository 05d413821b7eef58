//! Errors of the client: why a message was refused, why a client could not be built.

use std::fmt;
use std::time::Duration;

use crate::event::Violation;
use crate::json::EncodeError;
use crate::message::CallType;
use crate::spool::SpoolError;

/// Why a call did not enqueue its message. Nothing refused is ever sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnqueueError {
    /// The message is over Segment's per-event limit.
    #[error(
        "message is {size} bytes, over the {limit}-byte limit per message; send less data in it"
    )]
    TooLarge { size: usize, limit: usize },
    /// The queue holds its byte cap (`queue_capacity_bytes`) and the full policy refused to wait.
    #[error(
        "queue is full ({capacity} bytes); the message was not queued (is the endpoint reachable?)"
    )]
    QueueFull { capacity: usize },
    /// `FullPolicy::Block(timeout)` waited that long without room appearing.
    #[error("queue stayed full for {0:?}; the message was not queued")]
    QueueFullTimeout(Duration),
    /// The crash-safe spool holds its byte cap (under `FullPolicy::Block`, after waiting for
    /// acknowledgements as long as the policy allows).
    #[error(
        "spool is full ({used} of {max} bytes); the message was not queued (is the endpoint \
         reachable? undelivered messages stay in the spool until they are delivered)"
    )]
    SpoolFull { used: u64, max: u64 },
    /// The spool could not record the message (an I/O error), so it was not queued.
    #[error("the message was not queued: {0}")]
    Spool(SpoolError),
    /// The client was shut down.
    #[error("the client is shut down; messages can no longer be sent")]
    ShutDown,
    /// The payload could not be written as JSON.
    #[error(transparent)]
    Encode(EncodeError),
    /// The payload holds a personal-data property and the PII policy in force for it is
    /// [`PiiPolicy::Refuse`](crate::PiiPolicy::Refuse).
    #[error(
        "property `{field}` is personal data and the PII policy refuses it; the message was not \
         queued (leave the value out, or choose another policy for it)"
    )]
    PersonalData { field: String },
    /// A field Segment requires for this call is missing or empty.
    #[error("{call} message is missing `{field}`")]
    MissingField { call: CallType, field: &'static str },
    /// An untyped message has no `type`.
    #[error("message has no `type`: expected track, identify, group, page, screen or alias")]
    MissingType,
    /// An untyped message is malformed.
    #[error("invalid message: {0}")]
    Invalid(String),
    /// The user has not granted the consent categories the item requires, and the consent
    /// policy is [`ConsentPolicy::Drop`](crate::ConsentPolicy::Drop) (the default): the message
    /// was not sent, by design. Counted in [`Metrics::consent_withheld`](crate::Metrics::consent_withheld).
    #[error("{call} {name:?} was not sent: the user has not granted consent for {}", .missing.join(", "))]
    ConsentWithheld {
        call: CallType,
        /// The event name (track) or page/screen name; empty for identify, group and alias.
        name: String,
        /// The required categories the user has not granted.
        missing: Vec<&'static str>,
    },
    /// The payload breaks its tracking plan and the validation policy is `Refuse`.
    #[error("{what} breaks the tracking plan: {}", list(.violations))]
    PlanViolation {
        what: String,
        violations: Vec<Violation>,
    },
}

impl From<EncodeError> for EnqueueError {
    fn from(err: EncodeError) -> Self {
        match err.into_refused_personal_data() {
            Ok(field) => EnqueueError::PersonalData { field },
            Err(err) => EnqueueError::Encode(err),
        }
    }
}

fn list(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A client setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// The write key is empty.
    EmptyWriteKey,
    /// The endpoint is not a usable URL.
    InvalidEndpoint { endpoint: String, reason: String },
    /// Plain `http://` to a host that is not loopback.
    InsecureEndpoint { endpoint: String },
    /// A numeric setting is outside its range.
    OutOfRange {
        setting: &'static str,
        value: String,
        allowed: &'static str,
    },
    /// A required environment variable is not set.
    MissingEnv { variable: &'static str },
    /// The HTTP client could not be created.
    Http(String),
    /// The spool directory could not be opened or is in use by another client; the text
    /// names the directory.
    Spool(String),
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigProblem::EmptyWriteKey => {
                f.write_str("the write key is empty: pass the source's write key from Segment's settings")
            }
            ConfigProblem::InvalidEndpoint { endpoint, reason } => {
                write!(f, "endpoint {endpoint:?} is not a valid http(s) URL: {reason}")
            }
            ConfigProblem::InsecureEndpoint { endpoint } => write!(
                f,
                "endpoint {endpoint:?} uses plain http to a non-loopback host, which would send the \
                 write key and events unencrypted; use https, or set allow_insecure_http(true) if \
                 the network is trusted"
            ),
            ConfigProblem::OutOfRange { setting, value, allowed } => {
                write!(f, "{setting} = {value} is out of range: allowed {allowed}")
            }
            ConfigProblem::MissingEnv { variable } => write!(f, "environment variable {variable} is not set"),
            ConfigProblem::Http(reason) => write!(f, "cannot create the HTTP client: {reason}"),
            ConfigProblem::Spool(reason) => f.write_str(reason),
        }
    }
}

/// Why `build()` failed: every problem with the settings, not just the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    problems: Vec<ConfigProblem>,
}

impl BuildError {
    pub(crate) fn new(problems: Vec<ConfigProblem>) -> Self {
        BuildError { problems }
    }

    /// Each problem found.
    pub fn problems(&self) -> &[ConfigProblem] {
        &self.problems
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot build the trackplan client: ")?;
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildError {}
