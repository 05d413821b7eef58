//! Arbitrary schemas through lint and diff: nothing panics, `$ref` cycles and odd keyword types
//! included, and the basic laws hold (a plan has no changes against itself; lint is
//! deterministic; a diff and its reverse agree on what was added and removed).

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use trackplan_plan::diff::{diff, ChangeKind};
use trackplan_plan::lint::{lint, LintConfig};
use trackplan_plan::{Call, Plan, PlanShape, Rule};

/// Names that collide, look dynamic, need escaping in pointers, or are plain.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("order_id".to_owned()),
        Just("Order ID".to_owned()),
        Just("a/b~c".to_owned()),
        Just("feature_1".to_owned()),
        Just(String::new()),
        "[a-zA-Z _#0-9]{1,12}",
    ]
}

/// Schema-ish JSON: real keywords with values of the right and the wrong JSON types.
fn schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(json!({})),
        Just(json!(true)),
        Just(json!({"type": "string", "pattern": "^a", "minLength": 1})),
        Just(json!({"type": ["integer", "null"], "minimum": 0})),
        Just(json!({"type": "number", "maximum": "ten"})),
        Just(json!({"enum": ["a", 1, null]})),
        Just(json!({"const": "x"})),
        Just(json!({"type": 7})),
        Just(json!({"$ref": "#/definitions/Node"})),
        Just(json!({"$ref": "#/$defs/Missing"})),
        Just(json!({"$ref": 3})),
        Just(json!({"items": [{"type": "string"}, {}]})),
        Just(json!({"required": "oops", "properties": []})),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            (prop::collection::vec((name(), inner.clone()), 0..5), prop::collection::vec(name(), 0..3), any::<bool>()).prop_map(
                |(properties, required, closed)| {
                    let properties: Map<String, Value> = properties.into_iter().collect();
                    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": !closed})
                }
            ),
            inner.clone().prop_map(|items| json!({"type": "array", "items": items})),
            inner.prop_map(|extra| json!({"type": "object", "additionalProperties": extra})),
        ]
    })
}

fn plan() -> impl Strategy<Value = Plan> {
    let rule = (
        name(),
        schema(),
        schema(),
        any::<bool>(),
        prop::option::of(0u64..3),
    )
        .prop_map(|(name, payload, node, payload_required, version)| {
            let mut definitions = Map::new();
            definitions.insert("Node".to_owned(), node);
            Rule {
                call: Call::Track,
                name,
                version,
                description: None,
                payload,
                payload_required,
                pointer: "/rules/0".to_owned(),
                definitions,
            }
        });
    (prop::collection::vec(rule, 0..5), any::<bool>()).prop_map(|(rules, sanitized)| Plan {
        name: "fuzz".to_owned(),
        id: None,
        shape: if sanitized {
            PlanShape::TypewriterSanitized
        } else {
            PlanShape::PublicApi
        },
        rules,
    })
}

fn count(d: &trackplan_plan::diff::PlanDiff, kind: ChangeKind) -> usize {
    d.changes.iter().filter(|c| c.kind == kind).count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn lint_never_panics_and_is_deterministic(plan in plan()) {
        let first = lint(&plan, &LintConfig::default());
        let second = lint(&plan, &LintConfig::default());
        prop_assert_eq!(&first, &second);
        let _ = (first.to_text(), first.to_json());
    }

    #[test]
    fn a_plan_has_no_changes_against_itself(plan in plan()) {
        prop_assert_eq!(diff(&plan, &plan).changes, vec![]);
    }

    #[test]
    fn diff_never_panics_and_mirrors_additions_and_removals(old in plan(), new in plan()) {
        let forward = diff(&old, &new);
        let backward = diff(&new, &old);
        prop_assert_eq!(count(&forward, ChangeKind::EventAdded), count(&backward, ChangeKind::EventRemoved));
        prop_assert_eq!(count(&forward, ChangeKind::EventRemoved), count(&backward, ChangeKind::EventAdded));
        let _ = (forward.to_text(), forward.to_json(), forward.to_markdown());
    }
}
