//! `pulsetier config`: the effective configuration.

use std::process::ExitCode;

use pulsetier::{Result, RunConfig};

use crate::cli::RunArgs;

/// Print the validated settings as TOML, secrets redacted.
pub fn run(args: RunArgs) -> Result<ExitCode> {
    let cfg = RunConfig::try_from(args)?;
    print!("{}", cfg.settings().to_toml());
    Ok(ExitCode::SUCCESS)
}
