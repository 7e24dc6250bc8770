//! `pulsetier validate`: the run's spine up to [`compute`], then each
//! output's rows counted (and, for a published Delta date, checked against
//! the table); nothing is staged or written.

use super::check::check;
use super::compute::compute;
use super::prepare::prepare;
use super::{Finished, Run};
use crate::config::RunConfig;
use crate::engine::Engine;
use crate::error::Result;
use crate::manifest::OutputStats;
use crate::tables::Output;

/// Check and compute everything for one date, write nothing; the manifest
/// the run would write. A failed freshness check or quality gate is the
/// error. Cancelled by the config's token.
pub async fn validate(cfg: &RunConfig) -> Result<Finished> {
    let engine = Engine::new(cfg.settings())?;
    let run = Run::new(cfg, &engine);
    let work = async {
        let mut c = compute(check(prepare(&run).await?).await?).await?;
        if c.passed {
            for table in Output::ALL {
                let ctx = &c.p.session.ctx;
                let rows = ctx.table(table.name()).await?.count().await? as u64;
                let delta_version =
                    c.p.publisher
                        .check_published(table.name(), c.p.date, rows)
                        .await?;
                let stats = OutputStats {
                    rows,
                    delta_version,
                    ..Default::default()
                };
                c.manifest.outputs.insert(table.name().into(), stats);
            }
        }
        c.manifest.finish(c.timings.clone());
        match c.verdict() {
            Some(err) => Err(err),
            None => Ok(Finished {
                output: c.p.output_url(),
                manifest: c.manifest,
            }),
        }
    };
    cfg.cancel.guard(work).await.map_err(|e| engine.map_err(e))
}
