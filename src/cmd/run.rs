//! `pulsetier run`: the nightly job for one snapshot date.

use std::process::ExitCode;

use pulsetier::cancel::Cancel;
use pulsetier::pipeline;
use pulsetier::tables::Output;
use pulsetier::{Result, RunConfig};

use crate::cli::RunArgs;

/// Run and publish; print where the outputs are.
pub async fn run(args: RunArgs, cancel: Cancel) -> Result<ExitCode> {
    let mut cfg = RunConfig::try_from(args)?;
    cfg.cancel = cancel;
    let report = pipeline::run(&cfg).await?;
    println!(
        "published snapshot_date={} to {} (run {}, customer_tiers {} rows)",
        report.manifest.snapshot_date,
        report.output,
        report.manifest.run_id,
        report
            .manifest
            .outputs
            .get(Output::CustomerTiers.name())
            .map_or(0, |o| o.rows)
    );
    Ok(ExitCode::SUCCESS)
}
