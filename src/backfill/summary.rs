//! What a backfill reports: how each date ended ([`DateResult`]), the
//! totals, and the [`Summary`] printed at the end and written as JSON with
//! `--summary-json` (a documented, versioned document).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use super::BackfillConfig;
use crate::error::{Error, Result};

/// Version of the `--summary-json` document; fields are only ever added.
pub const SUMMARY_VERSION: u32 = 1;

/// How one date of a backfill ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateStatus {
    /// Ran and published every output.
    Ok,
    /// Already committed; nothing was written.
    Skipped,
    /// Ran and failed (contract violation, quality gate, I/O, …).
    Failed,
    /// Was running when SIGINT/SIGTERM arrived; staging removed, nothing published.
    Interrupted,
    /// Never started (after a signal, or after a failure with `--fail-fast`).
    NotRun,
}

impl DateStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            DateStatus::Ok => "ok",
            DateStatus::Skipped => "skipped",
            DateStatus::Failed => "failed",
            DateStatus::Interrupted => "interrupted",
            DateStatus::NotRun => "not_run",
        }
    }
}

/// One line of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct DateResult {
    /// Snapshot date D.
    pub snapshot_date: String,
    /// How it ended.
    pub status: DateStatus,
    /// Run id (the manifest's file name) of a run that wrote a manifest.
    pub run_id: Option<String>,
    /// Rows published to `customer_tiers` (ok dates).
    pub customer_tiers_rows: Option<u64>,
    /// Rejected input rows of all tables (ok dates and quality gate failures).
    pub rejects: Option<u64>,
    /// Wall-clock seconds spent on the date (skip check included).
    pub seconds: f64,
    /// Exit code of the date's run: 0 ok or skipped, else its error's code.
    pub exit_code: u8,
    /// The error message of a failed or interrupted date.
    pub error: Option<String>,
}

impl DateResult {
    pub(super) fn new(date: NaiveDate, status: DateStatus) -> DateResult {
        DateResult {
            snapshot_date: date.to_string(),
            status,
            run_id: None,
            customer_tiers_rows: None,
            rejects: None,
            seconds: 0.0,
            exit_code: 0,
            error: None,
        }
    }

    pub(super) fn failed(date: NaiveDate, err: &Error) -> DateResult {
        let status = match err {
            Error::Interrupted(_) => DateStatus::Interrupted,
            _ => DateStatus::Failed,
        };
        DateResult {
            exit_code: err.exit_code(),
            error: Some(err.to_string()),
            ..DateResult::new(date, status)
        }
    }
}

/// Counts over all dates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Dates in the range.
    pub dates: usize,
    /// Dates run and published.
    pub ok: usize,
    /// Dates already committed.
    pub skipped: usize,
    /// Dates that failed.
    pub failed: usize,
    /// Dates stopped by a signal.
    pub interrupted: usize,
    /// Dates never started.
    pub not_run: usize,
    /// `customer_tiers` rows published by this backfill.
    pub customer_tiers_rows: u64,
    /// Rejected rows counted by this backfill's runs.
    pub rejects: u64,
    /// Wall-clock seconds of the whole backfill.
    pub seconds: f64,
}

/// What a backfill did, date by date (in date order) and in total.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Shape version of this document.
    pub summary_version: u32,
    /// First date of the range.
    pub from: String,
    /// Last date of the range.
    pub to: String,
    /// Whether the newest date was started first.
    pub newest_first: bool,
    /// Whether committed dates were rerun.
    pub force: bool,
    /// Dates run at once.
    pub concurrency: usize,
    /// Whether new dates stopped after the first failure.
    pub fail_fast: bool,
    /// `SIGINT` or `SIGTERM` when the backfill was stopped by a signal.
    pub interrupted_by: Option<String>,
    /// The process exit code: 0 when every date is ok or skipped, otherwise
    /// the highest exit code of the failed and interrupted dates (130/143
    /// when a signal left dates undone).
    pub exit_code: u8,
    /// Counts.
    pub totals: Totals,
    /// One entry per date of the range, oldest first.
    pub dates: Vec<DateResult>,
}

impl Summary {
    pub(super) fn new(
        cfg: &BackfillConfig,
        mut results: BTreeMap<NaiveDate, DateResult>,
        elapsed: f64,
    ) -> Self {
        let mut dates: Vec<DateResult> = cfg
            .dates()
            .into_iter()
            .map(|d| {
                results
                    .remove(&d)
                    .unwrap_or_else(|| DateResult::new(d, DateStatus::NotRun))
            })
            .collect();
        dates.sort_by(|a, b| a.snapshot_date.cmp(&b.snapshot_date));
        let mut totals = Totals {
            dates: dates.len(),
            seconds: round3(elapsed),
            ..Totals::default()
        };
        for r in &dates {
            match r.status {
                DateStatus::Ok => totals.ok += 1,
                DateStatus::Skipped => totals.skipped += 1,
                DateStatus::Failed => totals.failed += 1,
                DateStatus::Interrupted => totals.interrupted += 1,
                DateStatus::NotRun => totals.not_run += 1,
            }
            totals.customer_tiers_rows += r.customer_tiers_rows.unwrap_or(0);
            totals.rejects += r.rejects.unwrap_or(0);
        }
        let signal = cfg.run.cancel.check().err();
        let undone = totals.interrupted + totals.not_run > 0;
        let exit_code = dates
            .iter()
            .map(|r| r.exit_code)
            .chain(signal.iter().filter(|_| undone).map(Error::exit_code))
            .max()
            .unwrap_or(0);
        Summary {
            summary_version: SUMMARY_VERSION,
            from: cfg.from.to_string(),
            to: cfg.to.to_string(),
            newest_first: cfg.newest_first,
            force: cfg.force,
            concurrency: cfg.concurrency,
            fail_fast: cfg.fail_fast,
            interrupted_by: match signal {
                Some(Error::Interrupted(name)) => Some(name.to_string()),
                _ => None,
            },
            exit_code,
            totals,
            dates,
        }
    }

    /// The summary as text: one line per date, then the totals.
    pub fn to_text(&self) -> String {
        let dash = || "-".to_string();
        let mut text = format!(
            "{:<10}  {:<11}  {:>8}  {:>8}  {:>8}  error\n",
            "date", "status", "rows", "rejects", "seconds"
        );
        for r in &self.dates {
            let line = format!(
                "{:<10}  {:<11}  {:>8}  {:>8}  {:>8.2}  {}",
                r.snapshot_date,
                r.status.as_str(),
                r.customer_tiers_rows.map_or_else(dash, |n| n.to_string()),
                r.rejects.map_or_else(dash, |n| n.to_string()),
                r.seconds,
                r.error.as_deref().unwrap_or("").replace('\n', " "),
            );
            text.push_str(line.trim_end());
            text.push('\n');
        }
        let t = &self.totals;
        text.push_str(&format!(
            "total: {} dates: {} ok, {} skipped, {} failed, {} interrupted, {} not run; \
             {} rows, {} rejects, {:.2} s; exit code {}\n",
            t.dates,
            t.ok,
            t.skipped,
            t.failed,
            t.interrupted,
            t.not_run,
            t.customer_tiers_rows,
            t.rejects,
            t.seconds,
            self.exit_code,
        ));
        text
    }

    /// Write the summary as pretty JSON to a local file.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        std::fs::write(path, bytes).map_err(|e| {
            Error::Io(io::Error::new(
                e.kind(),
                format!("summary {}: {e}", path.display()),
            ))
        })
    }
}

pub(super) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
