//! `pulsetier queue`: the committed care queue of a date, for a care desk.

use std::process::ExitCode;

use pulsetier::care::desk::{self, DeskQuery};
use pulsetier::{Error, Result, RunConfig};

use crate::cli::QueueArgs;

/// Print the queue of `--date` as text (80 columns) or JSON.
pub async fn run(args: QueueArgs) -> Result<ExitCode> {
    if args.run.date.is_none() {
        return Err(Error::Usage("queue: --date is required".into()));
    }
    let cfg = RunConfig::try_from(args.run)?;
    let q = DeskQuery {
        date: cfg.date(),
        lane: args.lane,
        route: args.route,
        limit: args.limit,
    };
    let d = desk::read(cfg.settings(), &q).await?;
    if args.json {
        let text = serde_json::to_string_pretty(&d)
            .map_err(|e| Error::Internal(format!("queue: JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", desk::to_text(&d));
    }
    Ok(ExitCode::SUCCESS)
}
