//! The build-script API writes only when the generated source changes.

use std::path::Path;

use trackplan_codegen::generate::GenerateError;

#[test]
fn generate_writes_once_then_leaves_the_file_alone() {
    let plan =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/typewriter-example-v1.json");
    let dir = std::env::temp_dir().join(format!("trackplan-build-api-{}", std::process::id()));
    let out = dir.join("analytics.rs");
    assert!(
        trackplan_codegen::build::generate(&plan, &out).unwrap(),
        "first run writes"
    );
    let source = std::fs::read_to_string(&out).unwrap();
    assert!(source.contains("pub struct SignInFailed"), "{source}");
    let modified = std::fs::metadata(&out).unwrap().modified().unwrap();
    assert!(
        !trackplan_codegen::build::generate(&plan, &out).unwrap(),
        "unchanged output is not rewritten"
    );
    assert_eq!(
        std::fs::metadata(&out).unwrap().modified().unwrap(),
        modified
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_plans_are_plan_errors() {
    let dir = std::env::temp_dir().join(format!("trackplan-build-api-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plan = dir.join("plan.json");
    std::fs::write(&plan, r#"{"rules": [{"key": "E", "type": "TRACK", "jsonSchema": {"properties": {"properties": {"allOf": []}}}}]}"#).unwrap();
    let err = trackplan_codegen::build::generate(&plan, dir.join("out.rs")).unwrap_err();
    let GenerateError::Plan(errors) = &err else {
        panic!("{err}")
    };
    assert_eq!(
        errors.errors[0].pointer,
        "/rules/0/jsonSchema/properties/properties/allOf"
    );
    assert!(
        !dir.join("out.rs").exists(),
        "nothing is written for a bad plan"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
