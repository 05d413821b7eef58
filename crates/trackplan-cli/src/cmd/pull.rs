//! `trackplan pull --plan-id ID`: fetch a tracking plan from Segment's Public API and write it in
//! the Public API shape every trackplan reader loads, object keys sorted so re-pulls diff small.
//! The requests, errors and rate-limit waits are [`super::public_api`]'s.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::public_api::{self, Access, Connection};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    connection: Connection,
    /// Write the plan to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let api = args.connection.api(Access::Read)?;
    let plan_id = &args.connection.plan_id;
    let plan = public_api::runtime()?.block_on(api.tracking_plan(plan_id))?;
    let rules = plan["rules"].as_array().map_or(0, Vec::len);
    let text = format!("{}\n", serde_json::to_string_pretty(&plan)?);
    let destination = match &args.output {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            path.display().to_string()
        }
        None => {
            print!("{text}");
            "standard output".to_owned()
        }
    };
    eprintln!("pulled {rules} rules of tracking plan {plan_id} to {destination}");
    // What we wrote must be something trackplan reads; say so now rather than at build time.
    trackplan_plan::parse(&text, &Default::default()).map_err(|errors| {
        anyhow::anyhow!("the pulled plan was written, but trackplan cannot read it: {errors}")
    })?;
    Ok(ExitCode::SUCCESS)
}
