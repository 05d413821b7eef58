//! `#[event(plan = "...")]` and `#[traits(plan = "...", call = "group")]`: hand the item's wire
//! names and types to [`super::plan_check::check`], which compares them with the plan.

use trackplan_plan::Call;

use super::ast::Container;
use super::ctxt::Ctxt;
use super::plan_check::{self, PlanCheckField, PlanCheckInput, PlanChecked};
use super::Derive;

/// What the plan check adds to the expansion; `None` when the item names no plan or the check
/// failed (its errors are in `cx`).
pub fn check_against_plan(cx: &Ctxt, container: &Container<'_>) -> Option<PlanChecked> {
    let plan_path = container.attrs.plan.as_ref()?;
    let call = match container.derive {
        Derive::Event => Call::Track,
        Derive::Traits => container
            .attrs
            .call
            .map_or(Call::Identify, |(call, _)| call),
        Derive::Properties | Derive::Enum => return None,
    };
    let krate = crate::facade_path::or_default(container.attrs.krate.as_ref());
    let input = PlanCheckInput {
        plan_path,
        call,
        name: container
            .event_name
            .as_ref()
            .map(|name| (name.value.as_str(), name.span)),
        fields: container
            .sent_fields()
            .map(|field| PlanCheckField {
                wire_name: &field.wire.value,
                ty: field.ty,
                span: field.wire.span,
                serde: field.attrs.serde,
                pii: field.attrs.pii.map(|pii| pii.mark),
            })
            .collect(),
        item_span: container.ident.span(),
        krate: &krate,
        version: container.attrs.version.map(|(version, _)| version),
        consent: &container.attrs.consent,
    };
    plan_check::check(cx, &input)
}
