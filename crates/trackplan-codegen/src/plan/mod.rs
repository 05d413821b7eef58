//! Tracking plans: the normalised model and the readers of every file shape.

mod model;

pub use model::{Call, Plan, PlanShape, Rule};
