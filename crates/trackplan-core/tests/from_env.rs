//! `Client::from_env` (its own test binary: it changes the process environment).

use trackplan_core::{Client, ConfigProblem};

#[test]
fn from_env_reads_the_key_and_endpoint_and_names_what_is_missing() {
    std::env::remove_var("SEGMENT_WRITE_KEY");
    std::env::remove_var("SEGMENT_ENDPOINT");
    let err = Client::from_env().unwrap_err();
    assert_eq!(
        err.problems(),
        [ConfigProblem::MissingEnv {
            variable: "SEGMENT_WRITE_KEY"
        }]
    );
    assert!(
        err.to_string().contains("SEGMENT_WRITE_KEY is not set"),
        "{err}"
    );

    std::env::set_var("SEGMENT_WRITE_KEY", "from-env-key");
    std::env::set_var("SEGMENT_ENDPOINT", "http://collector.example");
    let err = Client::from_env().unwrap_err();
    assert!(
        matches!(err.problems(), [ConfigProblem::InsecureEndpoint { .. }]),
        "{err}"
    );

    std::env::set_var("SEGMENT_ENDPOINT", "http://127.0.0.1:9");
    let client = Client::from_env().unwrap();
    let _ = client.shutdown_blocking(std::time::Duration::from_millis(10));
}
