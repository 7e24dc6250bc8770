//! `pulsetier generate`: deterministic synthetic inputs.

use std::process::ExitCode;

use pulsetier::generate::{generate, GenerateConfig};
use pulsetier::Result;

use crate::cli::GenerateArgs;

/// Write the inputs; print what was written.
pub async fn run(args: GenerateArgs) -> Result<ExitCode> {
    let cfg = GenerateConfig::try_from(args)?;
    let report = generate(&cfg).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}
