//! `pulsetier backfill`: a range of dates, skipping those committed.

use std::process::ExitCode;

use pulsetier::backfill::{self, BackfillConfig};
use pulsetier::cancel::Cancel;
use pulsetier::Result;

use crate::cli::BackfillArgs;

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
