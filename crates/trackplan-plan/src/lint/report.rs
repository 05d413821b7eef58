//! A [`LintReport`] as text (compiler-style, for terminals and CI logs) or JSON (for tools).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{Finding, LintReport, Severity};
use crate::Call;

impl LintReport {
    /// Compiler-style text: one block per finding, then a summary line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for finding in &self.findings {
            write_finding(&mut out, finding);
        }
        let errors = self.count(Severity::Error);
        let warnings = self.count(Severity::Warning);
        if errors + warnings == 0 {
            out.push_str("no findings\n");
        } else {
            let _ = writeln!(
                out,
                "{}, {}",
                plural(errors, "error"),
                plural(warnings, "warning")
            );
        }
        out
    }

    /// `{"errors": n, "warnings": n, "findings": [{"rule", "severity", "call", "event",
    /// "property", "pointer", "message", "hint"}]}`.
    pub fn to_json(&self) -> Value {
        let findings: Vec<Value> = self
            .findings
            .iter()
            .map(|f| {
                json!({
                    "rule": f.rule.as_str(),
                    "severity": f.severity.as_str(),
                    "call": f.call.as_str(),
                    "event": f.event,
                    "property": f.property,
                    "pointer": f.pointer,
                    "message": f.message,
                    "hint": f.hint,
                })
            })
            .collect();
        json!({
            "errors": self.count(Severity::Error),
            "warnings": self.count(Severity::Warning),
            "findings": findings,
        })
    }
}

fn write_finding(out: &mut String, finding: &Finding) {
    let _ = writeln!(
        out,
        "{}[{}]: {}",
        finding.severity.as_str(),
        finding.rule,
        finding.message
    );
    let subject = match (finding.call, finding.event.is_empty()) {
        (Call::Track, _) => format!("event `{}`", finding.event),
        (call, true) => call.as_str().to_owned(),
        (call, false) => format!("{} `{}`", call.as_str(), finding.event),
    };
    let property = finding
        .property
        .as_ref()
        .map(|path| format!(", property `{path}`"))
        .unwrap_or_default();
    let _ = writeln!(out, "  --> {subject}{property} at {}", finding.pointer);
    let _ = writeln!(out, "  hint: {}\n", finding.hint);
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
