//! `pulsetier validate`: checks and transforms, nothing written.

use std::process::ExitCode;

use pulsetier::cancel::Cancel;
use pulsetier::pipeline;
use pulsetier::{Result, RunConfig};

use crate::cli::RunArgs;

/// Validate; print the manifest the run would write.
pub async fn run(args: RunArgs, cancel: Cancel) -> Result<ExitCode> {
    let mut cfg = RunConfig::try_from(args)?;
    cfg.cancel = cancel;
    let report = pipeline::validate(&cfg).await?;
    println!("{}", serde_json::to_string_pretty(&report.manifest)?);
    Ok(ExitCode::SUCCESS)
}
