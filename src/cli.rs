//! Command-line interface (clap): the commands, and the options every
//! command that runs on one date shares ([`RunArgs`], [`CommonArgs`]),
//! turned into the library's plain, validated [`RunConfig`]; each command's
//! own arguments are beside it in `src/cmd/`. The library never sees clap
//! types.
//! Precedence: defaults < `--config` TOML < environment < flags (clap
//! resolves environment vs flag; unset options leave the TOML value).

use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use pulsetier::cancel::Pause;
use pulsetier::config::{
    parse_date, EngineKind, LineageEnv, LineageTransport, MemoryLimit, TableFormat,
};
use pulsetier::{Error, Result, RunConfig, Settings};

use crate::cmd;

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
    /// Print every freshness check, threshold, audit and anomaly check for
    /// one date, as a table or JSON; write nothing. Exit 0 when all pass or
    /// only warn, 5 on a freshness error, 4 on any other error.
    Checks(cmd::checks::ChecksArgs),
    /// Print the logical and physical plan of every SQL step.
    Explain(cmd::explain::ExplainArgs),
    /// Show how one account's score, tier and care priority were computed; write nothing.
    ExplainAccount(cmd::explain_account::ExplainAccountArgs),
    /// Print the effective configuration as TOML (defaults, file, environment, flags).
    Config(RunArgs),
    /// Run every snapshot date of a range, skipping dates already committed.
    Backfill(cmd::backfill::BackfillArgs),
    /// Write deterministic synthetic inputs for one snapshot date at any scale.
    Generate(cmd::generate::GenerateArgs),
    /// Write the HTML run report of a committed date (default: the newest
    /// date with a run) to <output>/_reports/snapshot_date=D/report.html.
    Report(cmd::report::ReportArgs),
    /// Print the committed care queue of a date for a care desk (80 columns, or JSON).
    Queue(cmd::queue::QueueArgs),
    /// Benchmark helper: read every input column a run needs once (the scan floor).
    #[command(hide = true)]
    ScanFloor(RunArgs),
    /// Run a Ballista scheduler and one executor in this process and print
    /// the scheduler URL (`df://127.0.0.1:PORT`); for trying `--engine
    /// ballista` on one machine and for tests.
    #[cfg(feature = "ballista-standalone")]
    #[command(hide = true)]
    DevCluster {
        /// Task slots of the executor.
        #[arg(long, default_value_t = 2)]
        vcores: usize,
    },
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
    /// Crash tests only: pause this long once everything is staged and
    /// between the steps of every publish, so a signal can land there.
    #[arg(long, env = "PULSETIER_TEST_PAUSE_MS", hide = true)]
    pub test_pause_ms: Option<u64>,
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
    /// tier_movements compares with the newest committed date of the last this many days [default: 7].
    #[arg(long, env = "PULSETIER_MOVEMENT_LOOKBACK_DAYS")]
    pub movement_lookback_days: Option<u32>,
    /// Care queue: days of posts it looks at, ending on D [default: 2].
    #[arg(long, env = "PULSETIER_QUEUE_DAYS")]
    pub queue_days: Option<u32>,
    /// Quality gate: highest allowed rejected/rows_read per table [default: 0.05].
    #[arg(long, env = "PULSETIER_MAX_REJECT_RATIO")]
    pub max_reject_ratio: Option<f64>,
    /// NPS groups under this many responses are low_sample [default: 30].
    #[arg(long, env = "PULSETIER_MIN_RESPONSES")]
    pub min_responses: Option<i64>,
    /// Output table format: hive (Parquet folders + _SUCCESS) or delta (Delta Lake tables) [default: hive].
    #[arg(long, env = "PULSETIER_TABLE_FORMAT")]
    pub table_format: Option<TableFormat>,
    /// Query engine: datafusion (in process) or ballista [default: datafusion].
    #[arg(long, env = "PULSETIER_ENGINE")]
    pub engine: Option<EngineKind>,
    /// Ballista scheduler URL, df://HOST:PORT (with --engine ballista).
    #[arg(long, env = "PULSETIER_SCHEDULER")]
    pub scheduler: Option<String>,
    /// Memory limit of the query engine, e.g. 1g; spills to disk above it.
    #[arg(long, env = "PULSETIER_MEMORY_LIMIT")]
    pub memory_limit: Option<MemoryLimit>,
    /// DataFusion target partitions [default: number of cores].
    #[arg(long, env = "PULSETIER_TARGET_PARTITIONS")]
    pub target_partitions: Option<usize>,
    /// Rows per Arrow batch [default: 8192].
    #[arg(long, env = "PULSETIER_BATCH_SIZE")]
    pub batch_size: Option<usize>,
    /// Rows per Parquet row group in the outputs [default: 122880].
    #[arg(long, env = "PULSETIER_ROW_GROUP_SIZE")]
    pub row_group_size: Option<usize>,
    /// Write the HTML run report after each successful run (docs/report.md).
    #[arg(long, env = "PULSETIER_REPORT")]
    pub report: bool,
    /// Dates the report's charts over time cover, ending on D [default: 14].
    #[arg(long, env = "PULSETIER_REPORT_DAYS")]
    pub report_days: Option<u32>,
    /// Send OpenLineage events to this server, e.g. http://marquez:5000 (docs/lineage.md).
    #[arg(long, env = "OPENLINEAGE_URL")]
    pub lineage_url: Option<String>,
    /// Append OpenLineage events as JSON lines to this local file.
    #[arg(long, env = "PULSETIER_LINEAGE_FILE")]
    pub lineage_file: Option<String>,
    /// Job namespace of the OpenLineage events [default: pulsetier].
    #[arg(long, env = "OPENLINEAGE_NAMESPACE")]
    pub lineage_namespace: Option<String>,
}

impl TryFrom<RunArgs> for RunConfig {
    type Error = Error;

    fn try_from(a: RunArgs) -> Result<RunConfig> {
        let date = a.date.as_deref().map(parse_date).transpose()?;
        a.common.run_config(date)
    }
}

impl CommonArgs {
    /// The validated config of a run for `date`: defaults < TOML file <
    /// environment/flags (clap has already merged those two).
    pub fn run_config(self, date: Option<chrono::NaiveDate>) -> Result<RunConfig> {
        let mut s = match &self.config {
            Some(path) => Settings::from_toml_file(path)?,
            None => Settings::default(),
        };
        if let Some(v) = self.input {
            s.input = v;
        }
        if let Some(v) = self.output {
            s.output = v;
        }
        let t = self.tune;
        macro_rules! set {
            ($($field:ident => $target:expr),* $(,)?) => {
                $(if let Some(v) = t.$field { $target = v; })*
            };
        }
        set! {
            mentions_days => s.windows.mentions_days,
            nps_days => s.windows.nps_days,
            influence_max_age_days => s.windows.influence_max_age_days,
            movement_lookback_days => s.windows.movement_lookback_days,
            queue_days => s.care.queue_days,
            max_reject_ratio => s.quality.max_reject_ratio,
            min_responses => s.quality.min_responses,
            table_format => s.table_format,
            engine => s.engine.kind,
            scheduler => s.engine.scheduler,
            memory_limit => s.engine.memory_limit,
            target_partitions => s.engine.target_partitions,
            batch_size => s.engine.batch_size,
            row_group_size => s.engine.row_group_size,
            report_days => s.report.days,
            lineage_namespace => s.lineage.namespace,
        }
        s.report.enabled |= t.report;
        // a URL or file given by flag or environment turns its transport on
        if let Some(url) = t.lineage_url {
            s.lineage.url = Some(url);
            if s.lineage.transport == LineageTransport::None {
                s.lineage.transport = LineageTransport::Http;
            }
        }
        if let Some(file) = t.lineage_file {
            s.lineage.file = Some(file);
            if s.lineage.transport == LineageTransport::None {
                s.lineage.transport = LineageTransport::File;
            }
        }
        let mut cfg = RunConfig::new(date, s)?;
        cfg.pause = Pause(Duration::from_millis(self.test_pause_ms.unwrap_or(0)));
        cfg.lineage_env = LineageEnv::from_process_env();
        Ok(cfg)
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
        assert_eq!(cfg.settings().windows.mentions_days, 7); // TOML
        assert_eq!(cfg.settings().windows.nps_days, 45); // flag over TOML
        assert_eq!(cfg.settings().windows.influence_max_age_days, 90); // default
        assert_eq!(cfg.date().unwrap().to_string(), "2026-03-10");
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
