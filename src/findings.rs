//! What the checks found, as data: the manifest's `checks` section and what
//! `pulsetier checks` prints. Each check — freshness and completeness of an
//! input, a reject threshold, an audit of an output, an anomaly against an
//! earlier run — gives one [`Finding`] with its configured level, its
//! outcome, the figure measured and the limit; the figures of each windowed
//! input and the tier shares are kept too, so the next run can compare. A
//! finding at `error` becomes the run's [`Error`] (exit 5 for freshness,
//! 4 for the others). Orchestrators read this, so it is only ever extended
//! (docs/manifest.md, docs/checks.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};

use crate::config::Level;
use crate::error::Error;

/// How one check ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Not evaluated (e.g. no earlier run to compare with).
    Skipped,
    /// Within its limit.
    #[default]
    Pass,
    /// Over its limit at level `warn`: logged, the run goes on.
    Warn,
    /// Over its limit at level `error`: the run fails.
    Error,
}

impl Outcome {
    /// How a check at `level` ends that did (`failed`) or did not find
    /// what it looks for.
    pub fn judged(failed: bool, level: Level) -> Outcome {
        match (failed, level) {
            (_, Level::Off) => Outcome::Skipped,
            (false, _) => Outcome::Pass,
            (true, Level::Warn) => Outcome::Warn,
            (true, Level::Error) => Outcome::Error,
        }
    }
}

/// Which family a check belongs to (and so which exit code it fails with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Freshness and completeness of a windowed input (exit 5).
    Freshness,
    /// A reject threshold of an input table (exit 4).
    Threshold,
    /// A structural audit of an output (exit 4).
    Audit,
    /// A comparison with the newest successful run of an earlier date (exit 4).
    Anomaly,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The family of the check.
    pub kind: Kind,
    /// The check's name (`max_missing_days`, `unique_account_id`, …).
    pub check: String,
    /// The table it is about (input or output).
    pub table: String,
    /// The configuration key of its limit or level.
    pub key: String,
    /// The configured level.
    pub level: Level,
    /// How it ended.
    pub outcome: Outcome,
    /// The figure measured (days, rows, ratio, violations, change).
    #[serde(serialize_with = "figure")]
    pub figure: Option<f64>,
    /// The limit it was compared with.
    #[serde(serialize_with = "figure")]
    pub limit: Option<f64>,
    /// What was found, in words, with the figures.
    pub message: String,
}

/// Integral figures as JSON integers (`26`, not `26.0`).
fn figure<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => s.serialize_i64(*x as i64),
        Some(x) if x.is_finite() => s.serialize_f64(*x),
        // JSON has no infinity: an unbounded change shows as null
        _ => s.serialize_none(),
    }
}

impl Finding {
    /// The error this finding fails a run with.
    pub fn to_error(&self) -> Error {
        let (table, check, detail) = (self.table.clone(), self.check.clone(), self.message.clone());
        match self.kind {
            Kind::Freshness => Error::Freshness {
                table,
                check,
                detail,
            },
            Kind::Threshold => Error::Threshold {
                table,
                check,
                detail,
            },
            Kind::Audit | Kind::Anomaly => Error::Audit {
                table,
                check,
                detail,
            },
        }
    }
}

/// Completeness and freshness figures of one windowed input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Completeness {
    /// First day of the window.
    pub window_start: String,
    /// Last day of the window (D).
    pub window_end: String,
    /// Days in the window.
    pub days_in_window: u32,
    /// Days with a partition.
    pub days_present: u32,
    /// Days without a partition, oldest first.
    pub missing_days: Vec<String>,
    /// The newest partition in the window, if any.
    pub newest_partition: Option<String>,
    /// Days between the newest partition and D.
    pub newest_partition_age_days: Option<i64>,
    /// Rows of every partition read (from the Parquet footers).
    pub rows: u64,
    /// Rows per partition present (from the Parquet footers).
    pub rows_per_day: BTreeMap<String, u64>,
}

/// The run an anomaly check compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Its snapshot date.
    pub snapshot_date: String,
    /// Its run id.
    pub run_id: String,
}

/// Everything the checks found in one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Findings {
    /// The worst outcome: `pass`, `warn` or `error`.
    pub status: Outcome,
    /// Completeness and freshness figures per windowed input.
    pub inputs: BTreeMap<String, Completeness>,
    /// Each tier's share of `customer_tiers` rows, in percent (when audited).
    pub tier_shares: BTreeMap<String, f64>,
    /// The earlier run the anomaly checks compared with, if any.
    pub baseline: Option<Baseline>,
    /// Every check, in the order they ran.
    pub results: Vec<Finding>,
}

impl Findings {
    /// Record a finding; a warning is logged.
    pub fn push(&mut self, f: Finding) {
        if f.outcome == Outcome::Warn {
            tracing::warn!(kind = ?f.kind, check = %f.check, table = %f.table, "{}", f.message);
        }
        self.status = self.status.max(f.outcome);
        self.results.push(f);
    }

    /// Record several findings.
    pub fn extend(&mut self, fs: impl IntoIterator<Item = Finding>) {
        for f in fs {
            self.push(f);
        }
    }

    /// The first finding at `error` among `kinds`, as the run's error.
    pub fn first_error(&self, kinds: &[Kind]) -> Option<Error> {
        self.results
            .iter()
            .find(|f| f.outcome == Outcome::Error && kinds.contains(&f.kind))
            .map(Finding::to_error)
    }

    /// The exit code a run with these findings ends with: 5 for a freshness
    /// error, else 4 for any other error, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.first_error(&[Kind::Freshness]).is_some() {
            5
        } else if self.status == Outcome::Error {
            4
        } else {
            0
        }
    }
}

/// A figure as `pulsetier checks` prints it.
fn show(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) if x.is_infinite() => "inf".into(),
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{}", (x * 10_000.0).round() / 10_000.0),
    }
}

impl Findings {
    /// Every finding as an aligned text table, then the overall status and
    /// the exit code it gives (what `pulsetier checks` prints).
    pub fn to_text(&self) -> String {
        let label = |v: &dyn std::fmt::Debug| format!("{v:?}").to_lowercase();
        let mut rows = vec![[
            "kind".to_string(),
            "table".into(),
            "check".into(),
            "level".into(),
            "outcome".into(),
            "figure".into(),
            "limit".into(),
            "message".into(),
        ]];
        for f in &self.results {
            rows.push([
                label(&f.kind),
                f.table.clone(),
                f.check.clone(),
                label(&f.level),
                label(&f.outcome),
                show(f.figure),
                show(f.limit),
                f.message.clone(),
            ]);
        }
        let mut widths = [0usize; 7];
        for r in &rows {
            for (w, cell) in widths.iter_mut().zip(r.iter()) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut text = String::new();
        for r in &rows {
            for (w, cell) in widths.iter().zip(r.iter()) {
                text.push_str(cell);
                text.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
            text.push_str(&r[7]);
            text.push('\n');
        }
        if let Some(b) = &self.baseline {
            text.push_str(&format!(
                "compared with the run {} of {}\n",
                b.run_id, b.snapshot_date
            ));
        }
        text.push_str(&format!(
            "checks: {} (exit {})\n",
            label(&self.status),
            self.exit_code()
        ));
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(kind: Kind, level: Level, failed: bool) -> Finding {
        Finding {
            kind,
            check: "c".into(),
            table: "t".into(),
            key: "k".into(),
            level,
            outcome: Outcome::judged(failed, level),
            figure: Some(26.0),
            limit: Some(2.5),
            message: "m".into(),
        }
    }

    #[test]
    fn status_is_the_worst_outcome_and_errors_map_to_exit_codes() {
        let mut all = Findings::default();
        all.push(f(Kind::Freshness, Level::Warn, true));
        assert_eq!(all.status, Outcome::Warn);
        assert_eq!(all.exit_code(), 0);
        all.push(f(Kind::Audit, Level::Off, true));
        assert_eq!(all.results[1].outcome, Outcome::Skipped);
        all.push(f(Kind::Threshold, Level::Error, true));
        assert_eq!(all.exit_code(), 4);
        assert_eq!(all.first_error(&[Kind::Threshold]).unwrap().exit_code(), 4);
        all.push(f(Kind::Freshness, Level::Error, true));
        assert_eq!(all.exit_code(), 5);
        assert!(all.first_error(&[Kind::Audit, Kind::Anomaly]).is_none());
        let json = serde_json::to_value(&all.results[0]).unwrap();
        assert_eq!(json["figure"], 26);
        assert_eq!(json["limit"], 2.5);
        assert_eq!(json["outcome"], "warn");
        let text = all.to_text();
        assert!(text.starts_with("kind "), "{text}");
        assert!(
            text.contains("freshness  t      c      warn   warn     26      2.5    m"),
            "{text}"
        );
        assert!(text.ends_with("checks: error (exit 5)\n"), "{text}");
    }
}
