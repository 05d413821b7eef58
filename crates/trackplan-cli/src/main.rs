//! `trackplan`: send events, check them against a plan, generate code, and keep plans healthy.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

#[derive(Parser)]
#[command(
    name = "trackplan",
    version,
    about = "Typed product analytics for Segment"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Deliver NDJSON Segment messages (backfills, replays) to Segment or any compatible endpoint.
    Send(cmd::send::Args),
    /// Validate logged events (NDJSON) against a tracking plan, offline.
    Check(cmd::check::Args),
    /// Generate Rust source from a tracking plan.
    Generate(cmd::generate::Args),
    /// Classify the changes between two plan versions as breaking or compatible.
    Diff(cmd::diff::Args),
    /// Check a plan against Segment's naming guidance and common mistakes.
    Lint(cmd::lint::Args),
    /// Run a local Segment-compatible collector that validates events and shows them live.
    Serve(cmd::serve::Args),
    /// Fetch a tracking plan from Segment's Public API.
    Pull(cmd::pull::Args),
    /// Make a Segment tracking plan's rules those of a plan file (a dry run unless --yes).
    Push(cmd::push::Args),
    /// Report which plan rules and properties recorded messages exercise.
    Coverage(cmd::coverage::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Send(args) => cmd::send::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Generate(args) => cmd::generate::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Lint(args) => cmd::lint::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Pull(args) => cmd::pull::run(args),
        Command::Push(args) => cmd::push::run(args),
        Command::Coverage(args) => cmd::coverage::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
