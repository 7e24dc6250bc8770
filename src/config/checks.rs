//! Settings of the checks a nightly job needs beyond the global reject
//! ratio (docs/checks.md): freshness and completeness of the windowed
//! inputs (`[checks.<table>.warn|error]`), reject thresholds per table and
//! per reason (`[quality.<table>]`), audits of the staged outputs and
//! anomaly checks against an earlier run (`[audits]`), and what
//! `_rejects/<table>` carries (`[rejects]`). Every default leaves a run that
//! passes today passing with the same outputs: no freshness limit is set,
//! the per-table thresholds are absent, the structural audits (which
//! correct outputs always pass) block, the anomaly checks only warn, and
//! `_rejects` stays as it was.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Quality, Settings};
use crate::error::{Error, Result};

/// How a failed check counts: `error` fails the run, `warn` is logged and
/// kept in the manifest, `off` does not run the check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Not checked.
    Off,
    /// Logged and recorded; the run goes on.
    Warn,
    /// Fails the run.
    #[default]
    Error,
}

/// `[checks]`: freshness and completeness of each windowed input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Checks {
    /// `[checks.mentions]`.
    #[serde(skip_serializing_if = "InputChecks::is_empty")]
    pub mentions: InputChecks,
    /// `[checks.surveys]`.
    #[serde(skip_serializing_if = "InputChecks::is_empty")]
    pub surveys: InputChecks,
    /// `[checks.influence_scores]`.
    #[serde(skip_serializing_if = "InputChecks::is_empty")]
    pub influence_scores: InputChecks,
    /// `[checks.connections]`.
    #[serde(skip_serializing_if = "InputChecks::is_empty")]
    pub connections: InputChecks,
}

impl Checks {
    /// The checks of a windowed input table, by name.
    pub fn table(&self, name: &str) -> Option<&InputChecks> {
        match name {
            "mentions" => Some(&self.mentions),
            "surveys" => Some(&self.surveys),
            "influence_scores" => Some(&self.influence_scores),
            "connections" => Some(&self.connections),
            _ => None,
        }
    }

    /// Whether no limit is set at all (the default).
    pub fn is_empty(&self) -> bool {
        self == &Checks::default()
    }
}

/// The limits of one input table at each level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InputChecks {
    /// Crossing one of these is a warning.
    #[serde(skip_serializing_if = "Limits::is_empty")]
    pub warn: Limits,
    /// Crossing one of these fails the run (exit 5).
    #[serde(skip_serializing_if = "Limits::is_empty")]
    pub error: Limits,
}

impl InputChecks {
    /// Whether no limit is set.
    pub fn is_empty(&self) -> bool {
        self.warn.is_empty() && self.error.is_empty()
    }
}

/// Freshness and completeness limits; an absent key is not checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most days of the window without a partition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_missing_days: Option<u32>,
    /// Most days between the newest partition and D (no partition at all fails).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest_partition_max_age_days: Option<u32>,
    /// Fewest rows over all partitions read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_rows: Option<u64>,
    /// Fewest rows in any partition present (an empty delivery).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_rows_per_day: Option<u64>,
}

impl Limits {
    /// Whether no limit is set.
    pub fn is_empty(&self) -> bool {
        self == &Limits::default()
    }
}

/// `[quality.<table>]`: reject thresholds of one input table, over the
/// global `quality.max_reject_ratio`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TableQuality {
    /// Highest `rejected / rows_read` of this table (replaces the global ratio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_reject_ratio: Option<f64>,
    /// Most rejected rows of this table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_reject_count: Option<u64>,
    /// Level of the two limits above (`error` = the quality gate, exit 4).
    pub level: Level,
    /// Limits per `reject_reason` (`unknown_account`, `"null_value:score"`, …).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub reasons: BTreeMap<String, ReasonLimit>,
}

/// The limit of one reject reason: a ratio of the table's rows read, a
/// count, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReasonLimit {
    /// Highest `rejected for this reason / rows_read`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ratio: Option<f64>,
    /// Most rows rejected for this reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_count: Option<u64>,
    /// `error` (the quality gate, exit 4) or `warn`.
    pub level: Level,
}

impl Quality {
    /// The thresholds of an input table, if any are set.
    pub fn table(&self, name: &str) -> Option<&TableQuality> {
        match name {
            "accounts" => self.accounts.as_ref(),
            "mentions" => self.mentions.as_ref(),
            "surveys" => self.surveys.as_ref(),
            "influence_scores" => self.influence_scores.as_ref(),
            "connections" => self.connections.as_ref(),
            _ => None,
        }
    }
}

/// `[audits]`: the level of each audit of the staged outputs, and the
/// bands of the anomaly checks against the newest successful run of an
/// earlier date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Audits {
    /// `customer_tiers.account_id` is unique.
    pub unique_account_id: Level,
    /// `customer_tiers.value_rank` is exactly 1..n.
    pub value_rank: Level,
    /// `care_queue.queue_rank` is exactly 1..n and each mention is queued once.
    pub queue_rank: Level,
    /// `nps_aggregates.nps` is within [-100, 100].
    pub nps_range: Level,
    /// `nps_aggregates.margin_of_error_95` is ≥ 0.
    pub nps_margin: Level,
    /// promoters + passives + detractors = responses.
    pub nps_counts: Level,
    /// positive + neutral + negative + unknown = mentions, matched ≤ mentions.
    pub pulse_counts: Level,
    /// `social_pulse.match_rate` is within [0, 1] and = matched / mentions.
    pub pulse_match_rate: Level,
    /// Rows read per input and rows per output against the earlier run.
    pub row_count_change: Level,
    /// Largest relative change of a row count (0.5 = ±50 %).
    pub max_row_count_change: f64,
    /// Each tier's share of `customer_tiers` against the earlier run.
    pub tier_share_change: Level,
    /// Largest change of a tier's share, in percentage points.
    pub max_tier_share_change: f64,
}

impl Default for Audits {
    fn default() -> Self {
        Audits {
            unique_account_id: Level::Error,
            value_rank: Level::Error,
            queue_rank: Level::Error,
            nps_range: Level::Error,
            nps_margin: Level::Error,
            nps_counts: Level::Error,
            pulse_counts: Level::Error,
            pulse_match_rate: Level::Error,
            row_count_change: Level::Warn,
            max_row_count_change: 0.25,
            tier_share_change: Level::Warn,
            max_tier_share_change: 10.0,
        }
    }
}

/// `[rejects]`: what `_rejects/<table>` carries. Off by default, so reruns
/// of a date stay byte-identical.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RejectsSettings {
    /// Add a `run_id` column (then every rerun writes different bytes).
    pub with_run_id: bool,
    /// Write at most this many rows per `reject_reason` (0 = all); the
    /// manifest's counts stay exact.
    pub max_per_reason: u64,
}

/// The reject reasons of docs/SPEC.md §2 without a column.
const PLAIN_REASONS: [&str; 4] = [
    "null_key",
    "duplicate_key",
    "unknown_account",
    "unknown_provider",
];

/// Whether `reason` has the shape of a reject reason; its column, if any,
/// is checked against the table's contract by the contract stage.
fn is_reason(reason: &str) -> bool {
    PLAIN_REASONS.contains(&reason)
        || ["null_value:", "invalid_value:"]
            .iter()
            .any(|p| reason.strip_prefix(p).is_some_and(|c| !c.is_empty()))
}

fn ratio(key: &str, v: f64) -> Result<()> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(Error::Usage(format!("{key} must be in [0, 1], got {v}")))
    }
}

/// Reject values of these sections that make no sense (part of
/// `Settings::validate`).
pub(super) fn validate(s: &Settings) -> Result<()> {
    // config sits below contract (tests/it/layout.rs: no import cycle), so
    // the input tables are named here rather than read from contract::TABLES
    for table in [
        "accounts",
        "mentions",
        "surveys",
        "influence_scores",
        "connections",
    ] {
        let Some(q) = s.quality.table(table) else {
            continue;
        };
        if let Some(v) = q.max_reject_ratio {
            ratio(&format!("quality.{table}.max_reject_ratio"), v)?;
        }
        for (reason, limit) in &q.reasons {
            let key = format!("quality.{table}.reasons.{reason}");
            if !is_reason(reason) {
                return Err(Error::Usage(format!(
                    "{key}: unknown reject reason (expected one of {}, null_value:<column>, invalid_value:<column>)",
                    PLAIN_REASONS.join(", ")
                )));
            }
            if limit.max_ratio.is_none() && limit.max_count.is_none() {
                return Err(Error::Usage(format!("{key} needs max_ratio or max_count")));
            }
            if let Some(v) = limit.max_ratio {
                ratio(&format!("{key}.max_ratio"), v)?;
            }
        }
    }
    let a = &s.audits;
    if !(a.max_row_count_change.is_finite() && a.max_row_count_change >= 0.0) {
        return Err(Error::Usage(format!(
            "audits.max_row_count_change must be ≥ 0, got {}",
            a.max_row_count_change
        )));
    }
    if !(0.0..=100.0).contains(&a.max_tier_share_change) {
        return Err(Error::Usage(format!(
            "audits.max_tier_share_change must be in [0, 100] percentage points, got {}",
            a.max_tier_share_change
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RunConfig;

    #[test]
    fn checks_thresholds_and_audits_parse_and_round_trip() {
        let s = Settings::from_toml_str(
            r#"
[checks.mentions.warn]
max_missing_days = 2
[checks.mentions.error]
max_missing_days = 10
newest_partition_max_age_days = 3
min_rows = 1
[quality.surveys]
max_reject_ratio = 0.1
[quality.surveys.reasons]
unknown_account = { max_ratio = 0.02 }
"null_value:score" = { max_count = 5, level = "warn" }
[audits]
unique_account_id = "warn"
[rejects]
max_per_reason = 3
"#,
        )
        .unwrap();
        assert_eq!(s.checks.mentions.warn.max_missing_days, Some(2));
        assert_eq!(s.checks.mentions.error.min_rows, Some(1));
        assert!(s.checks.surveys.is_empty());
        let q = s.quality.table("surveys").unwrap();
        assert_eq!(q.max_reject_ratio, Some(0.1));
        assert_eq!(q.level, Level::Error);
        assert_eq!(q.reasons["unknown_account"].max_ratio, Some(0.02));
        assert_eq!(q.reasons["null_value:score"].level, Level::Warn);
        assert!(s.quality.table("accounts").is_none());
        assert_eq!(s.audits.unique_account_id, Level::Warn);
        assert_eq!(s.audits.value_rank, Level::Error);
        assert_eq!(s.rejects.max_per_reason, 3);
        assert!(!s.rejects.with_run_id);
        assert_eq!(Settings::from_toml_str(&s.to_toml()).unwrap(), s);
        assert!(RunConfig::new(None, s).is_ok());
    }

    #[test]
    fn typos_and_bad_values_are_rejected() {
        for bad in [
            "[checks.mention.warn]\nmax_missing_days = 2\n",
            "[checks.mentions.warn]\nmax_missing_day = 2\n",
            "[checks.mentions.fatal]\nmin_rows = 2\n",
            "[quality.survey]\nmax_reject_ratio = 0.1\n",
            "[quality.surveys]\nmax_rejects = 1\n",
            "[quality.surveys.reasons]\nunknown_account = { max = 1 }\n",
            "[audits]\nunique_account = \"warn\"\n",
            "[audits]\nvalue_rank = \"fatal\"\n",
            "[rejects]\nrun_id = true\n",
        ] {
            assert!(Settings::from_toml_str(bad).is_err(), "accepted: {bad}");
        }
        for bad in [
            "[quality.surveys]\nmax_reject_ratio = 1.5\n",
            "[quality.surveys.reasons]\nunknown_acount = { max_count = 1 }\n",
            "[quality.surveys.reasons]\n\"null_value:\" = { max_count = 1 }\n",
            "[quality.surveys.reasons]\nunknown_account = {}\n",
            "[quality.surveys.reasons]\nunknown_account = { max_ratio = -0.1 }\n",
            "[audits]\nmax_row_count_change = -1.0\n",
            "[audits]\nmax_tier_share_change = 101.0\n",
        ] {
            let s = Settings::from_toml_str(bad).unwrap();
            let e = RunConfig::new(None, s).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}: {e}");
        }
    }

    #[test]
    fn defaults_check_nothing_new_and_print_no_empty_tables() {
        let s = Settings::default();
        assert!(s.checks.is_empty());
        assert!(s.quality.table("surveys").is_none());
        assert_eq!(s.rejects, RejectsSettings::default());
        let text = s.to_toml();
        assert!(!text.contains("[checks"), "{text}");
        assert!(text.contains("[audits]"), "{text}");
    }
}
