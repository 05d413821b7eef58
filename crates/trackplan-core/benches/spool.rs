//! Spool throughput and recovery figures.
//!
//! `cargo bench -p trackplan-core --bench spool` prints appends per second and fsyncs per
//! append for each fsync policy (group commit shows as fewer fsyncs than appends with several
//! threads), the steady state with acks and segment deletion, and the time to recover a spool.
//! The spool lives under `SPOOL_BENCH_DIR` (default: the system temp dir); fsync figures depend
//! entirely on that disk.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use trackplan_core::spool::{FsyncPolicy, RecordId, Spool, SpoolOptions};

/// A realistic compact "Order Completed" track message, about 600 bytes.
fn message(i: usize) -> Vec<u8> {
    format!(
        concat!(
            r#"{{"type":"track","event":"Order Completed","userId":"user-{u}","#,
            r#""messageId":"6f1c2f9e-0b7a-4d55-9a43-{i:012}","timestamp":"2026-11-29T09:30:00.000Z","#,
            r#""properties":{{"order_id":"order-{i}","total":27.5,"revenue":25.0,"shipping":3.0,"#,
            r#""tax":2.0,"discount":2.5,"coupon":"hasbros","currency":"USD","products":["#,
            r#"{{"product_id":"507f1f77bcf86cd799439011","sku":"45790-32","name":"Monopoly","#,
            r#""price":19.0,"quantity":1,"category":"Games"}},"#,
            r#"{{"product_id":"505bd76785ebb509fc183733","sku":"46493-32","name":"Uno Card Game","#,
            r#""price":3.0,"quantity":2,"category":"Games"}}]}},"#,
            r#""context":{{"library":{{"name":"trackplan","version":"0.1.0"}}}}}}"#
        ),
        u = i % 1000,
        i = i
    )
    .into_bytes()
}

fn bench_dir() -> tempfile::TempDir {
    let base = std::env::var_os("SPOOL_BENCH_DIR").map(PathBuf::from);
    let base = base.unwrap_or_else(std::env::temp_dir);
    tempfile::tempdir_in(base).expect("create a bench dir")
}

fn open(dir: &Path, options: SpoolOptions) -> Spool {
    Spool::open(dir, options).expect("open the spool").0
}

fn report(name: &str, appends: usize, elapsed: Duration, spool: &Spool) {
    let stats = spool.stats();
    println!(
        "{name:<40} {:>9.0} appends/s  {:>6} fsyncs = {:.4}/append  ({appends} appends, {:.2} s)",
        appends as f64 / elapsed.as_secs_f64(),
        stats.fsyncs,
        stats.fsyncs as f64 / appends as f64,
        elapsed.as_secs_f64(),
    );
}

fn appends(name: &str, options: SpoolOptions, threads: usize, per_thread: usize) {
    let dir = bench_dir();
    let spool = open(dir.path(), options.max_bytes(1 << 30));
    let messages: Vec<Vec<u8>> = (0..per_thread).map(message).collect();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for message in &messages {
                    spool.append(message).expect("append");
                }
            });
        }
    });
    report(name, threads * per_thread, start.elapsed(), &spool);
}

/// Appends with an ack per batch of 250, as the client does after each 2xx: segments rotate
/// and are deleted, so the spool stays small.
fn steady_state(total: usize) {
    let dir = bench_dir();
    let options = SpoolOptions::default().segment_bytes(1 << 20);
    let spool = open(dir.path(), options);
    let messages: Vec<Vec<u8>> = (0..250).map(message).collect();
    let mut batch: Vec<RecordId> = Vec::with_capacity(250);
    let start = Instant::now();
    for i in 0..total {
        batch.push(spool.append(&messages[i % 250]).expect("append"));
        if batch.len() == 250 {
            spool.ack(&batch).expect("ack");
            batch.clear();
        }
    }
    report(
        "every 100 ms, 1 thread, ack per 250",
        total,
        start.elapsed(),
        &spool,
    );
    println!(
        "{:<44} {:>10} bytes on disk at the end",
        "",
        spool.stats().used_bytes
    );
}

fn recovery(records: usize) {
    let dir = bench_dir();
    let options = SpoolOptions::default().max_bytes(1 << 30);
    {
        let spool = open(dir.path(), options.clone());
        for i in 0..records {
            spool.append(&message(i)).expect("append");
        }
    }
    let start = Instant::now();
    let (_spool, recovered) = Spool::open(dir.path(), options).expect("reopen");
    let elapsed = start.elapsed();
    assert_eq!(recovered.records.len(), records);
    println!(
        "{:<40} {:>9.0} records/s  ({records} records, {:.3} s)",
        "recovery at open",
        records as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: keep that run short.
    let quick = !std::env::args().any(|arg| arg == "--bench");
    let scale = if quick { 20 } else { 1 };
    println!("message size: {} bytes", message(0).len());
    let every = SpoolOptions::default();
    let always = SpoolOptions::default().fsync(FsyncPolicy::Always);
    appends("every 100 ms, 1 thread", every, 1, 100_000 / scale);
    appends("always, 1 thread", always.clone(), 1, 2_000 / scale);
    appends("always, 8 threads (group commit)", always, 8, 1_000 / scale);
    steady_state(100_000 / scale);
    recovery(100_000 / scale);
}
