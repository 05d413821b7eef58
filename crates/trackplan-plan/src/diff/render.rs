//! A [`PlanDiff`] as text (terminals, CI logs), JSON (tools) or Markdown (a pull-request comment).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{Change, Compatibility, PlanDiff};
use crate::Call;

impl PlanDiff {
    /// One line per change, breaking first, then a summary line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for class in [Compatibility::Breaking, Compatibility::Compatible] {
            for change in self.changes.iter().filter(|c| c.compatibility() == class) {
                let _ = writeln!(
                    out,
                    "{:<10} {:<28} {}: {}",
                    class.as_str(),
                    change.kind.as_str(),
                    subject(change),
                    change.detail
                );
            }
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// `{"old", "new", "breaking", "compatible", "changes": [{"class", "kind", "call", "event",
    /// "property", "detail", "pointer", "file"}]}`; `file` says which file `pointer` is in.
    pub fn to_json(&self) -> Value {
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|c| {
                json!({
                    "class": c.compatibility().as_str(),
                    "kind": c.kind.as_str(),
                    "call": c.call.as_str(),
                    "event": c.event,
                    "property": c.property,
                    "detail": c.detail,
                    "pointer": c.pointer,
                    "file": c.side.as_str(),
                })
            })
            .collect();
        json!({
            "old": self.old_name,
            "new": self.new_name,
            "breaking": self.count(Compatibility::Breaking),
            "compatible": self.count(Compatibility::Compatible),
            "changes": changes,
        })
    }

    /// A pull-request comment: a verdict, a table of breaking changes, and the compatible ones
    /// folded away.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let verdict = if self.has_breaking() {
            ":warning:"
        } else {
            ":white_check_mark:"
        };
        let _ = writeln!(
            out,
            "### {verdict} Tracking plan changes: {}\n",
            self.summary()
        );
        let breaking: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| c.compatibility() == Compatibility::Breaking)
            .collect();
        let compatible: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| c.compatibility() == Compatibility::Compatible)
            .collect();
        if !breaking.is_empty() {
            out.push_str("**Breaking**: events already sent may fail validation, or consumers lose data.\n\n");
            markdown_table(&mut out, &breaking);
        }
        if !compatible.is_empty() {
            let _ = writeln!(
                out,
                "<details><summary>Compatible changes ({})</summary>\n",
                compatible.len()
            );
            markdown_table(&mut out, &compatible);
            out.push_str("</details>\n");
        }
        out
    }

    fn summary(&self) -> String {
        let breaking = self.count(Compatibility::Breaking);
        let compatible = self.count(Compatibility::Compatible);
        if breaking + compatible == 0 {
            return "no changes".to_owned();
        }
        format!(
            "{}, {}",
            plural(breaking, "breaking change"),
            plural(compatible, "compatible change")
        )
    }
}

fn subject(change: &Change) -> String {
    let event = match (change.call, change.event.is_empty()) {
        (Call::Track, _) => format!("event `{}`", change.event),
        (call, true) => format!("{} {}", call.as_str(), call.payload_key()),
        (call, false) => format!("{} `{}`", call.as_str(), change.event),
    };
    match &change.property {
        Some(path) => format!("{event}, property `{path}`"),
        None => event,
    }
}

fn markdown_table(out: &mut String, changes: &[&Change]) {
    out.push_str("| Event | Property | Change | Details |\n|---|---|---|---|\n");
    for change in changes {
        let event = if change.event.is_empty() && change.call != Call::Track {
            change.call.as_str().to_owned()
        } else {
            md_code(&change.event)
        };
        let property = change.property.as_deref().map(md_code).unwrap_or_default();
        let _ = writeln!(
            out,
            "| {event} | {property} | `{}` | {} |",
            change.kind.as_str(),
            md_text(&change.detail)
        );
    }
    out.push('\n');
}

/// `text` as an inline code span inside a table cell: a fence longer than any backtick run in
/// it, and `|` escaped (GitHub splits cells on `|` even inside code spans).
fn md_code(text: &str) -> String {
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", text.replace('|', "\\|"))
}

/// Plain text in a table cell: pipes escaped, line breaks flattened.
fn md_text(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(md_code("Order Completed"), "`Order Completed`");
        assert_eq!(md_code("a|b"), "`a\\|b`");
        assert_eq!(md_code("x `y` z"), "``x `y` z``");
        assert_eq!(md_code("`edge"), "`` `edge ``");
    }
}
