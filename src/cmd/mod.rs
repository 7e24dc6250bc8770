//! One module per command: each turns its parsed arguments into the
//! library's plain config, calls the library and prints what the user sees.

use std::process::ExitCode;

use pulsetier::cancel::Cancel;
use pulsetier::Result;

use crate::cli::Command;

pub(crate) mod backfill;
pub(crate) mod checks;
mod config;
#[cfg(feature = "ballista-standalone")]
mod dev_cluster;
pub(crate) mod explain;
pub(crate) mod explain_account;
pub(crate) mod generate;
pub(crate) mod queue;
pub(crate) mod report;
mod run;
mod scan_floor;
mod validate;

/// Run `command`; `cancel` fires on SIGINT / SIGTERM.
pub async fn dispatch(command: Command, cancel: Cancel) -> Result<ExitCode> {
    match command {
        Command::Run(args) => run::run(args, cancel).await,
        Command::Validate(args) => validate::run(args, cancel).await,
        Command::Checks(args) => checks::run(args, cancel).await,
        Command::Explain(args) => explain::run(args).await,
        Command::ExplainAccount(args) => explain_account::run(args, cancel).await,
        Command::Config(args) => config::run(args),
        Command::Backfill(args) => backfill::run(args, cancel).await,
        Command::Generate(args) => generate::run(args).await,
        Command::Report(args) => report::run(args).await,
        Command::Queue(args) => queue::run(args).await,
        Command::ScanFloor(args) => scan_floor::run(args).await,
        #[cfg(feature = "ballista-standalone")]
        Command::DevCluster { vcores } => dev_cluster::run(vcores, cancel).await,
    }
}
