//! The second stage: the input contract ([`contract::check_inputs`]) over
//! the prepared session: every file listed and checked, the typed views
//! and check steps registered, rejects counted, freshness, thresholds and
//! the quality gate judged.

use super::prepare::Prepared;
use crate::contract;
use crate::error::Result;

/// A run whose inputs are checked.
pub(crate) struct Checked<'a> {
    pub p: Prepared<'a>,
    /// The contract's verdict: inputs, gate, freshness, findings, timings.
    pub contract: contract::Checked,
}

/// Run the contract stage.
pub(crate) async fn check(p: Prepared<'_>) -> Result<Checked<'_>> {
    let contract = contract::check_inputs(contract::Stage {
        ctx: &p.session.ctx,
        keep: &p.session.keep,
        params: &p.params,
        input: &p.input,
        date: p.date,
        settings: p.run.cfg.settings(),
        together: p.run.engine.together(),
    })
    .await?;
    Ok(Checked { p, contract })
}
