//! `pulsetier report`: write the HTML run report of a committed date.

use std::process::ExitCode;

use pulsetier::{report, Result, RunConfig};

use crate::cli::ReportArgs;

/// Write `<output>/_reports/snapshot_date=D/report.html`; print its URL.
pub async fn run(args: ReportArgs) -> Result<ExitCode> {
    let days = args.days;
    let cfg = RunConfig::try_from(args.run)?;
    let s = cfg.settings();
    let url = report::write(s, cfg.date(), days.unwrap_or(s.report.days)).await?;
    println!("report written to {url}");
    Ok(ExitCode::SUCCESS)
}
