//! trackplan-plan: tracking plans as data, with no code generation in sight.
//!
//! - The crate root: read a tracking plan (any shape) into one normalised model ([`Plan`]).
//! - [`schema`]: the one view of a rule's JSON Schema (types, `$ref`s, properties) that the
//!   lint, the diff, the derive's plan check and codegen's schema lowering share.
//! - [`conventions`]: Segment's naming rules (Title Case events, property cases, "did you mean").
//! - [`lint`], [`diff`]: plan lifecycle checks for CI; [`coverage`]: which rules recorded
//!   messages exercise.
//!
//! ```
//! use trackplan_plan::{Call, LoadOptions};
//!
//! let text = r#"{ "rules": [ { "key": "Order Completed", "type": "TRACK", "version": 2,
//!     "jsonSchema": { "properties": { "properties": { "type": "object" } } } } ] }"#;
//! let plan = trackplan_plan::parse(text, &LoadOptions::default()).unwrap();
//! assert_eq!(plan.rules[0].call, Call::Track);
//! assert_eq!(plan.rules[0].name, "Order Completed");
//! assert_eq!(plan.rules[0].version, Some(2));
//! ```

pub mod conventions;
pub mod coverage;
pub mod diff;
mod error;
pub mod lint;
mod model;
pub mod pii;
mod read;
pub mod schema;

use std::collections::BTreeMap;
use std::path::Path;

pub use error::{pointer_push, PlanError, PlanErrors};
pub use model::{Call, Plan, PlanShape, Rule, CONSENT_CATEGORIES_KEY, CONSENT_KEY};

/// How to read a plan: version pins and the file name used in messages.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pins: BTreeMap<(Call, String), u64>,
    file_name: Option<String>,
}

impl LoadOptions {
    /// Take `version` of the rule for (`call`, wire `name`) instead of the newest. Identify and
    /// group rules have the empty name.
    #[must_use]
    pub fn pin(mut self, call: Call, name: impl Into<String>, version: u64) -> Self {
        self.pins.insert((call, name.into()), version);
        self
    }

    /// The file name errors mention (default `<plan>` for [`parse`], the path for [`load`]).
    #[must_use]
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }
}

/// Read a version pin written `CALL:NAME=VERSION` (`track:Order Completed=2`; `identify:=3` for
/// the identify rule, whose name is empty), as `trackplan generate --pin` and `plan!(.., pin =
/// "...")` take it. The error says how to write one.
pub fn parse_pin(pin: &str) -> Result<(Call, String, u64), String> {
    let usage =
        || format!("bad pin `{pin}`: write CALL:NAME=VERSION, such as `track:Order Completed=2`");
    let (call, rest) = pin.split_once(':').ok_or_else(usage)?;
    let (name, version) = rest.rsplit_once('=').ok_or_else(usage)?;
    let call = match call.to_ascii_lowercase().as_str() {
        "track" => Call::Track,
        "identify" => Call::Identify,
        "group" => Call::Group,
        "page" => Call::Page,
        "screen" => Call::Screen,
        _ => return Err(format!("{}: unknown call `{call}`", usage())),
    };
    let version = version.trim().parse().map_err(|_| usage())?;
    Ok((call, name.to_owned(), version))
}

/// Read a plan from JSON text. Every problem is reported at once.
pub fn parse(text: &str, opts: &LoadOptions) -> Result<Plan, PlanErrors> {
    read::read(text, opts).map_err(|errors| {
        PlanErrors::new(
            opts.file_name
                .clone()
                .unwrap_or_else(|| "<plan>".to_owned()),
            errors,
        )
    })
}

/// Read a plan file with default options (newest version of every rule).
pub fn load(path: impl AsRef<Path>) -> Result<Plan, PlanErrors> {
    load_with(path, &LoadOptions::default())
}

/// Read a plan file with `opts`; errors name the file as given unless `opts` names it.
pub fn load_with(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Plan, PlanErrors> {
    let path = path.as_ref();
    let file = opts
        .file_name
        .clone()
        .unwrap_or_else(|| path.display().to_string());
    let text = std::fs::read_to_string(path).map_err(|e| {
        PlanErrors::new(
            file.clone(),
            vec![PlanError::new("", format!("cannot read the file: {e}"))
                .hint("check the path; relative paths start at the crate's directory")],
        )
    })?;
    read::read(&text, opts).map_err(|errors| PlanErrors::new(file, errors))
}

impl Rule {
    /// The payload schema with [`Rule::definitions`] placed under both `definitions` and
    /// `$defs`, so `#/definitions/X` and `#/$defs/X` resolve when validating it on its own.
    pub fn standalone_schema(&self) -> serde_json::Value {
        let mut schema = self.payload.clone();
        if let (serde_json::Value::Object(map), false) = (&mut schema, self.definitions.is_empty())
        {
            for key in ["definitions", "$defs"] {
                let slot = map
                    .entry(key)
                    .or_insert_with(|| serde_json::Value::Object(Default::default()));
                if let serde_json::Value::Object(defs) = slot {
                    for (name, def) in &self.definitions {
                        defs.entry(name.clone()).or_insert_with(|| def.clone());
                    }
                }
            }
        }
        schema
    }
}
