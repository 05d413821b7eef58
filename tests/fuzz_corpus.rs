//! Every file of the fuzz corpus (fuzz/corpus/<target>/) through the same function its fuzz
//! target runs, so a corpus input that once found a bug fails `cargo test` without the fuzzer.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::{Path, PathBuf};

/// The corpus files of `target`, sorted; panics if there are none (a moved corpus would
/// otherwise pass silently).
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no corpus files", dir.display());
    files
}

/// Run `check` on each corpus file of `target`, naming the file that fails.
fn replay(target: &str, check: fn(&[u8])) {
    for path in corpus(target) {
        let data = std::fs::read(&path).expect("a readable corpus file");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", path.display());
    }
}

#[test]
fn plan_generate_corpus() {
    replay("plan_generate", harness::plan_and_generate);
}

#[test]
fn ndjson_enqueue_corpus() {
    replay("ndjson_enqueue", harness::ndjson_enqueue);
}

#[test]
fn collector_ingest_corpus() {
    replay("collector_ingest", harness::collector_ingest);
}
