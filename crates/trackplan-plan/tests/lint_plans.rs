//! The real plans (trackplan-codegen's tests/fixtures, copied byte-identical from shared/plans) and the shipped
//! schemas/ecommerce.json through lint: no panics, reviewed snapshots of the findings, and the
//! findings each fixture exists to provoke asserted explicitly.

use std::path::PathBuf;

use trackplan_plan::lint::{lint, Finding, LintConfig, LintReport, RuleId, Severity};
use trackplan_plan::{self as plan, Plan};

fn path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn load(relative: &str) -> Plan {
    match plan::load(path(relative)) {
        Ok(plan) => plan,
        Err(errors) => panic!("{relative} should load: {errors}"),
    }
}

fn lint_file(relative: &str) -> LintReport {
    lint(&load(relative), &LintConfig::default())
}

fn found(report: &LintReport, rule: RuleId) -> Vec<&Finding> {
    report.findings.iter().filter(|f| f.rule == rule).collect()
}

fn events(findings: &[&Finding]) -> Vec<String> {
    findings.iter().map(|f| f.event.clone()).collect()
}

#[test]
fn typewriter_e2e_v1() {
    let report = lint_file("../trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json");
    insta::assert_snapshot!("typewriter_e2e_v1", report.to_text());
    assert!(report.has_errors(), "the collisions are errors");
    assert_eq!(
        events(&found(&report, RuleId::EventNameCollision)),
        ["event_collided"]
    );
    let collided = found(&report, RuleId::PropertyNameCollision);
    assert_eq!(events(&collided), ["Properties Collided"]);
    let dynamic = events(&found(&report, RuleId::DynamicName));
    assert!(
        dynamic.contains(&"42_--terrible==\\\"event'++name~!3".to_owned()),
        "{dynamic:?}"
    );
    assert!(
        dynamic.contains(&"Property Object Name Collision #1".to_owned()),
        "{dynamic:?}"
    );
    let sanitized = found(&report, RuleId::PropertyNameCase);
    assert!(sanitized
        .iter()
        .any(|f| f.property.as_deref() == Some("0000---terrible-property-name~!3")));
    // 8 events have a payload of just {"type": "object"}.
    assert_eq!(found(&report, RuleId::EmptyPropertiesSchema).len(), 8);
}

#[test]
fn typewriter_e2e_v2() {
    let report = lint_file("../trackplan-codegen/tests/fixtures/typewriter-e2e-v2.json");
    insta::assert_snapshot!("typewriter_e2e_v2", report.to_text());
    assert_eq!(
        events(&found(&report, RuleId::EventNameCollision)),
        ["event_collided"]
    );
}

#[test]
fn typewriter_example_v1() {
    let report = lint_file("../trackplan-codegen/tests/fixtures/typewriter-example-v1.json");
    insta::assert_snapshot!("typewriter_example_v1", report.to_text());
    assert!(!report.has_errors());
    let camel: Vec<Option<&str>> = found(&report, RuleId::PropertyNameCase)
        .iter()
        .map(|f| f.property.as_deref())
        .collect();
    assert!(
        camel.contains(&Some("numAttempts")) && camel.contains(&Some("rememberMe")),
        "{camel:?}"
    );
    assert!(!camel.contains(&Some("id")), "`id` is a reserved trait");
    assert!(
        found(&report, RuleId::EventNameTense).is_empty(),
        "Failed, Submitted, Succeeded, Signed Out"
    );
}

#[test]
fn typewriter_telemetry_v2() {
    let report = lint_file("../trackplan-codegen/tests/fixtures/typewriter-telemetry-v2.json");
    insta::assert_snapshot!("typewriter_telemetry_v2", report.to_text());
    // `config.trackingPlans[].required` lists `id` and `path`, and both are declared.
    assert!(found(&report, RuleId::RequiredUndeclared).is_empty());
    let untensed = events(&found(&report, RuleId::EventNameTense));
    assert!(
        untensed.contains(&"Command Build".to_owned())
            && untensed.contains(&"KitchenSink".to_owned()),
        "{untensed:?}"
    );
    assert_eq!(
        found(&report, RuleId::MissingDescription).len(),
        3,
        "three rules have no description"
    );
}

#[test]
fn ruddertyper_example_v2() {
    let report = lint_file("../trackplan-codegen/tests/fixtures/ruddertyper-example-v2.json");
    insta::assert_snapshot!("ruddertyper_example_v2", report.to_text());
    assert!(!report.has_errors());
    let spaced: Vec<Option<&str>> = found(&report, RuleId::PropertyNameCase)
        .iter()
        .map(|f| f.property.as_deref())
        .collect();
    assert!(spaced.contains(&Some("Sample property 1")), "{spaced:?}");
}

#[test]
fn the_shipped_ecommerce_plan_has_only_the_specs_own_quirk() {
    let report = lint_file("../../schemas/ecommerce.json");
    insta::assert_snapshot!("ecommerce", report.to_text());
    let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [RuleId::InconsistentPropertyType]);
    let finding = &report.findings[0];
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.property.as_deref(), Some("position"));
    assert!(!report.has_errors());
}

#[test]
fn json_reports_of_every_plan_are_well_formed() {
    for file in [
        "../trackplan-codegen/tests/fixtures/typewriter-e2e-v1.json",
        "../trackplan-codegen/tests/fixtures/typewriter-e2e-v2.json",
        "../trackplan-codegen/tests/fixtures/typewriter-example-v1.json",
        "../trackplan-codegen/tests/fixtures/typewriter-telemetry-v2.json",
        "../trackplan-codegen/tests/fixtures/ruddertyper-example-v2.json",
        "../../schemas/ecommerce.json",
    ] {
        let report = lint_file(file);
        let json = report.to_json();
        let listed = json["findings"].as_array().map_or(0, Vec::len);
        assert_eq!(listed, report.findings.len(), "{file}");
        assert_eq!(
            json["errors"].as_u64(),
            Some(report.count(Severity::Error) as u64),
            "{file}"
        );
        for finding in &report.findings {
            assert!(finding.pointer.starts_with('/'), "{file}: {finding:?}");
            assert!(!finding.hint.is_empty(), "{file}: {finding:?}");
        }
    }
}
