//! A [`CoverageReport`] as text (terminals, CI logs), JSON (tools; the keys are documented in the
//! README and stable) or Markdown (a pull-request comment).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{CoverageReport, RuleCoverage, Unplanned};
use crate::Call;

impl CoverageReport {
    /// A table of rules, then unplanned messages and unreadable input, then the figures.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let width = self
            .rules
            .iter()
            .map(|r| rule_label(r).chars().count())
            .chain(
                self.unplanned
                    .iter()
                    .map(|u| unplanned_label(u).chars().count()),
            )
            .max()
            .unwrap_or(0)
            .max("RULE".len());
        let _ = writeln!(
            out,
            "{:<width$}  {:>6}  {:>6}  {:>7}  UNSEEN PROPERTIES",
            "RULE", "SEEN", "VALID", "INVALID"
        );
        for rule in &self.rules {
            let row = format!(
                "{:<width$}  {:>6}  {:>6}  {:>7}  {}",
                rule_label(rule),
                rule.seen,
                rule.valid,
                rule.invalid,
                rule.unseen_properties.join(", ")
            );
            out.push_str(row.trim_end());
            out.push('\n');
        }
        if !self.unplanned.is_empty() {
            out.push_str("\nUNPLANNED\n");
            for unplanned in &self.unplanned {
                let _ = writeln!(
                    out,
                    "{:<width$}  {:>6}",
                    unplanned_label(unplanned),
                    unplanned.seen
                );
            }
        }
        if !self.unreadable.is_empty() {
            let _ = writeln!(out, "\nUNREADABLE ({})", self.unreadable.len());
            for line in &self.unreadable {
                let _ = writeln!(out, "{}: {}", line.location, line.reason);
            }
        }
        out.push('\n');
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// `{"messages", "rules": [{"call", "name", "seen", "valid", "invalid",
    /// "unseen_properties"}], "unplanned": [{"call", "name", "seen"}], "unreadable":
    /// [{"location", "reason"}], "rules_covered_pct", "properties_covered_pct", "note"}`.
    pub fn to_json(&self) -> Value {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|r| {
                json!({
                    "call": r.call.as_str(),
                    "name": r.name,
                    "seen": r.seen,
                    "valid": r.valid,
                    "invalid": r.invalid,
                    "unseen_properties": r.unseen_properties,
                })
            })
            .collect();
        let unplanned: Vec<Value> = self
            .unplanned
            .iter()
            .map(|u| json!({"call": u.call, "name": u.name, "seen": u.seen}))
            .collect();
        let unreadable: Vec<Value> = self
            .unreadable
            .iter()
            .map(|u| json!({"location": u.location, "reason": u.reason}))
            .collect();
        json!({
            "messages": self.messages,
            "rules": rules,
            "unplanned": unplanned,
            "unreadable": unreadable,
            "rules_covered_pct": self.rules_covered_pct,
            "properties_covered_pct": self.properties_covered_pct,
            "note": self.note,
        })
    }

    /// A pull-request comment: the figures, then the rules never seen or with invalid
    /// messages, with the whole table folded away.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### Tracking plan coverage: {}\n", self.summary());
        let attention: Vec<&RuleCoverage> = self
            .rules
            .iter()
            .filter(|r| r.seen == 0 || r.invalid > 0)
            .collect();
        if !attention.is_empty() {
            out.push_str("**Never seen or invalid**\n\n");
            markdown_rules(&mut out, &attention);
        }
        if !self.unplanned.is_empty() {
            out.push_str("\n**Unplanned**\n\n| Message | Seen |\n|---|---:|\n");
            for unplanned in &self.unplanned {
                let _ = writeln!(
                    out,
                    "| {} | {} |",
                    cell(&unplanned_label(unplanned)),
                    unplanned.seen
                );
            }
        }
        if !self.unreadable.is_empty() {
            let _ = writeln!(out, "\n**Unreadable input** ({})\n", self.unreadable.len());
            for line in &self.unreadable {
                let _ = writeln!(out, "- `{}`: {}", line.location, cell(&line.reason));
            }
        }
        let _ = writeln!(
            out,
            "\n<details><summary>Every rule ({})</summary>\n",
            self.rules.len()
        );
        markdown_rules(&mut out, &self.rules.iter().collect::<Vec<_>>());
        out.push_str("</details>\n");
        out
    }

    fn summary(&self) -> String {
        let mut line = format!(
            "{} messages; rules covered {}/{} ({:.1}%), properties covered {}/{} ({:.1}%)",
            self.messages,
            self.rules_seen,
            self.rules.len(),
            self.rules_covered_pct,
            self.properties_seen,
            self.properties,
            self.properties_covered_pct
        );
        if let Some(note) = &self.note {
            let _ = write!(line, ": {note}");
        }
        line
    }
}

fn markdown_rules(out: &mut String, rules: &[&RuleCoverage]) {
    out.push_str(
        "| Rule | Seen | Valid | Invalid | Unseen properties |\n|---|---:|---:|---:|---|\n",
    );
    for rule in rules {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&rule_label(rule)),
            rule.seen,
            rule.valid,
            rule.invalid,
            cell(&rule.unseen_properties.join(", "))
        );
    }
}

/// Table cells cannot hold `|` or line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `track "Order Completed"`, `identify`, `page` (the unnamed rule).
fn rule_label(rule: &RuleCoverage) -> String {
    label(rule.call.as_str(), &rule.name, rule.call == Call::Track)
}

fn unplanned_label(unplanned: &Unplanned) -> String {
    let call = if unplanned.call.is_empty() {
        "(no type)"
    } else {
        &unplanned.call
    };
    label(call, &unplanned.name, unplanned.call == "track")
}

fn label(call: &str, name: &str, always_named: bool) -> String {
    if name.is_empty() && !always_named {
        call.to_owned()
    } else {
        format!("{call} \"{name}\"")
    }
}
