//! Log lines: `tracing` to stderr, filtered by `PULSETIER_LOG` or `RUST_LOG`
//! (default `info`), credentials redacted from every line, and printed above
//! a progress bar instead of through it when one is drawn. Text by default;
//! `PULSETIER_LOG_FORMAT=json` writes one JSON object per event (time,
//! level, message and fields, the spans it is in) for log collectors
//! (Kubernetes, Airflow, Datadog).

use std::io::{self, Write};
use std::sync::{Mutex, MutexGuard};

use indicatif::ProgressBar;

/// How log lines are written (`PULSETIER_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One line of text per event (the default).
    Text,
    /// One JSON object per line per event.
    Json,
}

impl LogFormat {
    /// The format `PULSETIER_LOG_FORMAT` names (`text`, `json`; unset or
    /// empty = text); `Err` with the value for anything else.
    pub fn from_env_value(value: Option<&str>) -> Result<LogFormat, String> {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(other.to_string()),
        }
    }
}

/// Install the stderr subscriber (once per process; later calls do nothing).
pub fn init() {
    let filter = std::env::var("PULSETIER_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    let format = std::env::var("PULSETIER_LOG_FORMAT").ok();
    let (format, unknown) = match LogFormat::from_env_value(format.as_deref()) {
        Ok(f) => (f, None),
        Err(v) => (LogFormat::Text, Some(v)),
    };
    let builder = tracing_subscriber::fmt()
        .with_writer(log_writer)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
            .try_init(),
        LogFormat::Json => builder.json().with_current_span(false).try_init(),
    };
    if let Some(v) = unknown {
        tracing::warn!(value = %v, "PULSETIER_LOG_FORMAT is text or json; writing text");
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_from_the_environment() {
        assert_eq!(LogFormat::from_env_value(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::from_env_value(Some("")), Ok(LogFormat::Text));
        assert_eq!(LogFormat::from_env_value(Some("text")), Ok(LogFormat::Text));
        assert_eq!(
            LogFormat::from_env_value(Some(" JSON ")),
            Ok(LogFormat::Json)
        );
        assert_eq!(
            LogFormat::from_env_value(Some("logfmt")),
            Err("logfmt".to_string())
        );
    }
}
