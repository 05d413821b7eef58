//! `trackplan lint PLAN`: check a plan against Segment's naming guidance and common mistakes.
//!
//! Exit codes: 0 no errors (warnings allowed), 1 at least one error finding, 2 the plan or the
//! config could not be read.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use trackplan_plan as plan;
use trackplan_plan::lint::{self, LintConfig};

/// The config file `lint` reads from the working directory when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "trackplan-lint.json";

#[derive(clap::Args)]
pub struct Args {
    /// The tracking plan to lint (any shape `trackplan` reads).
    plan: PathBuf,
    /// Lint config: `{"rules": {"<rule-id>": "off" | "warning" | "error"}}`. Default:
    /// ./trackplan-lint.json when it exists.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plan = plan::load(&args.plan).map_err(|errors| anyhow::anyhow!("{errors}"))?;
    let config = match &args.config {
        Some(path) => read_config(path)?,
        None if Path::new(DEFAULT_CONFIG).is_file() => read_config(Path::new(DEFAULT_CONFIG))?,
        None => LintConfig::default(),
    };
    let report = lint::lint(&plan, &config);
    match args.format {
        Format::Text => print!("{}", report.to_text()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report.to_json())?),
    }
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn read_config(path: &Path) -> anyhow::Result<LintConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the lint config {}", path.display()))?;
    LintConfig::from_json(&text).with_context(|| format!("in {}", path.display()))
}
