//! The plain configuration a run works from. Every default lives here, in
//! [`Settings::default`], and `pulsetier config` prints the effective values.
//! Precedence: built-in defaults < TOML file < `PULSETIER_*` environment <
//! flags (the last two are resolved by the CLI before they reach here).
//! The sections with many keys have a submodule each: [`engine`] and
//! [`storage`]; the input checks, per-table thresholds, audits and rejects
//! options are in [`checks`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::cancel::{Cancel, Pause};
use crate::error::{Error, Result};

mod care;
pub mod checks;
mod circle;
mod engine;
mod lineage;
mod report;
mod storage;

pub use care::{CareSettings, TopicRule, LANES, OTHER_TOPIC};
pub use checks::{
    Audits, Checks, InputChecks, Level, Limits, ReasonLimit, RejectsSettings, TableQuality,
};
pub use circle::{normalize_handle, Circle, Influence};
pub use engine::{parse_size, EngineKind, EngineSettings, MemoryLimit, TableFormat};
pub use lineage::{LineageEnv, LineageSettings, LineageTransport};
pub use report::ReportSettings;
pub use storage::StorageSettings;

/// Tunable settings of the pipeline and the engine; the TOML file has the same shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Input root URL (holds `accounts/`, `mentions/`, `surveys/`, `influence_scores/`).
    pub input: String,
    /// Output root URL.
    pub output: String,
    /// How the outputs are published: `hive` (Parquet folders with
    /// `_SUCCESS`) or `delta` (Delta Lake tables; needs the `delta` feature).
    pub table_format: TableFormat,
    /// Time windows in days, ending on the snapshot date (docs/SPEC.md §3).
    pub windows: Windows,
    /// Quality gate and sample-size settings.
    pub quality: Quality,
    /// Weights and thresholds of the scoring.
    pub scoring: Scoring,
    /// Where `influence_norm` comes from (docs/SPEC.md §3, §9).
    pub influence: Influence,
    /// The customer's circle: the interaction graph, PageRank, prospects
    /// (docs/SPEC.md §9).
    pub circle: Circle,
    /// Engine settings (memory, parallelism, file layout).
    pub engine: EngineSettings,
    /// Object store client settings (retries, timeouts, builder options).
    pub storage: StorageSettings,
    /// Freshness and completeness limits of the windowed inputs (docs/checks.md).
    #[serde(skip_serializing_if = "Checks::is_empty")]
    pub checks: Checks,
    /// Audits of the staged outputs before publishing (docs/checks.md).
    pub audits: Audits,
    /// What `_rejects/<table>` carries (docs/checks.md).
    pub rejects: RejectsSettings,
    /// The HTML run report (docs/report.md).
    pub report: ReportSettings,
    /// OpenLineage run events (docs/lineage.md).
    pub lineage: LineageSettings,
    /// The care queue: its days, lanes' answer times and topic rules
    /// (docs/SPEC.md §8).
    pub care: CareSettings,
}

/// Window lengths in days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Windows {
    /// Mentions window (and partitions read).
    pub mentions_days: u32,
    /// Survey window (and partitions read).
    pub nps_days: u32,
    /// Influence window (and partitions read).
    pub influence_max_age_days: u32,
    /// How far back `tier_movements` looks for the previous committed
    /// `customer_tiers` partition: the newest of D−1 … D−this.
    pub movement_lookback_days: u32,
    /// Connections window (and partitions of `connections` read; docs/SPEC.md §9).
    pub circle_days: u32,
}

/// Quality gate settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quality {
    /// A table whose `rejected / rows_read` exceeds this fails the run (exit 4).
    pub max_reject_ratio: f64,
    /// NPS groups with fewer responses are flagged `low_sample`.
    pub min_responses: i64,
    /// `[quality.accounts]`: thresholds of that table (docs/checks.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<TableQuality>,
    /// `[quality.mentions]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mentions: Option<TableQuality>,
    /// `[quality.surveys]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surveys: Option<TableQuality>,
    /// `[quality.influence_scores]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub influence_scores: Option<TableQuality>,
    /// `[quality.connections]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<TableQuality>,
}

/// Scoring weights and thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scoring {
    /// Weight of `spend_score`.
    pub weight_spend: f64,
    /// Weight of `payment_score`.
    pub weight_payment: f64,
    /// Weight of `services_score`.
    pub weight_services: f64,
    /// Weight of `tenure_score`.
    pub weight_tenure: f64,
    /// Weight of `influence_score`.
    pub weight_influence: f64,
    /// Lowest value_score of `platinum`.
    pub tier_platinum: f64,
    /// Lowest value_score of `gold`.
    pub tier_gold: f64,
    /// Lowest value_score of `silver`.
    pub tier_silver: f64,
    /// Lowest `influence_norm` of an influencer.
    pub influencer_threshold: f64,
    /// A mention is positive at sentiment ≥ this.
    pub positive_sentiment: f64,
    /// A mention is negative at sentiment ≤ this.
    pub negative_sentiment: f64,
}

impl Scoring {
    /// Σ of the five weights: value_score's divisor (docs/SPEC.md §3).
    pub fn weight_total(&self) -> f64 {
        self.weight_spend
            + self.weight_payment
            + self.weight_services
            + self.weight_tenure
            + self.weight_influence
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            input: "fixtures/input".into(),
            output: "pulsetier-output".into(),
            table_format: TableFormat::Hive,
            windows: Windows::default(),
            quality: Quality::default(),
            scoring: Scoring::default(),
            influence: Influence::default(),
            circle: Circle::default(),
            engine: EngineSettings::default(),
            storage: StorageSettings::default(),
            checks: Checks::default(),
            audits: Audits::default(),
            rejects: RejectsSettings::default(),
            report: ReportSettings::default(),
            lineage: LineageSettings::default(),
            care: CareSettings::default(),
        }
    }
}

impl Default for Windows {
    fn default() -> Self {
        Windows {
            mentions_days: 30,
            nps_days: 90,
            influence_max_age_days: 90,
            movement_lookback_days: 7,
            circle_days: 90,
        }
    }
}

impl Default for Quality {
    fn default() -> Self {
        Quality {
            max_reject_ratio: 0.05,
            min_responses: 30,
            accounts: None,
            mentions: None,
            surveys: None,
            influence_scores: None,
            connections: None,
        }
    }
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring {
            weight_spend: 0.35,
            weight_payment: 0.20,
            weight_services: 0.15,
            weight_tenure: 0.10,
            weight_influence: 0.20,
            tier_platinum: 80.0,
            tier_gold: 60.0,
            tier_silver: 40.0,
            influencer_threshold: 60.0,
            positive_sentiment: 0.3,
            negative_sentiment: -0.3,
        }
    }
}

impl Settings {
    /// Read a TOML file over the defaults.
    pub fn from_toml_file(path: &str) -> Result<Settings> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            path: path.into(),
            message: e.to_string(),
        })?;
        Settings::from_toml_str(&text).map_err(|message| Error::Config {
            path: path.into(),
            message,
        })
    }

    /// Parse TOML text over the defaults.
    pub fn from_toml_str(text: &str) -> std::result::Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The settings as TOML (what `pulsetier config` prints), secrets redacted.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(&self.redacted())
            .unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }

    /// A copy safe to print or store: secret storage options, and the
    /// userinfo and query strings of the locations, redacted.
    pub fn redacted(&self) -> Settings {
        Settings {
            input: crate::redact::redact(&self.input),
            output: crate::redact::redact(&self.output),
            storage: self.storage.redacted(),
            lineage: self.lineage.redacted(),
            ..self.clone()
        }
    }

    /// Reject values that make no sense before any I/O happens. Called once,
    /// by [`RunConfig::new`]: every run works from validated settings.
    fn validate(&self) -> Result<()> {
        self.lineage.validate()?;
        self.report.validate()?;
        if self.table_format == TableFormat::Delta && !cfg!(feature = "delta") {
            return Err(Error::Usage(
                "--table-format delta needs pulsetier built with `--features delta`".into(),
            ));
        }
        let w = &self.windows;
        for (name, v) in [
            ("mentions_days", w.mentions_days),
            ("nps_days", w.nps_days),
            ("influence_max_age_days", w.influence_max_age_days),
            ("movement_lookback_days", w.movement_lookback_days),
            ("circle_days", w.circle_days),
        ] {
            if v == 0 || v > 3660 {
                return Err(Error::Usage(format!("{name} must be in 1..=3660, got {v}")));
            }
        }
        self.circle.validate()?;
        let q = &self.quality;
        if !(0.0..=1.0).contains(&q.max_reject_ratio) {
            return Err(Error::Usage(format!(
                "max_reject_ratio must be in [0, 1], got {}",
                q.max_reject_ratio
            )));
        }
        let s = &self.scoring;
        let weights = [
            s.weight_spend,
            s.weight_payment,
            s.weight_services,
            s.weight_tenure,
            s.weight_influence,
        ];
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || weights.iter().sum::<f64>() <= 0.0
        {
            return Err(Error::Usage(
                "scoring weights must be finite, ≥ 0, and not all 0".into(),
            ));
        }
        let e = &self.engine;
        if e.kind == EngineKind::Ballista && e.scheduler.is_empty() {
            return Err(Error::Usage(
                "--engine ballista needs --scheduler df://HOST:PORT".into(),
            ));
        }
        if e.batch_size == 0 || e.row_group_size == 0 || e.rows_per_file == 0 {
            return Err(Error::Usage(
                "batch_size, row_group_size and rows_per_file must be > 0".into(),
            ));
        }
        self.care.validate(w.mentions_days)?;
        checks::validate(self)
    }
}

/// Parse a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::Usage(format!("invalid date {text:?}, expected YYYY-MM-DD")))
}

/// What one run needs: validated settings, the snapshot date, and the run's
/// cancellation token. Built only by [`RunConfig::new`], which validates the
/// settings once; a backfill derives each date's config with
/// [`RunConfig::for_date`] without validating again.
#[derive(Debug, Clone)]
pub struct RunConfig {
    date: Option<NaiveDate>,
    settings: Settings,
    /// Cancelled by SIGINT / SIGTERM (the binary installs the handlers).
    pub cancel: Cancel,
    /// The crash tests' pause (zero in production).
    pub pause: Pause,
    /// The scheduler's lineage context (API key, parent run).
    pub lineage_env: LineageEnv,
}

impl RunConfig {
    /// Validate `settings` and make the config of a run for `date` (`None` =
    /// the newest accounts partition under the input).
    pub fn new(date: Option<NaiveDate>, settings: Settings) -> Result<RunConfig> {
        settings.validate()?;
        Ok(RunConfig {
            date,
            settings,
            cancel: Cancel::default(),
            pause: Pause::default(),
            lineage_env: LineageEnv::default(),
        })
    }

    /// The same settings, token and pause for another snapshot date.
    pub fn for_date(&self, date: NaiveDate) -> RunConfig {
        RunConfig {
            date: Some(date),
            ..self.clone()
        }
    }

    /// The snapshot date asked for, if any.
    pub fn date(&self) -> Option<NaiveDate> {
        self.date
    }

    /// The validated settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_only_what_it_names() {
        let s = Settings::from_toml_str("[windows]\nmentions_days = 7\n").unwrap();
        assert_eq!(s.windows.mentions_days, 7);
        assert_eq!(s.windows.nps_days, 90);
        assert_eq!(s.scoring.weight_spend, 0.35);
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(Settings::from_toml_str("[windows]\nmention_days = 7\n").is_err());
    }

    #[test]
    fn defaults_round_trip_through_toml() {
        let s = Settings::default();
        assert_eq!(Settings::from_toml_str(&s.to_toml()).unwrap(), s);
    }

    #[test]
    fn secret_options_are_redacted() {
        let s = Settings::from_toml_str(
            "[storage.options]\naws_secret_access_key = \"hunter2\"\naws_endpoint = \"http://127.0.0.1:9000\"\n",
        )
        .unwrap();
        let text = s.to_toml();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("http://127.0.0.1:9000"), "{text}");
        assert_eq!(s.storage.options["aws_secret_access_key"], "hunter2");
    }

    #[test]
    fn sizes_and_dates_parse() {
        assert_eq!(parse_size("1g").unwrap(), 1 << 30);
        assert_eq!(parse_size("512MiB").unwrap(), 512 << 20);
        assert!(parse_size("lots").is_err());
        assert!(parse_date("2026-02-30").is_err());
        assert_eq!(
            parse_date("2026-03-10").unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
        );
    }

    #[test]
    fn table_format_and_engine_are_typed() {
        let s = Settings::from_toml_str("table_format = \"delta\"\n").unwrap();
        assert_eq!(s.table_format, TableFormat::Delta);
        if cfg!(feature = "delta") {
            assert!(RunConfig::new(None, s).is_ok());
        } else {
            let e = RunConfig::new(None, s).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains("--features delta"), "{e}");
        }
        assert!(Settings::from_toml_str("table_format = \"iceberg\"\n").is_err());
        assert_eq!(
            "ballista".parse::<EngineKind>().unwrap(),
            EngineKind::Ballista
        );
        assert_eq!("spark".parse::<EngineKind>().unwrap_err().exit_code(), 2);
        let mut s = Settings::default();
        s.engine.kind = EngineKind::Ballista;
        assert_eq!(RunConfig::new(None, s).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn memory_limit_is_parsed_once_and_shown_as_given() {
        let s = Settings::from_toml_str("[engine]\nmemory_limit = \"512m\"\n").unwrap();
        assert_eq!(s.engine.memory_limit.bytes(), Some(512 << 20));
        assert!(s.to_toml().contains("memory_limit = \"512m\""));
        assert!(!Settings::default().engine.memory_limit.is_set());
        assert!(Settings::from_toml_str("[engine]\nmemory_limit = \"lots\"\n").is_err());
    }

    #[test]
    fn circle_settings_are_checked_and_named() {
        let s =
            Settings::from_toml_str("[circle]\nown_handles = [\" @AcmeTel \", \"acme.care\"]\n")
                .unwrap();
        assert_eq!(s.circle.normalized_own_handles(), ["acmetel", "acme.care"]);
        assert!(RunConfig::new(None, s).is_ok());
        assert_eq!(Settings::default().windows.circle_days, 90);
        assert!(!Settings::default().influence.network_provider);
        for (toml, key) in [
            (
                "[circle]\nown_handles = [\"acme tel\"]\n",
                "circle.own_handles",
            ),
            ("[circle]\nown_handles = [\"@\"]\n", "circle.own_handles"),
            ("[circle]\nown_handles = [\"a..b\"]\n", "circle.own_handles"),
            ("[circle]\niterations = 0\n", "circle.iterations"),
            (
                "[circle]\nprospect_min_customers = 0\n",
                "circle.prospect_min_customers",
            ),
            ("[windows]\ncircle_days = 0\n", "circle_days"),
        ] {
            let e = RunConfig::new(None, Settings::from_toml_str(toml).unwrap()).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{toml}");
            assert!(e.to_string().contains(key), "{e} lacks {key}");
        }
        assert!(Settings::from_toml_str("[influence]\nnetwork = true\n").is_err());
    }

    #[test]
    fn bad_values_are_usage_errors() {
        let mut s = Settings::default();
        s.quality.max_reject_ratio = 2.0;
        assert_eq!(RunConfig::new(None, s).unwrap_err().exit_code(), 2);
    }
}
