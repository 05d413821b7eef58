//! One module per subcommand, each with its `Args` and a `run` that returns the exit code, and
//! what several share: [`public_api`] (Segment's Public API) and [`ndjson`] (message files).

pub mod check;
pub mod coverage;
pub mod diff;
pub mod generate;
pub mod lint;
pub mod ndjson;
pub mod public_api;
pub mod pull;
pub mod push;
pub mod send;
pub mod serve;
