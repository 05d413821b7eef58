//! trackplan-collector: a local Segment-compatible collector.
