//! `pulsetier checks`: every check, threshold and audit of one date.

use std::process::ExitCode;

use clap::Args;
use pulsetier::cancel::Cancel;
use pulsetier::{pipeline, Result, RunConfig};

use crate::cli::RunArgs;

/// Run the checks without writing anything; print them as a table (or
/// JSON). The exit code is the one a run would end with: 0 when everything
/// passes or only warns, 5 on a freshness error, 4 on any other error.
pub async fn run(args: ChecksArgs, cancel: Cancel) -> Result<ExitCode> {
    let mut cfg = RunConfig::try_from(args.run)?;
    cfg.cancel = cancel;
    let findings = pipeline::checks(&cfg).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else {
        print!("{}", findings.to_text());
    }
    Ok(ExitCode::from(findings.exit_code()))
}

/// Arguments of `checks`.
#[derive(Debug, Clone, Args)]
pub struct ChecksArgs {
    /// Date, locations and tunables, as for `run`.
    #[command(flatten)]
    pub run: RunArgs,
    /// Print the findings as JSON (the manifest's `checks` section) instead
    /// of a table.
    #[arg(long)]
    pub json: bool,
}
