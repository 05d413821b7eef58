//! `trackplan send`: deliver NDJSON Segment messages (backfills, replays) through the same client
//! the library uses.
//!
//! Bad lines are reported on stderr with their line number and not sent; every other line is
//! delivered. The CLI retries less than the library (3 retries, backoff capped at 5 s,
//! `Retry-After` capped at 30 s) and bounds the whole run's final delivery by `--timeout`, so a
//! down endpoint fails the command in seconds instead of hanging it for minutes. And when a
//! batch fails for a reason every other batch would share (no connection, retries exhausted,
//! 401/403/404) before anything was delivered, it stops reading: a backfill of a million lines
//! to a wrong endpoint or with a wrong key ends at once instead of failing batch after batch.
//!
//! Requests in flight follow the client's adaptive limit: one at first, more while lines wait
//! and the endpoint keeps its round trip, half as many after a 429 or a 5xx. The progress bar
//! shows the bytes read and the messages delivered per second.
//!
//! With `--spool DIR` every message is first written to a crash-safe spool in `DIR`; what a run
//! cannot deliver (the endpoint is down, the process is killed) stays there and is sent, with
//! its original messageId, first thing by the next `trackplan send --spool DIR`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;
use trackplan_core::{
    Client, EnqueueError, FailedBatch, FailureReason, FullPolicy, Region, RetryPolicy,
    ValidationPolicy, MAX_MESSAGE_BYTES,
};

#[derive(clap::Args)]
#[command(
    after_help = "Retries: at most 3 per batch (backoff up to 5 s, Retry-After up to 30 s), \
fewer than the library's 10, so a down endpoint fails the command quickly; whatever is not \
delivered --timeout seconds after the last line is read counts as failed.\n\
Exit status: 0 when every line was sent, 1 when a line was rejected or a message failed, \
2 on a usage or setup error.\n\
Stopping early: when nothing was delivered yet and a batch fails for a reason the others \
would share (no connection, retries exhausted, HTTP 401, 403 or 404), the command stops reading \
and says at which line.\n\
Spool: with --spool DIR, messages not delivered stay in DIR and are sent first by the next \
`trackplan send --spool DIR` (an empty input, such as /dev/null, just sends them).\n\
Kept as given: messageId, timestamp and context.library (a replay keeps the library that \
produced it); trackplan fills in only what a line lacks."
)]
pub struct Args {
    /// Messages, one JSON object per line with its `type`; `-` reads standard input.
    #[arg(value_name = "FILE|-")]
    input: PathBuf,
    /// Origin to send to instead of the region's (such as http://127.0.0.1:8787); `/v1/batch`
    /// is appended.
    #[arg(long, env = "SEGMENT_ENDPOINT", value_name = "URL")]
    endpoint: Option<String>,
    /// The source's write key.
    #[arg(
        long,
        env = "SEGMENT_WRITE_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    write_key: String,
    /// The source is in Segment's EU region (ignored with --endpoint), as `pull` and `push` say it.
    #[arg(long)]
    eu: bool,
    /// Send request bodies uncompressed.
    #[arg(long)]
    no_gzip: bool,
    /// Seconds to wait, after the last line is read, for everything to be delivered; also
    /// bounds each request. What is not delivered by then counts as failed.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    timeout: u64,
    /// Write every message to a crash-safe spool in this directory before sending it; what is
    /// not delivered stays there and is sent first by the next run with the same --spool. One
    /// run at a time per directory.
    #[arg(long, value_name = "DIR")]
    spool: Option<PathBuf>,
}

/// Retries for a command someone is waiting on: few and short.
fn cli_retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        max_backoff: Duration::from_secs(5),
        max_retry_after: Duration::from_secs(30),
        ..RetryPolicy::default()
    }
}

/// Whether a failed batch says the endpoint will fail every batch: it cannot be reached (or
/// keeps failing), or refuses the key or the path. A 400 or 413 is about that batch alone.
fn fails_every_batch(reason: &FailureReason) -> bool {
    match reason {
        FailureReason::Rejected { status } => matches!(status, 401 | 403 | 404),
        FailureReason::RetriesExhausted { .. } | FailureReason::RetryTimeExhausted { .. } => true,
        _ => false,
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let timeout = Duration::from_secs(args.timeout.max(1));
    let failures: Arc<Mutex<Vec<FailedBatch>>> = Arc::default();
    let sink = Arc::clone(&failures);
    // The first failure that every later batch would share, if any.
    let endpoint_failure: Arc<OnceLock<String>> = Arc::default();
    let endpoint_failed = Arc::clone(&endpoint_failure);
    let mut builder = Client::builder(args.write_key)
        .region(if args.eu { Region::Eu } else { Region::Us })
        .gzip(!args.no_gzip)
        .retry_policy(cli_retry_policy())
        .request_timeout(timeout.min(Duration::from_secs(10)))
        .flush_at(500)
        .flush_interval(Duration::from_millis(200))
        // Reading waits for the network rather than refusing lines when the queue is full.
        .when_full(FullPolicy::Block(timeout))
        .validation(ValidationPolicy::Off)
        .on_failure(move |batch| {
            if fails_every_batch(&batch.reason) {
                let _ = endpoint_failed.set(batch.reason.to_string());
            }
            sink.lock().unwrap_or_else(|p| p.into_inner()).push(batch);
        });
    if let Some(endpoint) = args.endpoint {
        builder = builder.endpoint(endpoint);
    }
    if let Some(dir) = &args.spool {
        builder = builder.spool_dir(dir);
    }
    let client = builder.build()?;
    let replayed = client.metrics().replayed;
    if replayed > 0 {
        eprintln!("sending {replayed} messages left in the spool by an earlier run");
    }

    let label = args.input.display().to_string();
    let (input, size): (Box<dyn Read>, Option<u64>) = if label == "-" {
        (Box::new(io::stdin().lock()), None)
    } else {
        let file = File::open(&args.input).with_context(|| format!("cannot open {label}"))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let progress = progress_bar(size);
    let started = Instant::now();
    let mut next_rate = started;
    let mut counts = Counts::default();
    // Stop reading once a batch failed for good in a way the others would share and nothing
    // has been delivered: the rest of the input would fail the same way.
    // Decided once, at the first such failure: a delivery before it means the endpoint works.
    let decided = std::cell::Cell::new(false);
    let give_up = || {
        if decided.get() {
            return None;
        }
        let reason = endpoint_failure.get()?;
        decided.set(true);
        (client.metrics().delivered == 0).then(|| reason.clone())
    };
    let stopped = enqueue_lines(
        BufReader::new(input),
        &client,
        &mut counts,
        |line, reason| {
            progress.suspend(|| eprintln!("{label}:{line}: {reason}; not sent"));
        },
        |bytes| {
            progress.inc(bytes);
            let now = Instant::now();
            if now >= next_rate {
                next_rate = now + RATE_EVERY;
                let delivered = client.metrics().delivered;
                progress.set_message(events_per_sec(delivered, now - started));
            }
        },
        give_up,
    )
    .with_context(|| format!("cannot read {label}"))?;
    progress.finish_and_clear();
    if let Some(stop) = &stopped {
        eprintln!(
            "{label}:{}: stopped reading: nothing was delivered and a batch failed in a way \
             every batch would ({}); the lines from here on were not sent",
            stop.line, stop.reason
        );
    }

    // After a stop, what is queued would fail the same way: do not wait the whole timeout.
    let deadline = if stopped.is_some() {
        Duration::from_secs(1)
    } else {
        timeout
    };
    let report = client.shutdown_blocking(deadline);
    let metrics = client.metrics();
    for failed in failures.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let ids: Vec<String> = failed
            .messages
            .iter()
            .take(3)
            .filter_map(|m| m.message_id())
            .collect();
        let more = failed.messages.len().saturating_sub(ids.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        eprintln!(
            "not delivered ({}): messageId {}{more}",
            failed.reason,
            ids.join(", ")
        );
    }
    let failed = metrics.failed + counts.queue_refused;
    debug_assert!(report.failed_count() as u64 <= metrics.failed);
    if let (Some(dir), Some(left)) = (&args.spool, report.left_in_spool.filter(|&n| n > 0)) {
        let dir = dir.display();
        eprintln!(
            "{left} messages not delivered are kept in the spool {dir}; \
             `trackplan send --spool {dir} /dev/null` sends them"
        );
    }
    eprintln!(
        "sent {}, rejected {}, failed {}",
        metrics.delivered, counts.rejected, failed
    );
    Ok(if counts.rejected == 0 && failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// How often the progress bar's delivery rate is refreshed.
const RATE_EVERY: Duration = Duration::from_millis(250);

/// The progress bar's delivery rate: messages the server accepted per second since the start.
fn events_per_sec(delivered: u64, elapsed: Duration) -> String {
    let rate = delivered as f64 / elapsed.as_secs_f64().max(f64::EPSILON);
    format!("{rate:.0} events/s")
}

fn progress_bar(size: Option<u64>) -> indicatif::ProgressBar {
    if !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match size {
        Some(size) => indicatif::ProgressBar::new(size).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {msg} {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        ),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar
}

/// Lines that did not become queued messages.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    /// Bad lines: not JSON, missing a required field, too large.
    rejected: u64,
    /// Good lines the queue could not take within the timeout (the endpoint is not keeping up).
    queue_refused: u64,
}

/// Where and why reading stopped before the end of the input.
#[derive(Debug, PartialEq, Eq)]
struct Stopped {
    /// The first line not read.
    line: u64,
    reason: String,
}

/// Read NDJSON and enqueue each good line; `report(line_number, reason)` for each bad one.
/// Stops before a line when `give_up` gives a reason.
fn enqueue_lines(
    mut input: impl BufRead,
    client: &Client,
    counts: &mut Counts,
    mut report: impl FnMut(u64, String),
    mut read: impl FnMut(u64),
    give_up: impl Fn() -> Option<String>,
) -> io::Result<Option<Stopped>> {
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        if let Some(reason) = give_up() {
            return Ok(Some(Stopped {
                line: number + 1,
                reason,
            }));
        }
        line.clear();
        let n = input.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(None);
        }
        number += 1;
        read(n as u64);
        let message = match parse_line(&line) {
            Ok(Some(message)) => message,
            Ok(None) => continue,
            Err(reason) => {
                counts.rejected += 1;
                report(number, reason);
                continue;
            }
        };
        match client.enqueue(message) {
            Ok(_) => {}
            Err(
                err @ (EnqueueError::QueueFull { .. }
                | EnqueueError::QueueFullTimeout(_)
                | EnqueueError::SpoolFull { .. }),
            ) => {
                counts.queue_refused += 1;
                report(number, err.to_string());
            }
            Err(err) => {
                counts.rejected += 1;
                report(number, err.to_string());
            }
        }
    }
}

/// One NDJSON line as a message: `Ok(None)` for a blank line, `Err(reason)` for a bad one.
/// Required fields are checked by `Client::enqueue`.
fn parse_line(line: &[u8]) -> Result<Option<Value>, String> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if line.len() > MAX_MESSAGE_BYTES {
        return Err(format!(
            "line is {} bytes, over the {MAX_MESSAGE_BYTES}-byte limit per message",
            line.len()
        ));
    }
    let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8: {e}"))?;
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(Some(value)),
        Ok(_) => Err("not a JSON object".to_owned()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_parsed_or_explained() {
        assert_eq!(parse_line(b"  \r\n"), Ok(None));
        assert_eq!(
            parse_line(b"{\"type\":\"track\"}\r\n"),
            Ok(Some(serde_json::json!({ "type": "track" })))
        );
        assert!(parse_line(b"{oops").unwrap_err().starts_with("not JSON"));
        assert_eq!(parse_line(b"[1]"), Err("not a JSON object".to_owned()));
        assert!(parse_line(b"\"\xff\"")
            .unwrap_err()
            .starts_with("not UTF-8"));
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_MESSAGE_BYTES));
        assert!(parse_line(big.as_bytes())
            .unwrap_err()
            .contains("32000-byte limit"));
    }

    #[test]
    fn bad_lines_are_counted_and_reported_with_their_numbers() {
        let capture = trackplan_core::testing::Capture::new();
        let client = capture.client();
        let input = b"{\"type\":\"track\",\"event\":\"A\",\"userId\":\"u\"}\nnope\n\n{\"type\":\"group\",\"userId\":\"u\"}\n";
        let mut counts = Counts::default();
        let mut reports = Vec::new();
        let mut bytes = 0;
        enqueue_lines(
            &input[..],
            &client,
            &mut counts,
            |n, reason| reports.push((n, reason)),
            |n| bytes += n,
            || None,
        )
        .unwrap();
        assert_eq!(
            counts,
            Counts {
                rejected: 2,
                queue_refused: 0
            }
        );
        assert_eq!(bytes, input.len() as u64);
        assert_eq!(reports.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [2, 4]);
        assert!(reports[1].1.contains("groupId"), "{}", reports[1].1);
        client.flush_blocking();
        assert_eq!(capture.event_names(), ["A"]);
    }

    #[test]
    fn reading_stops_before_the_first_line_after_giving_up() {
        let capture = trackplan_core::testing::Capture::new();
        let client = capture.client();
        let input = "{\"type\":\"identify\",\"userId\":\"u\"}\n".repeat(10);
        let read = std::cell::Cell::new(0);
        let stopped = enqueue_lines(
            input.as_bytes(),
            &client,
            &mut Counts::default(),
            |_, _| {},
            |_| read.set(read.get() + 1),
            || (read.get() == 4).then(|| "HTTP 401".to_owned()),
        )
        .unwrap();
        assert_eq!(
            stopped,
            Some(Stopped {
                line: 5,
                reason: "HTTP 401".to_owned()
            })
        );
        client.flush_blocking();
        assert_eq!(capture.identifies().len(), 4);
    }

    #[test]
    fn the_rate_is_delivered_messages_per_second() {
        assert_eq!(events_per_sec(0, Duration::ZERO), "0 events/s");
        assert_eq!(
            events_per_sec(90_000, Duration::from_millis(1_500)),
            "60000 events/s"
        );
    }

    #[test]
    fn only_failures_every_batch_would_share_stop_the_run() {
        let shared = [
            FailureReason::Rejected { status: 401 },
            FailureReason::Rejected { status: 403 },
            FailureReason::Rejected { status: 404 },
            FailureReason::RetriesExhausted {
                retries: 3,
                last: "connection refused".to_owned(),
            },
            FailureReason::RetryTimeExhausted {
                elapsed: Duration::from_secs(60),
                last: "HTTP 503".to_owned(),
            },
        ];
        assert!(shared.iter().all(fails_every_batch));
        let this_batch_only = [
            FailureReason::Rejected { status: 400 },
            FailureReason::Rejected { status: 413 },
            FailureReason::ShutdownDeadline,
        ];
        assert!(!this_batch_only.iter().any(fails_every_batch));
    }
}
