//! `pulsetier explain`: the plan of every SQL step.

use std::process::ExitCode;

use clap::Args;
use pulsetier::{pipeline, Result, RunConfig};

use crate::cli::RunArgs;

/// Print every step's plan (with `--analyze`, executed, with metrics).
pub async fn run(args: ExplainArgs) -> Result<ExitCode> {
    let cfg = RunConfig::try_from(args.run)?;
    print!("{}", pipeline::explain(&cfg, args.analyze).await?);
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `explain`.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// Date, locations and tunables, as for `run`.
    #[command(flatten)]
    pub run: RunArgs,
    /// Also execute every step (writing nothing) and show each operator's
    /// measured rows, time and memory (`EXPLAIN ANALYZE`). Steps are planned
    /// inline, so a later step's figures include the steps it reads.
    #[arg(long)]
    pub analyze: bool,
}
