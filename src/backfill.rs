//! Backfills: rerun a range of snapshot dates after a fix or a late delivery
//! ("rebuild October"). Each date is an independent run of
//! [`pipeline::execute_on`] with its own staging, commit and manifest; the
//! backfill only decides which dates to run, runs up to `concurrency` of
//! them at once on one shared engine runtime (so `memory_limit` bounds them
//! together), shows progress and sums everything up in a [`Summary`].
//!
//! A date is skipped, writing nothing, when it is already committed: every
//! output partition carries `_SUCCESS` and the newest manifest of the date
//! says `success`. That makes a failed or interrupted backfill resumable by
//! running the same command again. A date compares with earlier committed
//! dates (`tier_movements`, `nps_changes`), so oldest first it starts only
//! once the dates of the range it may compare with have finished
//! ([`order`]); then the outputs are the same whatever the concurrency.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use serde::Serialize;
use tokio::task::JoinSet;
use tracing::{info, info_span, Instrument};

mod order;
mod progress;

use progress::Progress;

use crate::config::RunConfig;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::manifest;
use crate::pipeline::{self, Mode};
use crate::publish::Publisher;
use crate::storage::Location;

/// Version of the `--summary-json` document; fields are only ever added.
pub const SUMMARY_VERSION: u32 = 1;

/// A backfill, as plain values (the CLI builds it from `pulsetier backfill`).
#[derive(Debug, Clone)]
pub struct BackfillConfig {
    /// First snapshot date of the range (inclusive).
    pub from: NaiveDate,
    /// Last snapshot date of the range (inclusive).
    pub to: NaiveDate,
    /// Start with the newest date (a catch-up) instead of the oldest.
    pub newest_first: bool,
    /// Rerun dates that are already committed.
    pub force: bool,
    /// Dates run at once (≥ 1), sharing one engine runtime and memory limit.
    pub concurrency: usize,
    /// Start no new date after the first failure.
    pub fail_fast: bool,
    /// Where to write the summary as JSON, if anywhere.
    pub summary_json: Option<PathBuf>,
    /// Draw a progress bar on stderr (when it is a terminal) instead of
    /// logging one line per finished date.
    pub progress_bar: bool,
    /// Every run's validated settings, cancellation token and pause (its
    /// date is set per run).
    pub run: RunConfig,
}

impl BackfillConfig {
    /// Reject a range or concurrency that makes no sense (usage error); the
    /// settings were validated when `run` was made.
    pub fn validate(&self) -> Result<()> {
        if self.from > self.to {
            return Err(Error::Usage(format!(
                "--from {} is after --to {}",
                self.from, self.to
            )));
        }
        if self.concurrency == 0 {
            return Err(Error::Usage("--concurrency must be at least 1".into()));
        }
        Ok(())
    }

    /// Every date of the range, in the order they are started.
    pub fn dates(&self) -> Vec<NaiveDate> {
        let mut dates: Vec<NaiveDate> = self
            .from
            .iter_days()
            .take_while(|d| *d <= self.to)
            .collect();
        if self.newest_first {
            dates.reverse();
        }
        dates
    }
}

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
    fn as_str(self) -> &'static str {
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
    fn new(date: NaiveDate, status: DateStatus) -> DateResult {
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

    fn failed(date: NaiveDate, err: &Error) -> DateResult {
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
    fn new(
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

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Run the backfill: every date of the range not yet committed (all with
/// `force`), `concurrency` at a time. Per-date failures are in the summary;
/// only a problem of the whole backfill (bad settings, unusable output
/// location) is an `Err`.
pub async fn run(cfg: &BackfillConfig) -> Result<Summary> {
    cfg.validate()?;
    let s = cfg.run.settings();
    let out = Location::open(&s.output, &s.storage)?;
    let engine = Engine::new(s)?;
    let publisher = Publisher::new(s, &out, cfg.run.pause);
    let start_order = cfg.dates();
    info!(
        from = %cfg.from,
        to = %cfg.to,
        dates = start_order.len(),
        concurrency = cfg.concurrency,
        force = cfg.force,
        newest_first = cfg.newest_first,
        "backfill"
    );
    let started = Instant::now();
    let mut progress = Progress::new(cfg.progress_bar, start_order.len());
    let mut results: BTreeMap<NaiveDate, DateResult> = BTreeMap::new();
    if cfg.newest_first && start_order.len() > 1 {
        tracing::warn!(
            "--newest-first: each date's tier_movements and nps_changes compare with what is \
             committed when it runs; rerun oldest first with --force to chain the dates"
        );
    }
    let mut queue = start_order.into_iter().peekable();
    let mut running: JoinSet<DateResult> = JoinSet::new();
    let mut task_dates = HashMap::new();
    let mut stop = false;
    loop {
        while !stop && running.len() < cfg.concurrency {
            let failed = results.values().any(|r| r.status == DateStatus::Failed);
            if cfg.run.cancel.check().is_err() || (cfg.fail_fast && failed) {
                stop = true;
                break;
            }
            let Some(&date) = queue.peek() else { break };
            if order::waits_for(cfg, date)
                .iter()
                .any(|d| !results.contains_key(d))
            {
                break; // a running date it compares with must finish first
            }
            queue.next();
            let job = Job {
                cfg: cfg.run.for_date(date),
                date,
                out: out.clone(),
                engine: engine.clone(),
                publisher: publisher.clone(),
                force: cfg.force,
            };
            // each date's log lines carry its date: `backfill{date=…}: …`
            let span = info_span!("backfill", date = %date);
            let handle = running.spawn(job.run().instrument(span));
            task_dates.insert(handle.id(), date);
        }
        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        let result = match joined {
            Ok((_, result)) => result,
            Err(e) => match task_dates.get(&e.id()) {
                Some(date) => {
                    DateResult::failed(*date, &Error::Internal(format!("date task failed: {e}")))
                }
                None => continue,
            },
        };
        progress.finished(&result);
        if let Ok(date) = NaiveDate::parse_from_str(&result.snapshot_date, "%Y-%m-%d") {
            results.insert(date, result);
        }
    }
    progress.clear();
    Ok(Summary::new(cfg, results, started.elapsed().as_secs_f64()))
}

/// One date of a backfill, owned by its task.
struct Job {
    cfg: RunConfig,
    date: NaiveDate,
    out: Location,
    /// Shared by every date: one runtime, so one memory limit.
    engine: Engine,
    publisher: Publisher,
    force: bool,
}

impl Job {
    async fn run(self) -> DateResult {
        let t = Instant::now();
        let date = self.date;
        let mut result = match self.execute().await {
            Ok(r) => r,
            Err((e, out)) => {
                let mut r = DateResult::failed(date, &e);
                if matches!(e, Error::QualityGate { .. } | Error::Threshold { .. }) {
                    // the gate writes a manifest: report its rejects
                    if let Ok(Some(m)) = manifest::newest(&out, date).await {
                        if m.status() == Some("quality_gate_failed") {
                            r.run_id = m.run_id();
                            r.rejects = Some(m.rejects());
                        }
                    }
                }
                r
            }
        };
        result.seconds = round3(t.elapsed().as_secs_f64());
        result
    }

    async fn execute(self) -> std::result::Result<DateResult, (Error, Location)> {
        if !self.force {
            match self.publisher.is_committed(self.date).await {
                Ok(true) => return Ok(DateResult::new(self.date, DateStatus::Skipped)),
                Ok(false) => {}
                Err(e) => return Err((e, self.out)),
            }
        }
        match pipeline::execute_on(&self.cfg, Mode::Run, &self.engine).await {
            Ok(report) => {
                let m = report.manifest;
                Ok(DateResult {
                    run_id: Some(m.run_id.clone()),
                    customer_tiers_rows: Some(
                        m.outputs.get("customer_tiers").map_or(0, |o| o.rows),
                    ),
                    rejects: Some(m.inputs.values().map(|i| i.rejected).sum()),
                    ..DateResult::new(self.date, DateStatus::Ok)
                })
            }
            Err(e) => Err((e, self.out)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::config::parse_date(s).unwrap()
    }

    fn config(from: &str, to: &str) -> BackfillConfig {
        BackfillConfig {
            from: d(from),
            to: d(to),
            newest_first: false,
            force: false,
            concurrency: 1,
            fail_fast: false,
            summary_json: None,
            progress_bar: false,
            run: RunConfig::new(None, crate::config::Settings::default()).unwrap(),
        }
    }

    #[test]
    fn dates_in_range_oldest_or_newest_first() {
        let mut cfg = config("2026-02-27", "2026-03-02");
        let names = |v: Vec<NaiveDate>| v.iter().map(|d| d.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(cfg.dates()),
            ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
        );
        cfg.newest_first = true;
        assert_eq!(
            names(cfg.dates()),
            ["2026-03-02", "2026-03-01", "2026-02-28", "2026-02-27"]
        );
        assert_eq!(config("2026-03-02", "2026-03-02").dates().len(), 1);
    }

    #[test]
    fn reversed_range_and_zero_concurrency_are_usage_errors() {
        let cfg = config("2026-03-02", "2026-03-01");
        assert_eq!(cfg.validate().unwrap_err().exit_code(), 2);
        let mut cfg = config("2026-03-01", "2026-03-02");
        cfg.concurrency = 0;
        assert_eq!(cfg.validate().unwrap_err().exit_code(), 2);
    }

    #[test]
    fn summary_is_in_date_order_with_totals_and_highest_exit_code() {
        let mut cfg = config("2026-03-01", "2026-03-04");
        cfg.newest_first = true;
        let mut results = BTreeMap::new();
        let mut ok = DateResult::new(d("2026-03-04"), DateStatus::Ok);
        ok.customer_tiers_rows = Some(15);
        ok.rejects = Some(7);
        ok.seconds = 1.5;
        results.insert(d("2026-03-04"), ok);
        let gate = Error::QualityGate {
            table: "accounts".into(),
            rejected: 9,
            read: 10,
            ratio: 0.9,
            limit: 0.05,
        };
        results.insert(d("2026-03-03"), DateResult::failed(d("2026-03-03"), &gate));
        let contract = Error::MissingPartition {
            table: "accounts".into(),
            url: "file:///in/accounts/snapshot_date=2026-03-02".into(),
        };
        results.insert(
            d("2026-03-02"),
            DateResult::failed(d("2026-03-02"), &contract),
        );
        // 2026-03-01 never started (e.g. --fail-fast)
        let s = Summary::new(&cfg, results, 2.0);
        let dates: Vec<_> = s.dates.iter().map(|r| r.snapshot_date.as_str()).collect();
        assert_eq!(
            dates,
            ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
        );
        assert_eq!(s.dates[0].status, DateStatus::NotRun);
        assert_eq!(s.exit_code, 4);
        assert_eq!(s.totals.failed, 2);
        assert_eq!(s.totals.not_run, 1);
        assert_eq!(s.totals.customer_tiers_rows, 15);
        let text = s.to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert_eq!(
            lines[0],
            "date        status           rows   rejects   seconds  error"
        );
        assert_eq!(
            lines[1],
            "2026-03-01  not_run             -         -      0.00"
        );
        let failed = "2026-03-02  failed              -         -      0.00  input contract: ";
        assert!(lines[2].starts_with(failed), "{}", lines[2]);
        assert_eq!(
            lines[4],
            "2026-03-04  ok                 15         7      1.50"
        );
        assert_eq!(
            lines[5],
            "total: 4 dates: 1 ok, 0 skipped, 2 failed, 0 interrupted, 1 not run; 15 rows, 7 rejects, 2.00 s; exit code 4"
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["dates"][2]["status"], "failed");
        assert_eq!(json["dates"][2]["exit_code"], 4);
        assert_eq!(json["dates"][0]["status"], "not_run");
        assert_eq!(json["totals"]["ok"], 1);
    }

    #[test]
    fn all_ok_or_skipped_exits_zero() {
        let cfg = config("2026-03-01", "2026-03-02");
        let mut results = BTreeMap::new();
        results.insert(
            d("2026-03-01"),
            DateResult::new(d("2026-03-01"), DateStatus::Ok),
        );
        results.insert(
            d("2026-03-02"),
            DateResult::new(d("2026-03-02"), DateStatus::Skipped),
        );
        assert_eq!(Summary::new(&cfg, results, 0.1).exit_code, 0);
    }
}
