//! `pulsetier explain`: the plan of every SQL step.

use std::process::ExitCode;

use pulsetier::{pipeline, Result, RunConfig};

use crate::cli::ExplainArgs;

/// Print every step's plan (with `--analyze`, executed, with metrics).
pub async fn run(args: ExplainArgs) -> Result<ExitCode> {
    let cfg = RunConfig::try_from(args.run)?;
    print!("{}", pipeline::explain(&cfg, args.analyze).await?);
    Ok(ExitCode::SUCCESS)
}
