//! One nightly run, start to end, as one straight line: storage (open the
//! locations, resolve D) → history (the committed dates D compares with) →
//! engine (a session and its policy for keeping step results) → contract
//! (list and check every file, the check steps, rejects and the quality
//! gate) → transform (`sql/1*`, `sql/2*`) → stage
//! (every output and `_rejects` table written under `_staging`) → publish
//! (each table in the configured format) → manifest. The checks of
//! docs/checks.md sit on that line: freshness and thresholds come out of
//! the contract stage, the audits read the staged files back before
//! anything is published. `validate` stops before staging ([`transformed`]
//! too, handing back the session); `checks` audits the computed tables
//! instead; `explain` stops after planning.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use datafusion::common::ParamValues;
use tracing::info;

use crate::config::RunConfig;
use crate::contract::{self, Checked};
use crate::engine::{Engine, Keep, Purpose, Session};
use crate::error::{Error, Result};
use crate::findings::Kind;
use crate::history::History;
use crate::lineage::Lineage;
use crate::manifest::{Manifest, OutputStats};
use crate::output::WrittenFile;
use crate::publish::{Publisher, RunLock, Staging};
use crate::report;
use crate::storage::{partition_path, Location};
use crate::transform;

mod inspect;
mod stage;

pub use inspect::{checks, explain, transformed, Transformed};
use stage::compute_and_stage;

/// What to do with a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Check, transform, stage and publish.
    Run,
    /// Check and transform; write nothing.
    Validate,
}

/// The result of a run or validation that did not fail.
#[derive(Debug)]
pub struct Report {
    /// The manifest (written for `Run`, only returned for `Validate`).
    pub manifest: Manifest,
    /// Redacted URL of the output root.
    pub output: String,
}

/// Everything a run has once its inputs are checked.
struct Prepared {
    session: Session,
    date: NaiveDate,
    output: Location,
    publisher: Publisher,
    history: History,
    params: ParamValues,
    checked: Checked,
}

/// Open the locations, resolve D, open a session for `purpose`, and run the
/// contract stage.
async fn prepare(
    cfg: &RunConfig,
    engine: &Engine,
    run_id: &str,
    explain: Option<Keep>,
) -> Result<Prepared> {
    let s = cfg.settings();
    let input = Location::open(&s.input, &s.storage)?;
    let output = Location::open(&s.output, &s.storage)?;
    if !output.writable() {
        return Err(Error::Usage(format!(
            "output {} is read-only (http(s) locations can only be read)",
            output.display(&output.prefix)
        )));
    }
    let date = contract::read::snapshot_date(cfg.date(), &input).await?;
    info!(snapshot_date = %date, input = %input.display(&input.prefix), output = %output.display(&output.prefix), "run");
    let publisher = Publisher::new(s, &output, cfg.pause);
    let history = History::find(&publisher, date, s).await?;
    let purpose = match explain {
        Some(keep) => Purpose::Explain(keep),
        None => Purpose::Run {
            run_id,
            work: (&output, Staging::new(&output, date, run_id).work_dir()),
        },
    };
    let session = engine.session(purpose).await?;
    input.register(&session.ctx);
    output.register(&session.ctx);
    history.register(&session.ctx, &publisher).await?;
    crate::care::register(&session.ctx, &s.care)?;
    let params = transform::params(date, s, &history);
    let checked = contract::check_inputs(contract::Stage {
        ctx: &session.ctx,
        keep: &session.keep,
        params: &params,
        input: &input,
        date,
        settings: s,
        together: engine.together(),
    })
    .await?;
    Ok(Prepared {
        session,
        date,
        output,
        publisher,
        history,
        params,
        checked,
    })
}

/// A new run id: the UTC start time, then a few bits that differ between
/// runs started in the same millisecond.
fn new_run_id() -> String {
    let now = Utc::now();
    let nanos = now.timestamp_subsec_nanos();
    format!(
        "{}-{:08x}",
        now.format("%Y%m%dT%H%M%S%.3fZ"),
        nanos ^ std::process::id().rotate_left(16)
    )
}

/// Run (or validate) the pipeline for one snapshot date on an engine of
/// its own.
pub async fn execute(cfg: &RunConfig, mode: Mode) -> Result<Report> {
    execute_on(cfg, mode, &Engine::new(cfg.settings())?).await
}

/// Run (or validate) the pipeline for one snapshot date on `engine`, whose
/// runtime several runs may share (backfill `--concurrency`). Everything
/// before publishing is cancelled by the config's token (staging removed,
/// nothing published); publishing is not interrupted.
/// A run (not a validation) also sends its lineage events and, with
/// `[report] enabled`, writes its report once committed; neither can change
/// how the run ends (a failure there is a warning).
pub async fn execute_on(cfg: &RunConfig, mode: Mode, engine: &Engine) -> Result<Report> {
    let started = Utc::now();
    let run_id = new_run_id();
    let mut lineage = match mode {
        Mode::Run => Lineage::for_run(cfg, &run_id, started, engine.describe()),
        Mode::Validate => None,
    };
    if let Some(l) = &mut lineage {
        l.start(started);
    }
    let mut written = None;
    let result = run(cfg, mode, engine, &run_id, started, &mut written)
        .await
        .map_err(|e| engine.map_err(e));
    if let Some(l) = lineage {
        let manifest = match &result {
            Ok(r) => Some(&r.manifest),
            Err(_) => written.as_ref(),
        };
        l.finish(cfg, &result, manifest).await;
    }
    let s = cfg.settings();
    if let (Ok(r), Mode::Run, true) = (&result, mode, s.report.enabled) {
        if let Err(e) = report::write(s, r.manifest.date(), s.report.days).await {
            tracing::warn!(error = %e, "report not written; the run is committed");
        }
    }
    result
}

async fn run(
    cfg: &RunConfig,
    mode: Mode,
    engine: &Engine,
    run_id: &str,
    started: chrono::DateTime<Utc>,
    written: &mut Option<Manifest>,
) -> Result<Report> {
    let p = tokio::select! {
        biased;
        _ = cfg.cancel.cancelled() => None,
        p = prepare(cfg, engine, run_id, None) => Some(p?),
    };
    let Some(p) = p else {
        cfg.cancel.check()?;
        return Err(Error::Internal("cancelled".into()));
    };
    let lock = match mode {
        Mode::Run => Some(
            RunLock::acquire(
                &p.output,
                p.date,
                run_id,
                cfg.settings().storage.lock_stale_secs,
            )
            .await?,
        ),
        Mode::Validate => None,
    };
    let output = p.output.clone();
    let result = stage_and_publish(cfg, mode, engine, p, run_id, started, written).await;
    if let Some(lock) = lock {
        lock.release(&output).await;
    }
    result
}

/// What a run has once every file is staged: ready to publish.
struct Staged {
    manifest: Manifest,
    tables: Vec<(String, Vec<WrittenFile>)>,
    timings: BTreeMap<String, u64>,
}

/// Everything after `prepare`: stage (cancellable), then publish.
async fn stage_and_publish(
    cfg: &RunConfig,
    mode: Mode,
    engine: &Engine,
    p: Prepared,
    run_id: &str,
    started: chrono::DateTime<Utc>,
    written: &mut Option<Manifest>,
) -> Result<Report> {
    let staging = Staging::new(&p.output, p.date, run_id);
    let publisher = &p.publisher;
    let staged = tokio::select! {
        biased;
        _ = cfg.cancel.cancelled() => None,
        r = compute_and_stage(cfg, mode, engine, &p, run_id, started, &staging) => Some(r),
    };
    let staged = match staged {
        Some(Ok(staged)) => staged,
        other => {
            if mode == Mode::Run {
                // best effort: a leftover is also removed by the next run of D
                let _ = staging.remove(&p.output).await;
            }
            if let Some(Err(e)) = other {
                return Err(e);
            }
            cfg.cancel.check()?;
            return Err(Error::Internal("cancelled".into()));
        }
    };
    // an incomplete or stale input stops the run before the quality gate
    let gate = p.checked.freshness.or(p.checked.gate);
    let report = |manifest| Report {
        manifest,
        output: p.output.display(&p.output.prefix),
    };
    if mode == Mode::Validate {
        return match gate {
            Some(err) => Err(err),
            None => Ok(report(staged.manifest)),
        };
    }
    let Staged {
        mut manifest,
        tables,
        mut timings,
    } = staged;
    if let Some(err) = manifest.checks.first_error(&[Kind::Audit, Kind::Anomaly]) {
        // a blocking audit: nothing is published, not even the rejects
        staging.remove(&p.output).await?;
        manifest.fail(&err);
        manifest.finish(timings);
        manifest.write(&p.output).await?;
        *written = Some(manifest);
        return Err(err);
    }
    let t = Instant::now();
    for (table, files) in &tables {
        let delta_version = publisher
            .publish(&staging, table, p.date, files, run_id)
            .await?;
        let rows = files.iter().map(|f| f.rows).sum();
        info!(table = %table, rows, files = files.len(), ?delta_version, "published");
        manifest.outputs.insert(
            table.clone(),
            OutputStats {
                committed: true,
                partition: p.output.display(&partition_path(&p.output, table, p.date)),
                files: if publisher.lists_files() {
                    files.clone()
                } else {
                    Vec::new()
                },
                rows,
                delta_version,
            },
        );
    }
    staging.remove(&p.output).await?;
    timings.insert("publish".into(), contract::elapsed_ms(t));
    if let Some(err) = &gate {
        manifest.fail(err);
    }
    manifest.finish(timings);
    manifest.write(&p.output).await?;
    match gate {
        Some(err) => {
            *written = Some(manifest);
            Err(err)
        }
        None => Ok(report(manifest)),
    }
}
