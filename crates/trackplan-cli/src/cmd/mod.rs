//! One module per subcommand, each with its `Args` and a `run` that returns the exit code.

pub mod check;
pub mod diff;
pub mod generate;
pub mod lint;
pub mod pull;
pub mod send;
pub mod serve;
