//! Log output that never holds up serving.
//!
//! Harnesses start the emulator with stderr a pipe they may never read (Python's
//! `subprocess.PIPE`, Node's default `stdio`, a CI step that captures output). Written in
//! place, a log line blocks its worker once the pipe's 64 KiB are full, and every other worker
//! behind the writer's lock: the server stops answering for good. So lines go through
//! `tracing-appender`'s non-blocking writer in its lossy mode: a thread of its own writes them,
//! at most [`BUFFERED_LINES`] wait, and a line that finds the queue full is dropped and counted,
//! never waited for. A reader that is gone (EPIPE) costs lines, not requests.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};

/// Lines that may wait for a slow stderr; beyond them, new lines are dropped.
pub const BUFFERED_LINES: usize = 8192;

/// How often [`report_dropped_lines`] looks for lines dropped since it last said so.
pub const REPORT_EVERY: Duration = Duration::from_secs(1);

/// The dropped-line counter of the process's log writer, once it is made.
static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// Lines the writer's thread could not write (stderr closed, its reader gone).
static FAILED: AtomicU64 = AtomicU64::new(0);

/// Stderr, counting the lines it refuses: the non-blocking writer's thread ignores errors.
struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The thread hands over one whole line per write.
        if std::io::stderr().write_all(buf).is_err() {
            FAILED.fetch_add(1, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

/// A writer of log lines to stderr that never blocks its caller, and the guard that flushes
/// what is queued when dropped (for at most a second: a reader that never reads does not
/// hold up the exit either).
pub fn stderr_writer() -> (NonBlocking, WorkerGuard) {
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(BUFFERED_LINES)
        .thread_name("wa-emu-log")
        .finish(Stderr);
    // One log writer per process, as there is one global subscriber.
    let _ = DROPPED.set(writer.error_counter());
    (writer, guard)
}

/// Log lines dropped since start: stderr did not take them in time, or refused them (closed,
/// its reader gone). 0 when the log writer is not [`stderr_writer`]'s, as in an embedding
/// program.
pub fn dropped_lines() -> u64 {
    let queue_full = DROPPED
        .get()
        .map_or(0, |counter| counter.dropped_lines() as u64);
    queue_full + FAILED.load(Ordering::Relaxed)
}

/// Says, as a warning, how many lines were dropped since it last said so, every
/// [`REPORT_EVERY`] while lines are being dropped. Its own line may be dropped too while
/// nobody reads: the first that gets through says how many went missing meanwhile (and while
/// stderr refuses every line, the count in `GET /_emulator/health` is the one place to see it).
pub async fn report_dropped_lines() {
    let mut reported = dropped_lines();
    let mut ticks = tokio::time::interval(REPORT_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let dropped = dropped_lines();
        if dropped > reported {
            tracing::warn!(
                dropped_log_lines = dropped - reported,
                dropped_log_lines_total = dropped,
                "{} log lines dropped: stderr did not take them in time ({dropped} since start; every request was served all the same; GET /_emulator/health counts them)",
                dropped - reported
            );
            reported = dropped;
        }
    }
}
