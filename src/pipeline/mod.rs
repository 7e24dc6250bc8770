//! One nightly run as one straight spine. Each stage is a function that
//! takes the value the stage before it returned and hands on the next:
//!
//! [`prepare`](prepare::prepare) (open the locations, resolve D, find the
//! committed dates D compares with, open a session) →
//! [`check`](check::check) (the input contract: files, row rules, rejects,
//! freshness, the quality gate) →
//! [`compute`](compute::compute) (the `sql/` steps, and the manifest begun) →
//! [`stage`](stage::stage) (every output and `_rejects` table written under
//! `_staging`, then the audits of the staged files) →
//! [`commit`](commit::commit) (each table published, the manifest written).
//!
//! [`run_on`] holds the date's lock from `compute` to `commit` and guards
//! everything before `commit` with the run's cancellation (a signal then
//! removes the staging and publishes nothing). The read-only ways into a
//! run are paths of their own that stop after the stage they need:
//! [`validate`] after `compute` (rows counted, nothing written),
//! [`checks`] after the steps (audits of the computed tables),
//! [`transformed`] after the steps (the session handed to
//! `explain-account`), [`explain`] after planning.

use chrono::{DateTime, Utc};

use crate::config::RunConfig;
use crate::engine::{Engine, Keep};
use crate::error::Error;
use crate::lineage::Lineage;
use crate::manifest::Manifest;
use crate::report;

mod check;
mod checks;
mod commit;
mod compute;
mod explain;
mod prepare;
mod stage;
mod transformed;
mod validate;

pub use checks::checks;
pub use explain::explain;
pub use transformed::{transformed, Transformed};
pub use validate::validate;

/// A run or validation that did not fail.
#[derive(Debug)]
pub struct Finished {
    /// The manifest (written by a run, only returned by `validate`).
    pub manifest: Manifest,
    /// Redacted URL of the output root.
    pub output: String,
}

/// A run that failed: its error, and the manifest it wrote when it got
/// that far (the quality gate, a freshness check or an audit stops a run
/// after its manifest is written).
#[derive(Debug)]
pub struct Failure {
    /// Why it stopped.
    pub error: Error,
    /// The manifest written, if any.
    pub manifest: Option<Manifest>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure {
            error,
            manifest: None,
        }
    }
}

/// One run's identity and what every stage of it reads.
pub(crate) struct Run<'a> {
    cfg: &'a RunConfig,
    engine: &'a Engine,
    id: String,
    started: DateTime<Utc>,
    /// `explain`: each step's plan recorded instead of results kept.
    plans: Option<Keep>,
}

impl<'a> Run<'a> {
    fn new(cfg: &'a RunConfig, engine: &'a Engine) -> Run<'a> {
        Run {
            cfg,
            engine,
            id: new_run_id(),
            started: Utc::now(),
            plans: None,
        }
    }
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

/// Run the pipeline for one snapshot date and publish, on an engine of its
/// own.
pub async fn run(cfg: &RunConfig) -> crate::Result<Finished> {
    run_on(cfg, &Engine::new(cfg.settings())?)
        .await
        .map_err(|f| f.error)
}

/// Run the pipeline for one snapshot date and publish, on `engine`, whose
/// runtime several runs may share (backfill `--concurrency`). Everything
/// before publishing is cancelled by the config's token (staging removed,
/// nothing published); publishing is not interrupted. The run also sends
/// its lineage events and, with `[report] enabled`, writes its report once
/// committed; neither can change how the run ends (a failure there is a
/// warning).
pub async fn run_on(cfg: &RunConfig, engine: &Engine) -> Result<Finished, Failure> {
    let run = Run::new(cfg, engine);
    let mut lineage = Lineage::for_run(cfg, &run.id, run.started, engine.describe());
    if let Some(l) = &mut lineage {
        l.start(run.started);
    }
    let result = spine(&run).await.map_err(|f| Failure {
        error: engine.map_err(f.error),
        manifest: f.manifest,
    });
    if let Some(l) = lineage {
        let (error, manifest) = match &result {
            Ok(done) => (None, Some(&done.manifest)),
            Err(f) => (Some(&f.error), f.manifest.as_ref()),
        };
        l.finish(cfg, error, manifest).await;
    }
    let s = cfg.settings();
    if let (Ok(done), true) = (&result, s.report.enabled) {
        if let Err(e) = report::write(s, done.manifest.date(), s.report.days).await {
            tracing::warn!(error = %e, "report not written; the run is committed");
        }
    }
    result
}

/// prepare → check → (lock) compute → stage → commit.
async fn spine(run: &Run<'_>) -> Result<Finished, Failure> {
    let cancel = &run.cfg.cancel;
    let checked = cancel
        .guard(async { check::check(prepare::prepare(run).await?).await })
        .await?;
    let (output, staging) = (checked.p.output.clone(), checked.p.staging.clone());
    let lock = checked.p.lock().await?;
    let staged = cancel
        .guard(async { stage::stage(compute::compute(checked).await?).await })
        .await;
    let result = match staged {
        Ok(staged) => commit::commit(staged).await,
        Err(e) => {
            // best effort: a leftover is also removed by the next run of D
            let _ = staging.remove(&output).await;
            Err(e.into())
        }
    };
    lock.release(&output).await;
    result
}
