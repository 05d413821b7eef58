//! The checks of issue #3 that need no type information: naming conventions, event names,
//! duplicate and empty wire names. Each reports on the span of the name it is about, and all of
//! them run, so one build shows every problem of the item.
//!
//! Reserved properties (`revenue`, `value`, `currency`) and unsupported field types need types:
//! the expansion asserts them on each field's type (see `expand.rs`).
//!
//! An item checked against a plan (`plan = "..."`) takes its names from the plan, whatever
//! conventions the plan follows: the naming-convention checks are skipped for it, since the plan
//! check already reports every name the plan does not have. Empty and duplicate names are still
//! errors.

use std::collections::HashSet;

use super::ast::{Container, Data, WireName};
use super::attr::Constraints;
use super::ctxt::Ctxt;
use super::Derive;
use crate::schema::ir::CHECKED_FORMATS;
use trackplan_plan::conventions::{self, Case};

pub fn check(cx: &Ctxt, container: &Container<'_>) {
    let names_from_plan = container.attrs.plan.is_some();
    if let Some(name) = &container.event_name {
        check_event_name(cx, name, container.attrs.allow_name || names_from_plan);
    }
    match &container.data {
        None => {}
        Some(Data::Struct(_)) => {
            for field in container.sent_fields() {
                check_constraints(cx, &field.attrs.constraints);
            }
            let names: Vec<&WireName> = container.sent_fields().map(|f| &f.wire).collect();
            for name in &names {
                check_property_name(
                    cx,
                    container.derive,
                    container.attrs.case,
                    name,
                    names_from_plan,
                );
            }
            check_duplicates(cx, &names, "property");
        }
        Some(Data::Enum(variants)) => {
            let values: Vec<&WireName> = variants.iter().map(|v| &v.wire).collect();
            for value in &values {
                if value.value.is_empty() {
                    cx.error_at(value.span, "empty enum value: give the string sent for this variant, as in `#[property(rename = \"free\")]`");
                }
            }
            check_duplicates(cx, &values, "enum value");
        }
    }
}

/// `allow_name`: any non-empty name is accepted (`allow_name`, or a name the plan checks).
fn check_event_name(cx: &Ctxt, name: &WireName, allow_name: bool) {
    if name.value.trim().is_empty() {
        cx.error_at(
            name.span,
            "empty event name: give the name sent as `event`, as in `#[event(name = \"Order Completed\")]`",
        );
        return;
    }
    if allow_name || conventions::is_title_case_event(&name.value) {
        return;
    }
    let origin = if name.explicit {
        ""
    } else {
        " (from the struct name)"
    };
    let fix = match (conventions::suggest_event_name(&name.value), name.explicit) {
        (Some(suggestion), _) => format!("write `#[event(name = \"{suggestion}\")]`"),
        (None, true) => "name the object and the action, as in `Order Completed`".to_owned(),
        (None, false) => "name the event with `#[event(name = \"Object Action\")]`".to_owned(),
    };
    cx.error_at(
        name.span,
        format!(
            "event name `{}`{origin} is not Title Case \"Object Action\" like `Order Completed`: {fix}, or keep a legacy name with `#[event(name = \"...\", allow_name)]`",
            name.value
        ),
    );
}

/// `any_case`: the name comes from a plan, which is the authority on its spelling.
fn check_property_name(cx: &Ctxt, derive: Derive, case: Case, name: &WireName, any_case: bool) {
    if name.value.is_empty() {
        cx.error_at(
            name.span,
            "empty property name: give the name sent on the wire, as in `#[property(rename = \"order_id\")]`",
        );
        return;
    }
    if any_case
        || case.matches(&name.value)
        || (derive == Derive::Traits && conventions::is_reserved_trait(&name.value))
    {
        return;
    }
    let suggestion = case.suggest(&name.value);
    let fix = match (&suggestion, name.explicit) {
        (Some(s), true) => format!("write `#[property(rename = \"{s}\")]`"),
        (Some(s), false) => {
            format!(
                "rename the field `{s}`, or send another name with `#[property(rename = \"{s}\")]`"
            )
        }
        (None, _) => format!("rename it in {}", case.name()),
    };
    let other_case = if case == Case::Snake {
        format!(
            "; a whole item can follow another convention with `#[{}(case = \"camelCase\")]`",
            derive.container_attr()
        )
    } else {
        String::new()
    };
    let reserved = if derive == Derive::Traits {
        " (Segment's reserved traits such as `firstName` and `createdAt` are accepted as they are)"
    } else {
        ""
    };
    cx.error_at(
        name.span,
        format!(
            "property name `{}` is not {}{reserved}: {fix}{other_case}",
            name.value,
            case.name()
        ),
    );
}

/// Constraints that no value could meet, or that codegen could not check: a pattern that is not
/// ECMA-262 (the plan's dialect, compiled with `regress` as `plan!` does), a lower bound above
/// its upper bound, an unknown `format`. Constraints on the wrong kind of field fail on their
/// trait bound instead (see `constraint.rs`).
fn check_constraints(cx: &Ctxt, constraints: &Constraints) {
    if let Some(pattern) = &constraints.pattern {
        if let Err(e) = regress::Regex::new(&pattern.value()) {
            cx.error_spanned_by(
                pattern,
                format!("`pattern` is not an ECMA-262 regular expression: {e}"),
            );
        }
    }
    if let Some(format) = &constraints.format {
        let name = format.value();
        if name != "date-time" && !CHECKED_FORMATS.contains(&name.as_str()) {
            cx.error_spanned_by(
                format,
                format!(
                    "unknown format {name:?}; use one of `date-time`, {}",
                    CHECKED_FORMATS
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    let c = constraints;
    // (lower, upper, whether equal bounds leave no value): each pair reported on the upper key.
    let numbers = [
        (("min", c.min), ("max", c.max), false),
        (("exclusive_min", c.exclusive_min), ("max", c.max), true),
        (("min", c.min), ("exclusive_max", c.exclusive_max), true),
        (
            ("exclusive_min", c.exclusive_min),
            ("exclusive_max", c.exclusive_max),
            true,
        ),
    ];
    for ((low_key, low), (high_key, high), strict) in numbers {
        if let (Some((low, _)), Some((high, span))) = (low, high) {
            if low > high || (strict && low == high) {
                cx.error_at(
                    span,
                    format!("`{low_key} = {low}` and `{high_key} = {high}` leave no value that meets both: swap or fix them"),
                );
            }
        }
    }
    let counts = [
        (("min_length", c.min_length), ("max_length", c.max_length)),
        (("min_items", c.min_items), ("max_items", c.max_items)),
    ];
    for ((low_key, low), (high_key, high)) in counts {
        if let (Some((low, _)), Some((high, span))) = (low, high) {
            if low > high {
                cx.error_at(
                    span,
                    format!("`{low_key} = {low}` and `{high_key} = {high}` leave no value that meets both: swap or fix them"),
                );
            }
        }
    }
}

/// A wire name given twice is an error on the second occurrence.
fn check_duplicates(cx: &Ctxt, names: &[&WireName], what: &str) {
    let mut seen: HashSet<&str> = HashSet::new();
    for name in names {
        if name.value.is_empty() {
            continue;
        }
        if !seen.insert(&name.value) {
            cx.error_at(
                name.span,
                format!(
                    "duplicate {what} `{}`: an earlier one already sends it; rename one of them with `#[property(rename = \"...\")]`",
                    name.value
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::{parse_quote, DeriveInput};

    use super::*;

    /// The messages `check` reports for `input` under `derive`.
    fn messages(derive: Derive, input: &DeriveInput) -> Vec<String> {
        let cx = Ctxt::new();
        let container = Container::from_ast(&cx, derive, input);
        check(&cx, &container);
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn conventions_are_checked_without_a_plan() {
        let input: DeriveInput = parse_quote! {
            #[event(name = "sign_in_failed")]
            struct SignInFailed { #[property(rename = "numAttempts")] attempts: i64 }
        };
        let messages = messages(Derive::Event, &input);
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(messages[0].contains("not Title Case"), "{messages:#?}");
        assert!(messages[1].contains("not snake_case"), "{messages:#?}");
    }

    #[test]
    fn a_plan_is_the_authority_on_names() {
        let event: DeriveInput = parse_quote! {
            #[event(name = "sign_in_failed", plan = "plan.json")]
            struct SignInFailed { #[property(rename = "numAttempts")] attempts: i64, rememberMe: bool }
        };
        assert_eq!(messages(Derive::Event, &event), Vec::<String>::new());
        let traits: DeriveInput = parse_quote! {
            #[traits(plan = "plan.json")]
            struct UserTraits { #[property(rename = "Favourite Colour")] colour: String }
        };
        assert_eq!(messages(Derive::Traits, &traits), Vec::<String>::new());
    }

    #[test]
    fn a_plan_keeps_empty_and_duplicate_names_errors() {
        let input: DeriveInput = parse_quote! {
            #[event(name = " ", plan = "plan.json")]
            struct SignInFailed {
                #[property(rename = "numAttempts")] attempts: i64,
                #[property(rename = "numAttempts")] tries: i64,
                #[property(rename = "")] nothing: bool,
            }
        };
        let messages = messages(Derive::Event, &input);
        assert_eq!(messages.len(), 3, "{messages:#?}");
        assert!(messages[0].contains("empty event name"), "{messages:#?}");
        assert!(messages[1].contains("empty property name"), "{messages:#?}");
        assert!(
            messages[2].contains("duplicate property `numAttempts`"),
            "{messages:#?}"
        );
    }
}
