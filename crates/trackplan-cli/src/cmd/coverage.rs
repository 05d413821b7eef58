//! `trackplan coverage --plan PLAN FILE.ndjson...`: which rules and properties of a plan the
//! recorded messages exercise, each message judged by the collector's validator.
//!
//! Exit codes: 0 done; 1 `--fail-under` not met (either figure below it, or unreadable lines);
//! 2 a plan or a file could not be read.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use trackplan_collector::Validator;
use trackplan_plan::coverage::{Coverage, CoverageReport};

use super::ndjson;

#[derive(clap::Args)]
pub struct Args {
    /// Tracking plan to measure; repeat for several (their rules are measured together).
    #[arg(long = "plan", value_name = "PLAN", required = true)]
    plans: Vec<PathBuf>,
    /// Recorded messages, one JSON object (or `{"batch": [...]}`) per line; `-` reads
    /// standard input.
    #[arg(value_name = "FILE.ndjson", required = true)]
    inputs: Vec<PathBuf>,
    /// Output format; `markdown` is meant for a pull-request comment.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 when the share of rules seen or of properties seen is below PCT (0-100), or when
    /// a line could not be read.
    #[arg(long, value_name = "PCT", value_parser = percent)]
    fail_under: Option<f64>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
}

fn percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(pct) if (0.0..=100.0).contains(&pct) => Ok(pct),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plans = super::serve::load_plans(&args.plans)?;
    let validator = Validator::new(&plans)?;
    let mut coverage = Coverage::new(plans.iter().flat_map(|plan| &plan.rules));
    for path in &args.inputs {
        let label = path.display().to_string();
        let input: Box<dyn BufRead> = if label == "-" {
            Box::new(io::stdin().lock())
        } else {
            let file = File::open(path).with_context(|| format!("cannot open {label}"))?;
            Box::new(BufReader::new(file))
        };
        measure(input, &label, &validator, &mut coverage)?;
    }
    let report = coverage.report();
    match args.format {
        Format::Text => print!("{}", report.to_text()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report.to_json())?),
        Format::Markdown => print!("{}", report.to_markdown()),
    }
    if !report.unreadable.is_empty() {
        eprintln!(
            "warning: {} line(s) could not be read as messages (listed in the report)",
            report.unreadable.len()
        );
    }
    Ok(match args.fail_under {
        Some(threshold) if !meets(&report, threshold) => {
            eprintln!(
                "coverage below {threshold}%: rules {:.1}%, properties {:.1}%{}",
                report.rules_covered_pct,
                report.properties_covered_pct,
                if report.unreadable.is_empty() {
                    ""
                } else {
                    ", and unreadable lines"
                }
            );
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    })
}

fn meets(report: &CoverageReport, threshold: f64) -> bool {
    report.rules_covered_pct >= threshold
        && report.properties_covered_pct >= threshold
        && report.unreadable.is_empty()
}

/// Record every message of `input`; a line that holds none is noted with its number.
fn measure(
    input: impl BufRead,
    label: &str,
    validator: &Validator,
    coverage: &mut Coverage,
) -> anyhow::Result<()> {
    for (index, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {label}"))?;
        match ndjson::parse_line(&line) {
            None => {}
            Some(Ok(messages)) => {
                for message in &messages {
                    coverage.record(message, |m| validator.validate(m).is_empty());
                }
            }
            Some(Err(reason)) => coverage.unreadable(format!("{label}:{}", index + 1), reason),
        }
    }
    Ok(())
}
