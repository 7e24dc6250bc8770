//! `pulsetier backfill`: a range of dates, skipping those committed.

use std::process::ExitCode;

use clap::Args;
use pulsetier::backfill::{self, BackfillConfig};
use pulsetier::cancel::Cancel;
use pulsetier::config::parse_date;
use pulsetier::Error;
use pulsetier::Result;

use crate::cli::CommonArgs;

/// Run the range; print the summary (and write it as JSON if asked). The
/// exit code is the highest of the dates'.
pub async fn run(args: BackfillArgs, cancel: Cancel) -> Result<ExitCode> {
    let mut cfg = BackfillConfig::try_from(args)?;
    cfg.run.cancel = cancel;
    let summary = backfill::run(&cfg).await?;
    print!("{}", summary.to_text());
    if let Some(path) = &cfg.summary_json {
        summary.write_json(path)?;
    }
    Ok(ExitCode::from(summary.exit_code))
}

/// Options of `backfill`: a range of snapshot dates, each run on its own.
#[derive(Debug, Clone, Args)]
pub struct BackfillArgs {
    /// First snapshot date of the range (YYYY-MM-DD, inclusive).
    #[arg(long, env = "PULSETIER_FROM")]
    pub from: String,
    /// Last snapshot date of the range (YYYY-MM-DD, inclusive).
    #[arg(long, env = "PULSETIER_TO")]
    pub to: String,
    /// Start with the newest date (a catch-up) instead of the oldest.
    #[arg(long, env = "PULSETIER_NEWEST_FIRST")]
    pub newest_first: bool,
    /// Rerun dates that are already committed.
    #[arg(long, env = "PULSETIER_FORCE")]
    pub force: bool,
    /// Dates run at once; they share one memory limit.
    #[arg(long, env = "PULSETIER_CONCURRENCY", default_value_t = 1)]
    pub concurrency: usize,
    /// Start no new date after the first failed one.
    #[arg(long, env = "PULSETIER_FAIL_FAST")]
    pub fail_fast: bool,
    /// Also write the summary as JSON to this file.
    #[arg(long, env = "PULSETIER_SUMMARY_JSON")]
    pub summary_json: Option<std::path::PathBuf>,
    /// Locations, config file and tunables.
    #[command(flatten)]
    pub common: CommonArgs,
}

impl TryFrom<BackfillArgs> for BackfillConfig {
    type Error = Error;

    fn try_from(a: BackfillArgs) -> Result<BackfillConfig> {
        Ok(BackfillConfig {
            from: parse_date(&a.from)?,
            to: parse_date(&a.to)?,
            newest_first: a.newest_first,
            force: a.force,
            concurrency: a.concurrency,
            fail_fast: a.fail_fast,
            summary_json: a.summary_json,
            progress_bar: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            run: a.common.run_config(None)?,
        })
    }
}
