//! `trackplan lint`: a plan checked against Segment's naming guidance and common mistakes.
