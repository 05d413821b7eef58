//! `trackplan diff OLD NEW`: classify the changes between two plan versions.
//!
//! Exit codes: 0 nothing breaking, 1 at least one breaking change, 2 a plan could not be read.

use std::path::PathBuf;
use std::process::ExitCode;

use trackplan_plan::diff;
use trackplan_plan::{self as plan, Plan, PlanErrors};

#[derive(clap::Args)]
pub struct Args {
    /// The plan before the change (any shape).
    old: PathBuf,
    /// The plan after the change (any shape; need not be the old one's).
    new: PathBuf,
    /// Output format; `markdown` is meant for a pull-request comment.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (old, new) = match (plan::load(&args.old), plan::load(&args.new)) {
        (Ok(old), Ok(new)) => (old, new),
        // Both files' problems at once.
        (old, new) => anyhow::bail!("{}", problems([old, new])),
    };
    let changes = diff::diff(&old, &new);
    match args.format {
        Format::Text => print!("{}", changes.to_text()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&changes.to_json())?),
        Format::Markdown => print!("{}", changes.to_markdown()),
    }
    Ok(if changes.has_breaking() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn problems(results: [Result<Plan, PlanErrors>; 2]) -> String {
    results
        .into_iter()
        .filter_map(Result::err)
        .map(|errors| errors.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
