//! One module per subcommand, each with its `Args` and a `run` that returns the exit code.

pub mod check;
pub mod coverage;
pub mod diff;
pub mod generate;
pub mod lint;
pub mod public_api;
pub mod pull;
pub mod push;
pub mod send;
pub mod serve;
