//! Log lines: `tracing` to stderr, filtered by `PULSETIER_LOG` or `RUST_LOG`
//! (default `info`), credentials redacted from every line, and printed above
//! a progress bar instead of through it when one is drawn.

use std::io::{self, Write};
use std::sync::{Mutex, MutexGuard};

use indicatif::ProgressBar;

/// Install the stderr subscriber (once per process; later calls do nothing).
pub fn init() {
    let filter = std::env::var("PULSETIER_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_writer(log_writer)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .try_init();
}

/// Draw log lines above `bar` from now on (`None`: no bar any more).
pub fn show_bar(bar: Option<ProgressBar>) {
    *active_bar() = bar;
}

/// The progress bar being drawn, if any, so that log lines can be printed
/// above it instead of through it ([`log_writer`]).
fn active_bar() -> MutexGuard<'static, Option<ProgressBar>> {
    static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);
    BAR.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A stderr writer for `tracing` that suspends a progress bar (the backfill's)
/// while a log line is written, so the two do not garble each other, and
/// redacts credentials from the line.
pub fn log_writer() -> LogWriter {
    LogWriter
}

/// See [`log_writer`].
#[derive(Debug)]
pub struct LogWriter;

impl Write for LogWriter {
    /// Writes one formatted log line, with URL userinfo and secret values
    /// (libraries such as object_store log request URLs) redacted.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let line = crate::redact::redact_secrets(&String::from_utf8_lossy(buf));
        let bar = active_bar().clone();
        match bar {
            Some(bar) => bar.suspend(|| io::stderr().write_all(line.as_bytes()))?,
            None => io::stderr().write_all(line.as_bytes())?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
