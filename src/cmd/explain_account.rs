//! `pulsetier explain-account`: one account's score, explained.

use std::process::ExitCode;

use pulsetier::cancel::Cancel;
use pulsetier::{explain_account, Result, RunConfig};

use crate::cli::ExplainAccountArgs;

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
