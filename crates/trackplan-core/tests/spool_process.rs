//! The spool across processes: a second process is locked out, and a process killed with SIGKILL
//! mid-stream loses none of the records whose `append` returned.
//!
//! The second process is this test binary re-executed with [`ROLE`] set: it then runs only
//! [`child_process`], which does what the role says and prints its results on stdout.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use trackplan_core::spool::{FsyncPolicy, Spool, SpoolError, SpoolOptions};

const ROLE: &str = "TRACKPLAN_SPOOL_TEST_ROLE";
const DIR: &str = "TRACKPLAN_SPOOL_TEST_DIR";

fn always() -> SpoolOptions {
    SpoolOptions::default().fsync(FsyncPolicy::Always)
}

fn message(i: u64) -> Vec<u8> {
    format!(r#"{{"type":"track","event":"Order Completed","messageId":"m-{i}"}}"#).into_bytes()
}

/// The body of the child processes; a no-op in a normal test run.
#[test]
fn child_process() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let dir = std::env::var(DIR).expect("the parent sets the spool dir");
    let mut out = std::io::stdout().lock();
    match role.as_str() {
        "open" => match Spool::open(&dir, always()) {
            Ok(_) => writeln!(out, "result: opened"),
            Err(err @ SpoolError::Locked { .. }) => writeln!(out, "result: locked: {err}"),
            Err(err) => writeln!(out, "result: failed: {err}"),
        }
        .expect("write to the parent"),
        "append-until-killed" => {
            let (spool, _) = Spool::open(&dir, always()).expect("open the spool");
            for i in 0.. {
                let id = spool.append(&message(i)).expect("append");
                // Printed only after `append` returned: the parent holds us to these.
                writeln!(out, "appended {} {i}", id.get()).expect("write to the parent");
                out.flush().expect("flush to the parent");
            }
        }
        other => panic!("unknown child role {other}"),
    }
}

fn spawn_child(role: &str, dir: &Path) -> Child {
    Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, role)
        .env(DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the child process")
}

fn child_result(dir: &Path) -> String {
    let output = spawn_child("open", dir)
        .wait_with_output()
        .expect("run the child");
    assert!(output.status.success(), "child failed: {output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let result = stdout
        .lines()
        // libtest may print "test child_process ... " on the same line first.
        .find_map(|line| Some(line.split_once("result: ")?.1));
    result
        .unwrap_or_else(|| panic!("no result from the child: {stdout}"))
        .to_owned()
}

#[test]
fn another_process_is_locked_out_until_the_spool_is_dropped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (spool, _) = Spool::open(dir.path(), always()).expect("open");

    let result = child_result(dir.path());
    assert!(result.starts_with("locked: "), "{result}");
    assert!(
        result.contains(&dir.path().display().to_string()),
        "{result}"
    );
    assert!(
        result.contains(&format!("by process {}", std::process::id())),
        "{result}"
    );

    drop(spool);
    assert_eq!(child_result(dir.path()), "opened");
}

#[test]
fn every_append_that_returned_before_sigkill_is_recovered() {
    const KILL_AFTER: usize = 200;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = spawn_child("append-until-killed", dir.path());
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();

    let mut printed = Vec::new();
    while printed.len() < KILL_AFTER {
        let line = lines
            .next()
            .expect("the child stopped early")
            .expect("read the child");
        printed.extend(parse_appended(&line));
    }
    child.kill().expect("SIGKILL the child");
    // Lines already in the pipe were printed before the kill.
    for line in lines {
        printed.extend(parse_appended(&line.expect("read the child")));
    }
    let status = child.wait().expect("reap the child");
    assert!(!status.success(), "the child was killed: {status:?}");

    // The kill released the lock, and every printed record is back with its bytes.
    let (_spool, recovered) = Spool::open(dir.path(), always()).expect("reopen after SIGKILL");
    assert!(
        recovered.records.len() >= printed.len(),
        "{} < {}",
        recovered.records.len(),
        printed.len()
    );
    for (position, (id, i)) in printed.iter().enumerate() {
        let record = &recovered.records[position];
        assert_eq!((record.id.get(), &record.message), (*id, &message(*i)));
    }
    // Appends past the last printed one may or may not have landed, but whole or not at all.
    for (record, i) in recovered.records.iter().zip(0..) {
        assert_eq!(record.message, message(i));
    }
    assert!(recovered.corrupt_records <= 1, "{recovered:?}");
}

fn parse_appended(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_once("appended ")?.1.split(' ');
    let id = fields.next()?.parse().ok()?;
    let i = fields.next()?.parse().ok()?;
    Some((id, i))
}
