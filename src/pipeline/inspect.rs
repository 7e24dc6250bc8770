//! The read-only ways into a run: [`transformed`] (checked and transformed,
//! the session handed back: `explain-account`), [`checks`] (every check and
//! audit, nothing written) and [`explain`] (each step's plan).

use chrono::NaiveDate;
use datafusion::common::ParamValues;

use super::{new_run_id, prepare};
use crate::audit;
use crate::config::RunConfig;
use crate::contract::TABLES;
use crate::engine::{self, Engine, Keep, Session};
use crate::error::{Error, Result};
use crate::findings::Findings;
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

/// Check the inputs and run every transform step, exactly as `validate`
/// does, and hand back the session instead of counting the outputs. A
/// failed quality gate is the error (the steps do not run then).
/// Cancelled by the config's token.
pub async fn transformed(cfg: &RunConfig) -> Result<Transformed> {
    let engine = Engine::new(cfg.settings())?;
    let run_id = new_run_id();
    let work = async {
        let mut p = prepare(cfg, &engine, &run_id, None).await?;
        if let Some(gate) = p.checked.gate.take() {
            return Err(gate);
        }
        transform::run_steps(&p.session.ctx, &p.params, &p.session.keep).await?;
        Ok(p)
    };
    let p = tokio::select! {
        biased;
        _ = cfg.cancel.cancelled() => None,
        p = work => Some(p.map_err(|e| engine.map_err(e))?),
    };
    let Some(p) = p else {
        cfg.cancel.check()?;
        return Err(Error::Internal("cancelled".into()));
    };
    Ok(Transformed {
        staging: Staging::new(&p.output, p.date, &run_id),
        session: p.session,
        date: p.date,
        params: p.params,
        output: p.output,
        engine,
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

/// `pulsetier checks`: the contract stage (freshness, thresholds), every
/// transform (whatever the gate says), then the audits and anomaly checks
/// over the computed tables; writes nothing.
pub async fn checks(cfg: &RunConfig) -> Result<Findings> {
    let engine = Engine::new(cfg.settings())?;
    let run_id = new_run_id();
    let work = async {
        let p = prepare(cfg, &engine, &run_id, None).await?;
        let ctx = &p.session.ctx;
        transform::run_steps(ctx, &p.params, &p.session.keep).await?;
        audit::computed(ctx).await?;
        let mut findings = p.checked.findings.clone();
        audit::run(
            ctx,
            &p.output,
            p.date,
            &p.checked.inputs,
            cfg.settings(),
            &mut findings,
        )
        .await?;
        if engine.is_ballista() {
            // the cluster kept its step results under the run's staging
            Staging::new(&p.output, p.date, &run_id)
                .remove(&p.output)
                .await?;
        }
        Ok(findings)
    };
    let result = tokio::select! {
        biased;
        _ = cfg.cancel.cancelled() => cfg.cancel.check().and(Err(Error::Internal("cancelled".into()))),
        r = work => r,
    };
    result.map_err(|e| engine.map_err(e))
}

/// The logical and physical plans of every SQL step, as text. Each step is
/// planned on its own, reading the steps before it as tables (empty ones,
/// or with `analyze` the computed results: then each step is executed and
/// its operators' rows, time and memory shown).
pub async fn explain(cfg: &RunConfig, analyze: bool) -> Result<String> {
    let engine = Engine::new(cfg.settings())?;
    let plans = engine::Plans::default();
    let keep = Keep::Explain {
        analyze,
        plans: plans.clone(),
    };
    let p = prepare(cfg, &engine, "explain", Some(keep.clone())).await?;
    transform::run_steps(&p.session.ctx, &p.params, &keep).await?;
    let plans = plans
        .lock()
        .map_err(|_| Error::Internal("explain: plans lock poisoned".into()))?;
    let checks = TABLES
        .iter()
        .map(|spec| (spec.check_sql.0, format!("checked_{}", spec.name)));
    let steps = transform::STEPS
        .iter()
        .map(|step| (step.file, step.output.to_string()));
    let mut text = String::new();
    for (file, name) in checks.chain(steps) {
        let plan = plans
            .get(&name)
            .map(String::as_str)
            .unwrap_or("(not planned)");
        text.push_str(&format!("=== {file} ({name}) ===\n{plan}\n"));
    }
    Ok(text)
}
