//! The quality gate with thresholds per table and per reason
//! (docs/checks.md): one global `quality.max_reject_ratio` (docs/SPEC.md
//! §2.4, its message unchanged) is the default of every input table;
//! `[quality.<table>]` replaces it with a ratio of its own and may add a
//! count, and `[quality.<table>.reasons]` limits single reject reasons by
//! ratio or count, each at level `error` (the gate: rejects and manifest
//! written, outputs untouched, exit 4) or `warn`. Every limit becomes a
//! finding in the manifest; the first `error`, in contract order, fails the
//! run.

use std::collections::BTreeMap;

use super::spec::TABLES;
use crate::config::{Level, Quality, Settings};
use crate::error::{Error, Result};
use crate::findings::{Finding, Kind, Outcome};
use crate::manifest::InputStats;

/// A reason's column must be a contract column of its table
/// (`null_value:scroe` would never match): a usage error naming the key.
pub fn validate_reasons(s: &Settings) -> Result<()> {
    for spec in TABLES {
        let Some(q) = s.quality.table(spec.name) else {
            continue;
        };
        for reason in q.reasons.keys() {
            let column = reason
                .strip_prefix("null_value:")
                .or_else(|| reason.strip_prefix("invalid_value:"));
            if let Some(column) = column {
                if !spec.columns.iter().any(|(c, _)| *c == column) {
                    return Err(Error::Usage(format!(
                        "quality.{}.reasons.{reason}: {column} is not a column of {}",
                        spec.name, spec.name
                    )));
                }
            }
        }
    }
    Ok(())
}

fn ratio_of(n: u64, read: u64) -> f64 {
    if read == 0 {
        0.0
    } else {
        n as f64 / read as f64
    }
}

/// Every threshold of every input table as findings, and the error the
/// gate fails with: the global ratio keeps its `QualityGate` error, the
/// other thresholds fail with [`Error::Threshold`].
pub fn evaluate(
    inputs: &BTreeMap<String, InputStats>,
    q: &Quality,
) -> (Vec<Finding>, Option<Error>) {
    let mut findings = Vec::new();
    let mut gate = None;
    for spec in TABLES {
        let Some(st) = inputs.get(spec.name) else {
            continue;
        };
        let table = spec.name;
        let own = q.table(table);
        let mut fs = Vec::new();
        match own.and_then(|t| t.max_reject_ratio) {
            None => {
                let limit = q.max_reject_ratio;
                let failed = st.reject_ratio > limit;
                fs.push(Finding {
                    kind: Kind::Threshold,
                    check: "max_reject_ratio".into(),
                    table: table.to_string(),
                    key: "quality.max_reject_ratio".into(),
                    level: Level::Error,
                    outcome: Outcome::judged(failed, Level::Error),
                    figure: Some(st.reject_ratio),
                    limit: Some(limit),
                    message: format!(
                        "{} of {} rows rejected ({:.4} {} max_reject_ratio {limit})",
                        st.rejected,
                        st.rows_read,
                        st.reject_ratio,
                        if failed { ">" } else { "≤" }
                    ),
                });
                if failed && gate.is_none() {
                    gate = Some(Error::QualityGate {
                        table: table.into(),
                        rejected: st.rejected,
                        read: st.rows_read,
                        ratio: st.reject_ratio,
                        limit,
                    });
                }
            }
            Some(limit) => {
                let failed = st.reject_ratio > limit;
                fs.push(Finding {
                    kind: Kind::Threshold,
                    check: "max_reject_ratio".into(),
                    table: table.to_string(),
                    key: format!("quality.{table}.max_reject_ratio"),
                    level: own.map_or(Level::Error, |t| t.level),
                    outcome: Outcome::judged(failed, own.map_or(Level::Error, |t| t.level)),
                    figure: Some(st.reject_ratio),
                    limit: Some(limit),
                    message: format!(
                        "{} of {} rows rejected ({:.4} {} quality.{table}.max_reject_ratio {limit})",
                        st.rejected,
                        st.rows_read,
                        st.reject_ratio,
                        if failed { ">" } else { "≤" }
                    ),
                });
            }
        }
        if let Some(t) = own {
            if let Some(max) = t.max_reject_count {
                let failed = st.rejected > max;
                fs.push(Finding {
                    kind: Kind::Threshold,
                    check: "max_reject_count".into(),
                    table: table.to_string(),
                    key: format!("quality.{table}.max_reject_count"),
                    level: t.level,
                    outcome: Outcome::judged(failed, t.level),
                    figure: Some(st.rejected as f64),
                    limit: Some(max as f64),
                    message: format!(
                        "{} of {} rows rejected ({} quality.{table}.max_reject_count {max})",
                        st.rejected,
                        st.rows_read,
                        if failed { ">" } else { "≤" }
                    ),
                });
            }
            for (reason, limit) in &t.reasons {
                let n = st.rejected_by_reason.get(reason).copied().unwrap_or(0);
                let ratio = ratio_of(n, st.rows_read);
                let key = format!("quality.{table}.reasons.{reason}");
                if let Some(max) = limit.max_ratio {
                    let failed = ratio > max;
                    fs.push(Finding {
                        kind: Kind::Threshold,
                        check: format!("reasons.{reason}.max_ratio"),
                        table: table.to_string(),
                        key: format!("{key}.max_ratio"),
                        level: limit.level,
                        outcome: Outcome::judged(failed, limit.level),
                        figure: Some(ratio),
                        limit: Some(max),
                        message: format!(
                            "{n} of {} rows rejected as {reason} ({ratio:.4} {} max_ratio {max})",
                            st.rows_read,
                            if failed { ">" } else { "≤" }
                        ),
                    });
                }
                if let Some(max) = limit.max_count {
                    let failed = n > max;
                    fs.push(Finding {
                        kind: Kind::Threshold,
                        check: format!("reasons.{reason}.max_count"),
                        table: table.to_string(),
                        key: format!("{key}.max_count"),
                        level: limit.level,
                        outcome: Outcome::judged(failed, limit.level),
                        figure: Some(n as f64),
                        limit: Some(max as f64),
                        message: format!(
                            "{n} of {} rows rejected as {reason} ({} max_count {max})",
                            st.rows_read,
                            if failed { ">" } else { "≤" }
                        ),
                    });
                }
            }
        }
        if gate.is_none() {
            gate = fs
                .iter()
                .find(|f| f.outcome == Outcome::Error)
                .map(Finding::to_error);
        }
        findings.extend(fs);
    }
    (findings, gate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ReasonLimit, TableQuality};

    fn inputs() -> BTreeMap<String, InputStats> {
        let mut surveys = InputStats {
            rows_read: 206,
            rejected: 10,
            ..Default::default()
        };
        surveys.reject_ratio = 10.0 / 206.0;
        surveys
            .rejected_by_reason
            .insert("unknown_account".into(), 5);
        BTreeMap::from([("surveys".to_string(), surveys)])
    }

    #[test]
    fn the_global_ratio_keeps_its_message() {
        let mut q = Settings::default().quality;
        let (fs, gate) = evaluate(&inputs(), &q);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].outcome, Outcome::Pass);
        assert!(gate.is_none());
        q.max_reject_ratio = 0.04;
        let (_, gate) = evaluate(&inputs(), &q);
        assert_eq!(
            gate.unwrap().to_string(),
            "quality gate: table surveys: 10 of 206 rows rejected (0.0485 > max_reject_ratio 0.04)"
        );
    }

    #[test]
    fn table_and_reason_thresholds_override_and_add() {
        let mut q = Settings::default().quality;
        q.max_reject_ratio = 0.01; // replaced for surveys below
        q.surveys = Some(TableQuality {
            max_reject_ratio: Some(0.05),
            max_reject_count: Some(10),
            reasons: BTreeMap::from([
                (
                    "unknown_account".to_string(),
                    ReasonLimit {
                        max_ratio: Some(0.02),
                        level: Level::Warn,
                        ..Default::default()
                    },
                ),
                (
                    "null_key".to_string(),
                    ReasonLimit {
                        max_count: Some(0),
                        ..Default::default()
                    },
                ),
            ]),
            ..Default::default()
        });
        let (fs, gate) = evaluate(&inputs(), &q);
        let got: Vec<_> = fs.iter().map(|f| (f.check.as_str(), f.outcome)).collect();
        assert_eq!(
            got,
            [
                ("max_reject_ratio", Outcome::Pass),
                ("max_reject_count", Outcome::Pass),
                ("reasons.null_key.max_count", Outcome::Pass),
                ("reasons.unknown_account.max_ratio", Outcome::Warn),
            ]
        );
        assert!(gate.is_none());
        q.surveys
            .as_mut()
            .unwrap()
            .reasons
            .get_mut("unknown_account")
            .unwrap()
            .level = Level::Error;
        let (_, gate) = evaluate(&inputs(), &q);
        let e = gate.unwrap();
        assert_eq!(e.exit_code(), 4);
        assert_eq!(
            e.to_string(),
            "quality gate: table surveys: reasons.unknown_account.max_ratio: 5 of 206 rows rejected as unknown_account (0.0243 > max_ratio 0.02)"
        );
    }

    #[test]
    fn reason_columns_must_exist() {
        let s = Settings::from_toml_str(
            "[quality.surveys.reasons]\n\"null_value:scroe\" = { max_count = 1 }\n",
        )
        .unwrap();
        let e = validate_reasons(&s).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().contains("scroe is not a column of surveys"),
            "{e}"
        );
        let s = Settings::from_toml_str(
            "[quality.surveys.reasons]\n\"null_value:score\" = { max_count = 1 }\n",
        )
        .unwrap();
        assert!(validate_reasons(&s).is_ok());
    }
}
