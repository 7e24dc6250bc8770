//! The third stage: the transform steps (`sql/1*`, `sql/2*`), unless a
//! freshness check or the quality gate failed; and the run's manifest,
//! begun with the contract's figures and the dates D compares with.

use std::collections::BTreeMap;
use std::time::Instant;

use super::check::Checked;
use super::prepare::Prepared;
use crate::contract::{self, elapsed_ms};
use crate::error::Result;
use crate::manifest::{Manifest, RunInfo};
use crate::transform;

/// A run whose outputs are computed (registered in its session), or not
/// when its inputs failed a check.
pub(crate) struct Computed<'a> {
    pub p: Prepared<'a>,
    pub contract: contract::Checked,
    /// Whether the inputs passed (fresh, under the quality gate): only then
    /// are the outputs computed.
    pub passed: bool,
    /// The manifest so far: inputs, checks, compared dates.
    pub manifest: Manifest,
    /// Milliseconds per stage so far.
    pub timings: BTreeMap<String, u64>,
}

impl Computed<'_> {
    /// Whether the inputs are fresh and complete (the rejects are staged
    /// then, even when the quality gate failed).
    pub fn fresh(&self) -> bool {
        self.contract.freshness.is_none()
    }

    /// The error the run ends with once its rejects are committed: an
    /// incomplete or stale input first, then the quality gate.
    pub fn verdict(&mut self) -> Option<crate::Error> {
        self.contract
            .freshness
            .take()
            .or_else(|| self.contract.gate.take())
    }
}

/// Run the transform steps (when the inputs passed) and begin the manifest.
pub(crate) async fn compute(c: Checked<'_>) -> Result<Computed<'_>> {
    let Checked { p, contract } = c;
    let passed = contract.freshness.is_none() && contract.gate.is_none();
    let mut timings: BTreeMap<String, u64> = contract
        .timings_ms
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    let t = Instant::now();
    if passed {
        transform::run_steps(
            &p.session.ctx,
            &p.params,
            &p.session.keep,
            p.run.cfg.settings(),
        )
        .await?;
    }
    timings.insert("transform".into(), elapsed_ms(t));
    let run = RunInfo {
        run_id: p.run.id.clone(),
        date: p.date,
        started: p.run.started,
        engine: p.run.engine.describe(),
    };
    let mut manifest = Manifest::begin(&run, p.run.cfg.settings(), contract.inputs.clone());
    manifest.checks = contract.findings.clone();
    manifest.compared_with(p.history.previous, p.history.baseline);
    manifest.queued_snapshot_dates = p.history.queued.iter().map(|d| d.to_string()).collect();
    Ok(Computed {
        p,
        contract,
        passed,
        manifest,
        timings,
    })
}
