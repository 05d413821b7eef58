//! Problems found while reading a plan: every one of them, each with where and how to fix it.

use std::fmt;

/// One problem in a plan file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// JSON pointer (RFC 6901) to the offending value; empty for the whole document.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it, when there is something obvious.
    pub hint: Option<String>,
}

impl PlanError {
    /// A problem at `pointer` (RFC 6901; empty for the whole document).
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        PlanError {
            pointer: pointer.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// Add what to do about it.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(document)"
        } else {
            &self.pointer
        };
        write!(f, "at {pointer}: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// Every problem of one plan file. `Display` names the file and lists them one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanErrors {
    /// The file as the user named it (or `<plan>` for text without a file).
    pub file: String,
    /// Never empty.
    pub errors: Vec<PlanError>,
}

impl PlanErrors {
    pub(crate) fn new(file: impl Into<String>, errors: Vec<PlanError>) -> Self {
        PlanErrors {
            file: file.into(),
            errors,
        }
    }
}

impl fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.as_slice() {
            [one] => write!(f, "{}: {one}", self.file),
            many => {
                write!(f, "{}: {} problems", self.file, many.len())?;
                for error in many {
                    write!(f, "\n  {error}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for PlanErrors {}

/// Append `token` to a JSON pointer, escaping `~` and `/` as RFC 6901 requires.
pub fn pointer_push(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(pointer_push("/rules", "a/b~c"), "/rules/a~1b~0c");
        assert_eq!(pointer_push("", "0"), "/0");
    }

    #[test]
    fn display_names_the_file_and_every_problem() {
        let one = PlanErrors::new(
            "plan.json",
            vec![PlanError::new("/rules", "bad").hint("fix it")],
        );
        assert_eq!(one.to_string(), "plan.json: at /rules: bad; fix it");
        let two = PlanErrors::new(
            "p.json",
            vec![PlanError::new("", "a"), PlanError::new("/x", "b")],
        );
        assert_eq!(
            two.to_string(),
            "p.json: 2 problems\n  at (document): a\n  at /x: b"
        );
    }
}
