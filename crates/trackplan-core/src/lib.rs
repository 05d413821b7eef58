//! trackplan-core: the Segment-compatible transport under trackplan.
//!
//! Most users depend on the `trackplan` facade, which re-exports everything here.

pub mod event;
pub mod spool;
mod user;

pub use event::{
    format_timestamp, EncodeError, Event, NoProperties, NumericProperty, ObjectWriter,
    PlanMetadata, Properties, PropertyValue, RawEvent, RawProperties, RawTraits, StringProperty,
    Traits, Violation,
};
pub use user::User;
