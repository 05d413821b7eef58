//! `trackplan push PLAN --plan-id ID`: make a Segment tracking plan's rules those of PLAN.
//!
//! Steps: read PLAN (any shape), read the remote plan (as `pull` does), classify the changes with
//! `trackplan diff`'s engine and print them. Without `--yes` that is all (a dry run). With it,
//! breaking changes are refused unless `--allow-breaking`; then the rules are replaced (`PUT`,
//! then `PATCH` upserts for every further [`MAX_RULES_PER_WRITE`], the API's per-request limit),
//! read back and compared with what was sent.
//!
//! Exit codes: 0 pushed, up to date or dry run; 1 refused (breaking changes without
//! `--allow-breaking`); 2 any error, which names the step that failed and what the remote plan
//! holds since.

mod rules;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context as _};
use reqwest::StatusCode;
use serde_json::{json, Value};
use trackplan_plan::diff::{self, Change, Compatibility};
use trackplan_plan::{self as plan, LoadOptions, Plan};

use super::public_api::{self, Access, Api, ApiError, Connection, MAX_RULES_PER_WRITE};
use rules::{RuleDelta, RuleInput};

#[derive(clap::Args)]
pub struct Args {
    /// The plan to push (any shape trackplan reads).
    plan: PathBuf,
    #[command(flatten)]
    connection: Connection,
    /// Apply the changes; without it nothing is written (a dry run).
    #[arg(long)]
    yes: bool,
    /// Push even when the changes break producers or consumers (as `trackplan diff` classifies).
    #[arg(long)]
    allow_breaking: bool,
    /// Output format of the changes; `markdown` is meant for a pull-request comment.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
}

/// How a push ended, as the JSON report's `outcome` says it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    DryRun,
    Refused,
    UpToDate,
    Applied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::DryRun => "dry-run",
            Outcome::Refused => "refused",
            Outcome::UpToDate => "up-to-date",
            Outcome::Applied => "applied",
        }
    }
}

/// The local plan, read once: its normalised model for the diff and its rules to send.
struct Local {
    plan: Plan,
    rules: Vec<RuleInput>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let local = read_local(&args.plan)?;
    let api = args.connection.api(if args.yes {
        Access::Write
    } else {
        Access::Read
    })?;
    let plan_id = args.connection.plan_id.as_str();
    let runtime = public_api::runtime()?;

    let remote_document = runtime
        .block_on(api.tracking_plan(plan_id))
        .map_err(|err| anyhow!("reading tracking plan `{plan_id}` failed: {err}"))?;
    let (remote_plan, remote_rules) = read_remote(&remote_document, plan_id)?;
    let changes = diff::diff(&remote_plan, &local.plan);
    let delta = rules::compare(&local.rules, &remote_rules);
    // Text and Markdown show the changes before anything is written; JSON reports at the end.
    match args.format {
        Format::Text => print!("{}", changes.to_text()),
        Format::Markdown => print!("{}", changes.to_markdown()),
        Format::Json => {}
    }
    let breaking: Vec<&Change> = changes
        .changes
        .iter()
        .filter(|c| c.compatibility() == Compatibility::Breaking)
        .collect();

    let outcome = if delta.is_empty() {
        eprintln!("tracking plan `{plan_id}` already has PLAN's rules; nothing to push");
        Outcome::UpToDate
    } else if !breaking.is_empty() && !args.allow_breaking {
        let verb = if args.yes {
            "refusing to push"
        } else {
            "a push would be refused"
        };
        eprintln!(
            "{verb}: {} breaking change(s); pass --allow-breaking to push them:\n{}",
            breaking.len(),
            breaking
                .iter()
                .map(|c| format!("  - {}", describe(c)))
                .collect::<Vec<_>>()
                .join("\n")
        );
        Outcome::Refused
    } else if !args.yes {
        eprintln!(
            "dry run: nothing was changed; {}; pass --yes to push",
            summary(&delta)
        );
        Outcome::DryRun
    } else {
        runtime.block_on(apply(&api, plan_id, &local.rules))?;
        eprintln!(
            "pushed {} rules to tracking plan `{plan_id}` ({}); read back and verified",
            local.rules.len(),
            summary(&delta)
        );
        Outcome::Applied
    };

    if args.format == Format::Json {
        let report = json!({
            "plan_id": plan_id,
            "outcome": outcome.as_str(),
            "rules": {
                "to_add": delta.absent,
                "to_remove": delta.extra,
                "to_change": delta.changed.iter().map(|(rule, _)| rule).collect::<Vec<_>>(),
            },
            "changes": changes.to_json(),
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(match outcome {
        Outcome::Refused => ExitCode::from(1),
        Outcome::DryRun | Outcome::UpToDate | Outcome::Applied => ExitCode::SUCCESS,
    })
}

fn read_local(path: &std::path::Path) -> anyhow::Result<Local> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let options = LoadOptions::default().file_name(path.display().to_string());
    let plan = plan::parse(&text, &options).map_err(|errors| anyhow!("{errors}"))?;
    // The reader accepted it, so it is a JSON object.
    let document: Value = serde_json::from_str(&text)?;
    let rules = rules::plan_rules(&document, &plan);
    Ok(Local { plan, rules })
}

fn read_remote(document: &Value, plan_id: &str) -> anyhow::Result<(Plan, Vec<RuleInput>)> {
    let text = serde_json::to_string(document)?;
    let options = LoadOptions::default().file_name(format!("remote plan `{plan_id}`"));
    let plan = plan::parse(&text, &options).map_err(|errors| anyhow!("{errors}"))?;
    Ok((plan, listed_rules(document)))
}

fn listed_rules(document: &Value) -> Vec<RuleInput> {
    document["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(RuleInput::from_public_api)
        .collect()
}

fn describe(change: &Change) -> String {
    let property = change
        .property
        .as_ref()
        .map(|p| format!(", property `{p}`"))
        .unwrap_or_default();
    format!(
        "{} {} `{}`{property}: {}",
        change.kind,
        change.call.as_str(),
        change.event,
        change.detail
    )
}

fn summary(delta: &RuleDelta) -> String {
    format!(
        "{} rule(s) to add, {} to remove, {} to change",
        delta.absent.len(),
        delta.extra.len(),
        delta.changed.len()
    )
}

/// Write `rules` in batches the API accepts, then read them back and compare. Every error says
/// which step failed and what the remote plan holds since.
async fn apply(api: &Api, plan_id: &str, rules: &[RuleInput]) -> anyhow::Result<()> {
    let bodies: Vec<Value> = rules.iter().map(RuleInput::to_json).collect();
    // An empty plan still needs its one replace.
    let batches: Vec<&[Value]> = if bodies.is_empty() {
        vec![&[]]
    } else {
        bodies.chunks(MAX_RULES_PER_WRITE).collect()
    };
    let total = batches.len();
    for (index, batch) in batches.iter().enumerate() {
        let first = index * MAX_RULES_PER_WRITE;
        let result = if index == 0 {
            api.replace_rules(plan_id, batch).await
        } else {
            api.update_rules(plan_id, batch).await
        };
        if let Err(err) = result {
            let step = format!(
                "writing rules {}-{} of {} (request {} of {total}, {})",
                first + 1,
                first + batch.len(),
                rules.len(),
                index + 1,
                if index == 0 {
                    "PUT replace"
                } else {
                    "PATCH update"
                },
            );
            let state = remote_state(index, first, &err);
            let cause = rejected_rules(&err, &rules[first..first + batch.len()], first)
                .unwrap_or_else(|| err.to_string());
            return Err(anyhow!("{step} failed: {cause}; {state}"));
        }
    }
    let read_back = api.tracking_plan(plan_id).await.map_err(|err| {
        anyhow!(
            "the rules were written, but reading them back failed: {err}; run `trackplan push` \
             again without --yes to compare"
        )
    })?;
    let delta = rules::compare(rules, &listed_rules(&read_back));
    if !delta.is_empty() {
        return Err(anyhow!(
            "read back from Segment, tracking plan `{plan_id}` differs from PLAN: {}",
            delta.describe("missing", "unexpected")
        ));
    }
    Ok(())
}

/// What the remote plan holds after request `index` (0-based) failed.
fn remote_state(index: usize, first: usize, err: &ApiError) -> String {
    match (index, err.status) {
        (0, Some(_)) => "the remote plan is unchanged".to_owned(),
        (0, None) => "the remote plan is unchanged unless Segment applied the request before the \
                      connection failed; run `trackplan push` without --yes to see"
            .to_owned(),
        _ => format!(
            "the remote plan is partly updated: it holds PLAN's first {first} rules and not the \
             rest; run the same push again to finish"
        ),
    }
}

/// A 422 about particular rules, its messages mapped from the request's indexes (`rules.3...`)
/// to the rules' names. `None` for any other error, or when no entry names a rule.
fn rejected_rules(err: &ApiError, batch: &[RuleInput], first: usize) -> Option<String> {
    if err.status != Some(StatusCode::UNPROCESSABLE_ENTITY) {
        return None;
    }
    let mapped: Vec<String> = err
        .problems
        .iter()
        .filter_map(|problem| {
            let index = [problem.field.as_deref(), problem.message.as_deref()]
                .into_iter()
                .flatten()
                .find_map(rule_index)?;
            let rule = batch.get(index)?;
            let message = problem.message.as_deref().unwrap_or("invalid");
            Some(format!(
                "{rule} (rule {} of PLAN's rules): {message}",
                first + index + 1
            ))
        })
        .collect();
    (!mapped.is_empty()).then(|| format!("Segment rejected {}", mapped.join("; ")))
}

/// The index in `rules.3.key`, `rules[3].key` or `body.rules.3`.
fn rule_index(text: &str) -> Option<usize> {
    text.match_indices("rules").find_map(|(at, word)| {
        let rest = text[at + word.len()..].strip_prefix(['.', '['])?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_indexes_are_found_in_fields_and_messages() {
        assert_eq!(rule_index("rules.3.jsonSchema"), Some(3));
        assert_eq!(rule_index("rules[12].key"), Some(12));
        assert_eq!(rule_index("body.rules.0"), Some(0));
        assert_eq!(
            rule_index("\"rules\" must contain less than or equal to 200 items"),
            None
        );
        assert_eq!(rule_index("rules"), None);
    }
}
