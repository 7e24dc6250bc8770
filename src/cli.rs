//! Command-line interface (clap). Parses flags and `PULSETIER_*` variables
//! and turns them into a plain [`RunConfig`]; the library never sees clap
//! types. Precedence: defaults < `--config` TOML < environment < flags
//! (clap resolves environment vs flag; unset options leave the TOML value).

use clap::{Args, Parser, Subcommand};

use crate::config::{parse_date, RunConfig, Settings};
use crate::error::{Error, Result};

/// pulsetier: scored customer tiers, NPS aggregates and social pulse from
/// Parquet snapshots, via Apache DataFusion.
#[derive(Debug, Parser)]
#[command(name = "pulsetier", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the nightly job for one snapshot date and publish the outputs.
    Run(RunArgs),
    /// Check the inputs and compute everything for one date; write nothing.
    Validate(RunArgs),
    /// Print the logical and physical plan of every SQL step.
    Explain(RunArgs),
    /// Print the effective configuration as TOML (defaults, file, environment, flags).
    Config(RunArgs),
}

/// Options of the commands that work on one snapshot date.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Snapshot date D (YYYY-MM-DD). Default: the newest accounts partition under the input.
    #[arg(long, env = "PULSETIER_DATE")]
    pub date: Option<String>,
    /// Locations, config file and tunables.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options shared by every command that reads inputs and writes outputs.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Input root URL or path [default: fixtures/input].
    #[arg(long, env = "PULSETIER_INPUT")]
    pub input: Option<String>,
    /// Output root URL or path [default: pulsetier-output].
    #[arg(long, env = "PULSETIER_OUTPUT")]
    pub output: Option<String>,
    /// TOML configuration file.
    #[arg(long, env = "PULSETIER_CONFIG")]
    pub config: Option<String>,
    /// Tunables; each also in the TOML file.
    #[command(flatten)]
    pub tune: TuneArgs,
}

/// Settings that can be overridden by flag or environment.
#[derive(Debug, Clone, Default, Args)]
pub struct TuneArgs {
    /// Mentions window in days [default: 30].
    #[arg(long, env = "PULSETIER_MENTIONS_DAYS")]
    pub mentions_days: Option<u32>,
    /// Survey window in days [default: 90].
    #[arg(long, env = "PULSETIER_NPS_DAYS")]
    pub nps_days: Option<u32>,
    /// Influence window in days [default: 90].
    #[arg(long, env = "PULSETIER_INFLUENCE_MAX_AGE_DAYS")]
    pub influence_max_age_days: Option<u32>,
    /// Quality gate: highest allowed rejected/rows_read per table [default: 0.05].
    #[arg(long, env = "PULSETIER_MAX_REJECT_RATIO")]
    pub max_reject_ratio: Option<f64>,
    /// NPS groups under this many responses are low_sample [default: 30].
    #[arg(long, env = "PULSETIER_MIN_RESPONSES")]
    pub min_responses: Option<i64>,
    /// Memory limit of the query engine, e.g. 1g; spills to disk above it.
    #[arg(long, env = "PULSETIER_MEMORY_LIMIT")]
    pub memory_limit: Option<String>,
    /// DataFusion target partitions [default: number of cores].
    #[arg(long, env = "PULSETIER_TARGET_PARTITIONS")]
    pub target_partitions: Option<usize>,
    /// Rows per Arrow batch [default: 8192].
    #[arg(long, env = "PULSETIER_BATCH_SIZE")]
    pub batch_size: Option<usize>,
    /// Rows per Parquet row group in the outputs [default: 122880].
    #[arg(long, env = "PULSETIER_ROW_GROUP_SIZE")]
    pub row_group_size: Option<usize>,
}

impl TryFrom<RunArgs> for RunConfig {
    type Error = Error;

    fn try_from(a: RunArgs) -> Result<RunConfig> {
        let settings = Settings::try_from(a.common)?;
        let date = a.date.as_deref().map(parse_date).transpose()?;
        Ok(RunConfig { date, settings })
    }
}

impl TryFrom<CommonArgs> for Settings {
    type Error = Error;

    /// Defaults < TOML file < environment/flags (clap has already merged those two).
    fn try_from(a: CommonArgs) -> Result<Settings> {
        let mut s = match &a.config {
            Some(path) => Settings::from_toml_file(path)?,
            None => Settings::default(),
        };
        if let Some(v) = a.input {
            s.input = v;
        }
        if let Some(v) = a.output {
            s.output = v;
        }
        let t = a.tune;
        macro_rules! set {
            ($($field:ident => $target:expr),* $(,)?) => {
                $(if let Some(v) = t.$field { $target = v; })*
            };
        }
        set! {
            mentions_days => s.windows.mentions_days,
            nps_days => s.windows.nps_days,
            influence_max_age_days => s.windows.influence_max_age_days,
            max_reject_ratio => s.quality.max_reject_ratio,
            min_responses => s.quality.min_responses,
            memory_limit => s.engine.memory_limit,
            target_partitions => s.engine.target_partitions,
            batch_size => s.engine.batch_size,
            row_group_size => s.engine.row_group_size,
        }
        s.validate()?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_toml_which_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("pulsetier-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(&file, "[windows]\nmentions_days = 7\nnps_days = 60\n").unwrap();
        let cli = Cli::try_parse_from([
            "pulsetier",
            "run",
            "--config",
            file.to_str().unwrap(),
            "--nps-days",
            "45",
            "--date",
            "2026-03-10",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        let cfg = RunConfig::try_from(args).unwrap();
        assert_eq!(cfg.settings.windows.mentions_days, 7); // TOML
        assert_eq!(cfg.settings.windows.nps_days, 45); // flag over TOML
        assert_eq!(cfg.settings.windows.influence_max_age_days, 90); // default
        assert_eq!(cfg.date.unwrap().to_string(), "2026-03-10");
    }

    #[test]
    fn bad_date_is_a_usage_error() {
        let cli = Cli::try_parse_from(["pulsetier", "run", "--date", "2026-13-01"]).unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert_eq!(RunConfig::try_from(args).unwrap_err().exit_code(), 2);
    }
}
