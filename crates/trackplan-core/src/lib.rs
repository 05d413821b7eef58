//! trackplan-core: the Segment-compatible transport under trackplan.
//!
//! Most users depend on the `trackplan` facade, which re-exports everything here.
//!
//! - [`Client`]: the six Segment calls as non-blocking enqueues, a background worker that batches
//!   by count, bytes and time, retries by Segment's rules, and reports what it could not deliver.
//! - [`event`]: the payload traits ([`Event`], [`Traits`], [`Properties`]) typed code implements.
//! - [`describe`]: the JSON Schema of payload types, for plans exported from code.
//! - [`testing::Capture`]: a transport that records the wire JSON, for your tests.

mod batch;
mod client;
mod clock;
mod concurrency;
mod consent;
pub mod constraint;
pub mod context;
mod decode;
pub mod describe;
mod encode;
mod error;
pub mod event;
mod integrations;
mod json;
mod message;
pub mod pii;
mod queue;
#[cfg(feature = "registry")]
pub mod registry;
pub mod retry;
pub mod spool;
pub mod testing;
mod transport;
mod user;
mod validation;
mod worker;

pub use batch::{MAX_BATCH_BYTES, MAX_BATCH_MESSAGES};
pub use client::{Client, ClientBuilder, Region};
pub use consent::{Consent, ConsentPolicy, WithheldMessage};
pub use context::{Context, ContextError};
pub use decode::{decode, decode_slice, Decode, DecodeError};
pub use describe::{Describe, DescribeEvent};
// What generated decoders call, through the facade's `__private01`.
#[doc(hidden)]
pub use decode::{DefaultIn, Integer, Rfc3339};
pub use error::{BuildError, ConfigProblem, EnqueueError};
pub use event::Nullable;
pub use event::{
    Event, NoProperties, NumericProperty, ObjectWriter, PlanMetadata, Properties, PropertyValue,
    RawEvent, RawProperties, RawTraits, StringEnum, StringProperty, Traits, Violation,
};
pub use integrations::{Integrations, IntegrationsError};
pub use json::{format_timestamp, EncodeError};
pub use message::{
    CallOptions, CallType, Message, MessageId, MAX_MESSAGE_BYTES, MAX_MESSAGE_ID_CHARS,
};
pub use pii::{HashableProperty, PiiPolicy};
pub use queue::FullPolicy;
pub use retry::{FailureReason, RetryPolicy};
pub use transport::{
    BatchRequest, HttpTransport, SendFuture, Transport, TransportError, TransportErrorKind,
    TransportResponse, WriteKey,
};
pub use user::User;
pub use validation::{ValidationPolicy, ViolationCallback};
pub use worker::{DeliveryReport, FailedBatch, Metrics};
