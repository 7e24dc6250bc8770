//! `pulsetier queue`: the committed care queue of a date, for a care desk.

use std::process::ExitCode;

use clap::Args;
use pulsetier::care::desk::{self, DeskQuery};
use pulsetier::{Error, Result, RunConfig};

use crate::cli::RunArgs;

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

/// Arguments of `queue`.
#[derive(Debug, Clone, Args)]
pub struct QueueArgs {
    /// Only this lane (customer_p1 … customer_p4, influencer_prospect, public).
    #[arg(long)]
    pub lane: Option<String>,
    /// Only this route (team).
    #[arg(long)]
    pub route: Option<String>,
    /// At most this many shouts, in queue order.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Snapshot date (required), output and config.
    #[command(flatten)]
    pub run: RunArgs,
}
