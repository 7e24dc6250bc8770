//! `pulsetier checks`: the run's spine up to [`check`] (freshness,
//! thresholds), every transform step whatever the gate says, then the
//! audits and anomaly checks over the computed tables; nothing written.

use super::check::check;
use super::prepare::prepare;
use super::Run;
use crate::audit;
use crate::config::RunConfig;
use crate::engine::Engine;
use crate::error::Result;
use crate::findings::Findings;
use crate::manifest::{Manifest, RunInfo};
use crate::transform;

/// Every check's finding for one date.
pub async fn checks(cfg: &RunConfig) -> Result<Findings> {
    let engine = Engine::new(cfg.settings())?;
    let run = Run::new(cfg, &engine);
    let work = async {
        let c = check(prepare(&run).await?).await?;
        let p = &c.p;
        let ctx = &p.session.ctx;
        transform::run_steps(ctx, &p.params, &p.session.keep, cfg.settings()).await?;
        audit::computed(ctx).await?;
        // the audits record into a manifest of what the run would write
        let info = RunInfo {
            run_id: run.id.clone(),
            date: p.date,
            started: run.started,
            engine: engine.describe(),
        };
        let mut manifest = Manifest::begin(&info, cfg.settings(), c.contract.inputs.clone());
        manifest.checks = c.contract.findings.clone();
        audit::run(ctx, &p.output, cfg.settings(), &mut manifest).await?;
        if engine.is_ballista() {
            // the cluster kept its step results under the run's staging
            p.staging.remove(&p.output).await?;
        }
        Ok(manifest.checks)
    };
    cfg.cancel.guard(work).await.map_err(|e| engine.map_err(e))
}
