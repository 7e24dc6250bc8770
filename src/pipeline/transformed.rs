//! `explain-account`'s way into a run: prepared, checked and every
//! transform step run, as `validate` does, then the session handed back
//! with every step result registered under its name, for the caller to
//! query.

use chrono::NaiveDate;
use datafusion::common::ParamValues;

use super::check::check;
use super::prepare::prepare;
use super::Run;
use crate::config::RunConfig;
use crate::engine::{Engine, Session};
use crate::error::Result;
use crate::publish::Staging;
use crate::storage::Location;
use crate::transform;

/// A run checked and transformed as `validate` does, nothing staged or
/// published: every check and step result is registered in `session` under
/// its name (`checked_<table>`, `files_<table>`, `valid_accounts`, …,
/// `customer_tiers`), kept as the engine's policy says, for a caller to
/// query (`explain-account`). [`Transformed::close`] ends it.
pub struct Transformed {
    /// The session holding every result.
    pub session: Session,
    /// Snapshot date D.
    pub date: NaiveDate,
    /// The run's bound SQL parameters (`transform::params`).
    pub params: ParamValues,
    /// The engine, to map a query's error as the run does.
    pub engine: Engine,
    output: Location,
    staging: Staging,
}

/// Check the inputs and run every transform step, as `validate` does, and
/// hand back the session instead of counting the outputs. A failed quality
/// gate is the error (the steps do not run then). Cancelled by the
/// config's token.
pub async fn transformed(cfg: &RunConfig) -> Result<Transformed> {
    let engine = Engine::new(cfg.settings())?;
    let run = Run::new(cfg, &engine);
    let work = async {
        let mut c = check(prepare(&run).await?).await?;
        if let Some(gate) = c.contract.gate.take() {
            return Err(gate);
        }
        let p = c.p;
        transform::run_steps(&p.session.ctx, &p.params, &p.session.keep, cfg.settings()).await?;
        Ok((p.session, p.date, p.params, p.output, p.staging))
    };
    let (session, date, params, output, staging) = cfg
        .cancel
        .guard(work)
        .await
        .map_err(|e| engine.map_err(e))?;
    Ok(Transformed {
        session,
        date,
        params,
        engine,
        output,
        staging,
    })
}

impl Transformed {
    /// Drop the session; on a cluster, also remove the step results it
    /// kept in the run's staging (best effort: the next run of D removes
    /// leftovers too).
    pub async fn close(self) {
        let is_ballista = self.engine.is_ballista();
        drop(self.session);
        if is_ballista {
            let _ = self.staging.remove(&self.output).await;
        }
    }
}
