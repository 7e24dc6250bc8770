//! `pulsetier generate`: deterministic synthetic inputs.

use std::process::ExitCode;

use clap::Args;
use pulsetier::config::parse_date;
use pulsetier::generate::{generate, GenerateConfig};
use pulsetier::Error;
use pulsetier::Result;

/// Write the inputs; print what was written.
pub async fn run(args: GenerateArgs) -> Result<ExitCode> {
    let cfg = GenerateConfig::try_from(args)?;
    let report = generate(&cfg).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}

/// Options of `generate`.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Output root URL or path.
    #[arg(long, default_value = "generated-input")]
    pub output: String,
    /// Snapshot date D (YYYY-MM-DD).
    #[arg(long, default_value = "2026-03-10")]
    pub date: String,
    /// Accounts in the snapshot; the other tables scale with it.
    #[arg(long, default_value_t = 10_000)]
    pub accounts: u64,
    /// PRNG seed: the same seed and arguments give byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl TryFrom<GenerateArgs> for pulsetier::generate::GenerateConfig {
    type Error = Error;

    fn try_from(a: GenerateArgs) -> Result<Self> {
        if a.accounts == 0 {
            return Err(Error::Usage("--accounts must be at least 1".into()));
        }
        Ok(pulsetier::generate::GenerateConfig {
            output: a.output,
            date: parse_date(&a.date)?,
            accounts: a.accounts,
            seed: a.seed,
            windows: pulsetier::config::Windows::default(),
        })
    }
}
