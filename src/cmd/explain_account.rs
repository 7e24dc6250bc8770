//! `pulsetier explain-account`: one account's score, explained.

use std::process::ExitCode;

use clap::Args;
use pulsetier::cancel::Cancel;
use pulsetier::{explain_account, Result, RunConfig};

use crate::cli::RunArgs;

/// Check and transform as `validate` does; print the account's explanation
/// as text or, with `--json`, as the documented JSON document.
pub async fn run(args: ExplainAccountArgs, cancel: Cancel) -> Result<ExitCode> {
    let mut cfg = RunConfig::try_from(args.run)?;
    cfg.cancel = cancel;
    let explanation = explain_account::explain(&cfg, &args.account).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&explanation)?);
    } else {
        print!("{}", explanation.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `explain-account`.
#[derive(Debug, Clone, Args)]
pub struct ExplainAccountArgs {
    /// The account_id to explain.
    #[arg(long)]
    pub account: String,
    /// Print the documented JSON document (docs/explain-account.md) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Date, locations and tunables, as for `validate`.
    #[command(flatten)]
    pub run: RunArgs,
}
