//! `trackplan serve`: run the local Segment-compatible collector until Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use trackplan_collector::{Collector, CollectorConfig, DEFAULT_MAX_EVENTS};
use trackplan_plan::Plan;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on. The default, loopback, accepts events from this machine only.
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    /// Tracking plan to validate against (any shape trackplan reads); repeat for several.
    #[arg(long = "plan", value_name = "PLAN")]
    plans: Vec<PathBuf>,
    /// Refuse (401) requests that carry neither this key as Basic auth nor as `writeKey`.
    #[arg(
        long,
        env = "TRACKPLAN_WRITE_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    write_key: Option<String>,
    /// Append every accepted message to this NDJSON file (replay it with `trackplan check`).
    #[arg(long, value_name = "FILE.ndjson")]
    record: Option<PathBuf>,
    /// How many of the latest messages to keep in memory.
    #[arg(long, default_value_t = DEFAULT_MAX_EVENTS, value_name = "N")]
    max_events: usize,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plans = load_plans(&args.plans)?;
    let summary = describe_plans(&plans);
    let mut config = CollectorConfig::new()
        .addr(args.addr)
        .max_events(args.max_events);
    for plan in plans {
        config = config.plan(plan);
    }
    if let Some(key) = &args.write_key {
        config = config.write_key(key.clone());
    }
    if let Some(path) = &args.record {
        config = config.record(path);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let collector = Collector::start(config).await?;
        let url = collector.url().to_owned();
        let mut out = std::io::stdout().lock();
        writeln!(out, "trackplan collector listening on {url}")?;
        writeln!(out, "  page       {url}/")?;
        writeln!(
            out,
            "  ingestion  POST {url}/v1/batch (and /v1/track, /v1/identify, /v1/page, ...)"
        )?;
        writeln!(
            out,
            "  API        GET {url}/api/events, /api/stats, /api/stream"
        )?;
        writeln!(out, "  plan       {summary}")?;
        let key = if args.write_key.is_some() {
            "required"
        } else {
            "not checked (--write-key KEY)"
        };
        writeln!(out, "  write key  {key}")?;
        if let Some(path) = &args.record {
            writeln!(out, "  recording  {}", path.display())?;
        }
        writeln!(out, "Press Ctrl-C to stop.")?;
        out.flush()?;
        drop(out);
        if !args.addr.ip().is_loopback() {
            eprintln!(
                "warning: listening on {}, not loopback: other machines can send events and read \
                 every stored message at /api/events{}",
                args.addr,
                if args.write_key.is_none() {
                    "; set --write-key to refuse unknown senders"
                } else {
                    ""
                }
            );
        }

        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        let stats = collector.stats();
        collector
            .shutdown()
            .await
            .context("the collector did not stop cleanly")?;
        println!(
            "stopped: {} messages received, {} valid, {} invalid",
            stats.received, stats.valid, stats.invalid
        );
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// Every plan, or every problem of every plan at once.
pub(crate) fn load_plans(paths: &[PathBuf]) -> anyhow::Result<Vec<Plan>> {
    let mut plans = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match trackplan_plan::load(path) {
            Ok(plan) => plans.push(plan),
            Err(errors) => problems.push(errors.to_string()),
        }
    }
    if problems.is_empty() {
        Ok(plans)
    } else {
        anyhow::bail!("{}", problems.join("\n"))
    }
}

fn describe_plans(plans: &[Plan]) -> String {
    if plans.is_empty() {
        return "none: checking Segment's rules only (--plan PLAN validates against a plan)"
            .to_owned();
    }
    plans
        .iter()
        .map(|plan| format!("{} ({} rules)", plan.name, plan.rules.len()))
        .collect::<Vec<_>>()
        .join(", ")
}
