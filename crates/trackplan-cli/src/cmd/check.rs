//! `trackplan check`: validate logged messages (NDJSON) against a plan, offline, with the same
//! validator and the same platform limits as the collector.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;
use trackplan_collector::{Platform, Validator, Violation};

use super::ndjson;
use super::serve::PlatformArg;

#[derive(clap::Args)]
pub struct Args {
    /// Tracking plan to validate against; repeat for several (a message must satisfy each).
    #[arg(long = "plan", value_name = "PLAN", required = true)]
    plans: Vec<PathBuf>,
    /// Messages, one JSON object per line (a `{"batch": [...]}` line counts each message);
    /// `-` reads standard input.
    #[arg(value_name = "EVENTS.ndjson")]
    events: PathBuf,
    /// Whose size limits to apply, as `trackplan serve --platform`: a message (or a batch
    /// line) over them is reported as refused, with the reason the collector gives.
    #[arg(long, value_enum, default_value_t = PlatformArg::Segment)]
    platform: PlatformArg,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plans = super::serve::load_plans(&args.plans)?;
    let validator = Validator::new(&plans)?;
    let label = args.events.display().to_string();
    let input: Box<dyn BufRead> = if label == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file = File::open(&args.events).with_context(|| format!("cannot open {label}"))?;
        Box::new(BufReader::new(file))
    };

    let mut out = io::stdout().lock();
    let platform = Platform::from(args.platform);
    let summary = check(input, &validator, platform, &label, &mut out)?;
    out.flush()?;
    eprintln!("{summary}");
    Ok(if summary.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What one run found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    messages: u64,
    invalid: u64,
    violations: u64,
    refused: u64,
    unreadable_lines: u64,
}

impl Summary {
    fn failed(&self) -> bool {
        self.invalid > 0 || self.refused > 0 || self.unreadable_lines > 0
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "checked {} messages: {} valid, {} invalid ({} violations)",
            self.messages,
            self.messages - self.invalid,
            self.invalid,
            self.violations
        )?;
        if self.refused > 0 {
            write!(f, "; {} refused for their size", self.refused)?;
        }
        if self.unreadable_lines > 0 {
            write!(f, "; {} lines are not JSON messages", self.unreadable_lines)?;
        }
        Ok(())
    }
}

/// Validates every line of `input` and applies `platform`'s size limits, writing one line per
/// violation to `out` as `FILE:LINE: <type> "<name>": <path>: <message> (<rule>)`, and one per
/// refused message as `FILE:LINE: <type> "<name>": refused (<status>): <reason>`.
pub(crate) fn check(
    input: impl BufRead,
    validator: &Validator,
    platform: Platform,
    label: &str,
    out: &mut impl Write,
) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    for (index, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {label}"))?;
        let at = format!("{label}:{}", index + 1);
        let text_len = line.trim().len();
        // A batch line is measured as the request it was; any other line as one message.
        let line = match ndjson::read_line(&line) {
            None => continue,
            Some(Ok(line)) => line,
            Some(Err(reason)) => {
                summary.unreadable_lines += 1;
                writeln!(out, "{at}: {reason}")?;
                continue;
            }
        };
        let (refusal, labels): (_, Vec<String>) = match &line {
            ndjson::Line::Batch(batch) => {
                let sizes: Vec<usize> = batch.iter().map(|raw| raw.get().len()).collect();
                let refusal = platform.breach(text_len, &sizes, |item| format!("batch[{item}]"));
                let labels = (0..batch.len()).map(|item| format!("{at}: batch[{item}]"));
                (refusal, labels.collect())
            }
            ndjson::Line::Message(_) => {
                let refusal = platform.breach(text_len, &[text_len], |_| "the message".to_owned());
                (refusal, vec![at])
            }
        };
        let messages = labels.into_iter().zip(line.messages());
        let status = platform.limits().oversize_status;
        for (at, message) in messages {
            summary.messages += 1;
            let what = describe(&message);
            if let Some(reason) = &refusal {
                summary.refused += 1;
                writeln!(out, "{at}: {what}: refused ({status}): {reason}")?;
            }
            let violations = validator.validate(&message);
            if violations.is_empty() {
                continue;
            }
            summary.invalid += 1;
            summary.violations += violations.len() as u64;
            for violation in &violations {
                writeln!(out, "{at}: {what}: {}", display(violation))?;
            }
        }
    }
    Ok(summary)
}

/// `track "Order Completed"`, `identify`, ...
fn describe(message: &Value) -> String {
    let call = message
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("message");
    let name = match call {
        "track" => message.get("event"),
        "page" | "screen" => message.get("name"),
        _ => None,
    };
    match name.and_then(Value::as_str) {
        Some(name) => format!("{call} \"{name}\""),
        None => call.to_owned(),
    }
}

fn display(violation: &Violation) -> String {
    if violation.path.is_empty() {
        format!("{} ({})", violation.message, violation.rule)
    } else {
        format!(
            "{}: {} ({})",
            violation.path, violation.message, violation.rule
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_check(input: &str) -> (Summary, String) {
        check_on(Platform::Segment, input)
    }

    fn check_on(platform: Platform, input: &str) -> (Summary, String) {
        let mut out = Vec::new();
        let summary = check(
            input.as_bytes(),
            &Validator::without_plan(),
            platform,
            "e.ndjson",
            &mut out,
        )
        .unwrap();
        (summary, String::from_utf8(out).unwrap())
    }

    fn identify(padding: usize) -> String {
        format!(
            r#"{{"type": "identify", "userId": "u", "traits": {{"bio": "{}"}}}}"#,
            "x".repeat(padding)
        )
    }

    #[test]
    fn a_message_over_32_kib_is_refused_like_the_collector_refuses_it() {
        let at_limit = identify(32 * 1024 - identify(0).len());
        let over = identify(40_000);
        let (summary, out) = run_check(&format!("{at_limit}\n{over}\n"));
        assert_eq!(
            (summary.messages, summary.invalid, summary.refused),
            (2, 0, 1)
        );
        assert!(
            out.starts_with(
                "e.ndjson:2: identify: refused (400): the message has 40,058 bytes, over \
                 Segment's limit of 32,768 per message"
            ),
            "{out}"
        );
        assert!(summary.failed());
        assert!(summary.to_string().ends_with("; 1 refused for their size"));

        let (summary, out) = check_on(Platform::RudderStack, &format!("{over}\n"));
        assert_eq!((summary.refused, out.as_str()), (0, ""));
    }

    #[test]
    fn every_message_of_an_oversize_batch_line_is_refused() {
        let line = format!(r#"{{"batch": [{}, {}]}}"#, identify(10), identify(40_000));
        let (summary, out) = run_check(&line);
        assert_eq!((summary.messages, summary.refused), (2, 2));
        let refused: Vec<_> = out.lines().collect();
        assert!(
            refused[0].starts_with(
                "e.ndjson:1: batch[0]: identify: refused (400): batch[1] has 40,058 bytes"
            ),
            "{out}"
        );
        assert!(
            refused[1].starts_with("e.ndjson:1: batch[1]: identify: refused (400): batch[1] has"),
            "{out}"
        );
    }

    #[test]
    fn each_violation_is_one_line_with_its_line_number() {
        let input = concat!(
            "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"A\"}\n",
            "\n",
            "{\"type\":\"group\"}\n",
        );
        let (summary, out) = run_check(input);
        assert_eq!(
            summary,
            Summary {
                messages: 2,
                invalid: 1,
                violations: 2,
                refused: 0,
                unreadable_lines: 0
            }
        );
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines
                .iter()
                .all(|line| line.starts_with("e.ndjson:3: group: ")),
            "{out}"
        );
        assert!(summary.failed());
    }

    #[test]
    fn batch_lines_count_each_message() {
        let input = "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"A\"},{\"type\":\"track\",\"userId\":\"u\"}]}\n";
        let (summary, out) = run_check(input);
        assert_eq!((summary.messages, summary.invalid), (2, 1));
        assert!(
            out.starts_with("e.ndjson:1: batch[1]: track: /event: "),
            "{out}"
        );
    }

    #[test]
    fn unreadable_lines_are_reported_and_fail_the_run() {
        let (summary, out) = run_check("not json\n[1]\n");
        assert_eq!(summary.unreadable_lines, 2);
        assert!(out.contains("e.ndjson:1: not JSON"), "{out}");
        assert!(out.contains("e.ndjson:2: not a message"), "{out}");
        assert!(summary.failed());
        assert!(summary
            .to_string()
            .ends_with("2 lines are not JSON messages"));
    }

    #[test]
    fn a_clean_log_passes() {
        let (summary, out) = run_check("{\"type\":\"identify\",\"anonymousId\":\"a\"}\n");
        assert!(!summary.failed());
        assert_eq!(out, "");
        assert_eq!(
            summary.to_string(),
            "checked 1 messages: 1 valid, 0 invalid (0 violations)"
        );
    }
}
