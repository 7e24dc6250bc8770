//! `pulsetier report`: write the HTML run report of a committed date.

use std::process::ExitCode;

use clap::Args;
use pulsetier::{report, Result, RunConfig};

use crate::cli::RunArgs;

/// Write `<output>/_reports/snapshot_date=D/report.html`; print its URL.
pub async fn run(args: ReportArgs) -> Result<ExitCode> {
    let days = args.days;
    let cfg = RunConfig::try_from(args.run)?;
    let s = cfg.settings();
    let url = report::write(s, cfg.date(), days.unwrap_or(s.report.days)).await?;
    println!("report written to {url}");
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Dates the charts over time cover, ending on D [default: report.days, 14].
    #[arg(long)]
    pub days: Option<u32>,
    /// Date (default: the newest date with a run under the output), output and config.
    #[command(flatten)]
    pub run: RunArgs,
}
