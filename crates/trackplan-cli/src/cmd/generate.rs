//! `trackplan generate PLAN -o FILE`: a tracking plan as reviewed, rustfmt-clean Rust source.
//!
//! The same generator as `trackplan::plan!`. The output file is written only when its contents
//! change, so unchanged plans do not trigger rebuilds.
//!
//! Exit codes: 0 written or already up to date; 1 `--check` found the file out of date; 2 the
//! plan could not be read or mapped to Rust (every problem is listed, with its JSON pointer).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use trackplan_codegen::generate::{generate_source, GenerateError, GenerateOptions};
use trackplan_plan::{Call, LoadOptions};

#[derive(clap::Args)]
pub struct Args {
    /// The tracking plan (Segment Config or Public API, Typewriter or RudderTyper plan.json).
    plan: PathBuf,
    /// Where to write the Rust source; standard output when absent.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Use this version of a rule instead of the newest, as CALL:NAME=VERSION
    /// (such as `track:Order Completed=2`, `identify:=3`). Repeatable.
    #[arg(long = "pin", value_name = "CALL:NAME=VERSION")]
    pins: Vec<String>,
    /// Give every struct whose schema allows further properties (`additionalProperties` absent
    /// or true) a flattened `extra` map, so they can be sent.
    #[arg(long)]
    extra_properties: bool,
    /// Do not write: exit 1 if FILE is not what the plan generates (for CI).
    #[arg(long, requires = "output")]
    check: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut opts = LoadOptions::default();
    for pin in &args.pins {
        let (call, name, version) = parse_pin(pin)?;
        opts = opts.pin(call, name, version);
    }
    let file = args.plan.display().to_string();
    let mut options = GenerateOptions {
        load: opts,
        ..GenerateOptions::default()
    };
    options.lower.extra_properties = args.extra_properties;
    let generated = match generate_source(&args.plan, &file, &options) {
        Ok(generated) => generated,
        Err(GenerateError::Plan(errors)) => {
            eprintln!("error: {errors}");
            return Ok(ExitCode::from(2));
        }
        Err(other) => return Err(other.into()),
    };
    for warning in &generated.warnings {
        eprintln!("warning: {file}: {warning}");
    }
    let Some(output) = &args.output else {
        std::io::stdout().write_all(generated.source.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    };
    if args.check {
        let current = std::fs::read_to_string(output).unwrap_or_default();
        if current == generated.source {
            eprintln!("{} is up to date", output.display());
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "{} is out of date: run `trackplan generate {file} -o {}`",
            output.display(),
            output.display()
        );
        return Ok(ExitCode::from(1));
    }
    let written = trackplan_codegen::source::write_if_changed(output, &generated.source)
        .with_context(|| format!("cannot write {}", output.display()))?;
    if written {
        eprintln!("wrote {}", output.display());
    } else {
        eprintln!("{} is up to date", output.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `track:Order Completed=2` → (Track, "Order Completed", 2).
fn parse_pin(pin: &str) -> anyhow::Result<(Call, String, u64)> {
    trackplan_plan::parse_pin(pin).map_err(|message| anyhow::anyhow!("--pin: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse() {
        assert_eq!(
            parse_pin("track:Order Completed=2").unwrap(),
            (Call::Track, "Order Completed".into(), 2)
        );
        assert_eq!(
            parse_pin("identify:=3").unwrap(),
            (Call::Identify, String::new(), 3)
        );
        assert_eq!(
            parse_pin("track:a=b=4").unwrap(),
            (Call::Track, "a=b".into(), 4)
        );
        assert!(parse_pin("track Order").is_err());
        assert!(parse_pin("alias:x=1").is_err());
        assert!(parse_pin("track:x=new").is_err());
    }
}
