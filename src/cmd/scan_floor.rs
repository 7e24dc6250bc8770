//! `pulsetier scan-floor` (hidden): the benchmark's lower bound.

use std::process::ExitCode;

use pulsetier::{scan_floor, Result, RunConfig};

use crate::cli::RunArgs;

/// Scan every input column once; print the figures.
pub async fn run(args: RunArgs) -> Result<ExitCode> {
    let cfg = RunConfig::try_from(args)?;
    let report = scan_floor::scan_floor(&cfg).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}
