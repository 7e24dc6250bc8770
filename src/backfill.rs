//! Backfills: rerun a range of snapshot dates after a fix or a late delivery
//! ("rebuild October"). Each date is an independent run of
//! [`pipeline::run_on`] with its own staging, commit and manifest; the
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
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use tokio::task::JoinSet;
use tracing::{info, info_span, Instrument};

mod order;
mod progress;
mod summary;

use progress::Progress;
use summary::round3;
pub use summary::{DateResult, DateStatus, Summary, Totals, SUMMARY_VERSION};

use crate::config::RunConfig;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::manifest::Status;
use crate::pipeline::{self, Failure};
use crate::publish::Publisher;
use crate::storage::Location;
use crate::tables::Output;

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

/// Run the backfill: every date of the range not yet committed (all with
/// `force`), `concurrency` at a time. Per-date failures are in the summary;
/// only a problem of the whole backfill (bad settings, unusable output
/// location) is an `Err`.
pub async fn run(cfg: &BackfillConfig) -> Result<Summary> {
    cfg.validate()?;
    let s = cfg.run.settings();
    let out = Location::open(&s.output, &s.storage)?;
    let engine = Engine::new(s)?;
    let publisher = Publisher::new(s, &out);
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
            Err(Failure { error, manifest }) => {
                let mut r = DateResult::failed(date, &error);
                // the gate commits the rejects and writes a manifest:
                // report them
                if let Some(m) = manifest.filter(|m| m.status == Status::QualityGateFailed) {
                    r.run_id = Some(m.run_id.clone());
                    r.rejects = Some(m.rejects());
                }
                r
            }
        };
        result.seconds = round3(t.elapsed().as_secs_f64());
        result
    }

    async fn execute(self) -> std::result::Result<DateResult, Failure> {
        if !self.force && self.publisher.is_committed(self.date).await? {
            return Ok(DateResult::new(self.date, DateStatus::Skipped));
        }
        let m = pipeline::run_on(&self.cfg, &self.engine).await?.manifest;
        let tiers = m.outputs.get(Output::CustomerTiers.name());
        Ok(DateResult {
            run_id: Some(m.run_id.clone()),
            customer_tiers_rows: Some(tiers.map_or(0, |o| o.rows)),
            rejects: Some(m.rejects()),
            ..DateResult::new(self.date, DateStatus::Ok)
        })
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
