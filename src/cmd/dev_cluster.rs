//! `pulsetier dev-cluster` (hidden): a Ballista scheduler and executor in
//! this process, for trying `--engine ballista` and for the tests.

use std::process::ExitCode;

use pulsetier::cancel::Cancel;
use pulsetier::Result;

/// Serve until SIGINT / SIGTERM.
pub async fn run(vcores: usize, cancel: Cancel) -> Result<ExitCode> {
    pulsetier::engine::dev_cluster(vcores, &cancel).await?;
    Ok(ExitCode::SUCCESS)
}
