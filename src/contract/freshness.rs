//! Freshness and completeness of the windowed inputs (docs/checks.md).
//! docs/SPEC.md §1 lets mentions, surveys and influence_scores miss days of
//! their window, so a late or lost delivery would pass silently: here each
//! of them gets its figures — days of the window without a partition, the
//! newest partition and its age, rows in all and per day (counted from the
//! Parquet footers the contract stage reads anyway, no scan) — and the
//! limits of `[checks.<table>.warn]` and `[checks.<table>.error]` are
//! compared with them. An `error` finding fails the run with exit 5 before
//! anything is published.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::spec::{partition_dates, TableSpec, Window};
use crate::config::{InputChecks, Level, Limits, Settings};
use crate::findings::{Completeness, Finding, Kind, Outcome};

/// The completeness figures of a windowed table (`None` for accounts):
/// `present` are the partitions that exist, `rows_per_day` the footer rows
/// of their files (a partition with no data file has 0 rows).
pub fn completeness(
    spec: &TableSpec,
    date: NaiveDate,
    s: &Settings,
    present: &[String],
    rows_per_day: &BTreeMap<NaiveDate, u64>,
) -> Option<Completeness> {
    if spec.window == Window::Snapshot {
        return None;
    }
    let window = partition_dates(spec, date, s);
    let mut c = Completeness {
        window_start: window.first()?.to_string(),
        window_end: date.to_string(),
        days_in_window: window.len() as u32,
        ..Default::default()
    };
    for day in &window {
        let name = day.to_string();
        if present.contains(&name) {
            let rows = rows_per_day.get(day).copied().unwrap_or(0);
            c.days_present += 1;
            c.rows += rows;
            c.rows_per_day.insert(name.clone(), rows);
            c.newest_partition = Some(name);
            c.newest_partition_age_days = Some((date - *day).num_days());
        } else {
            c.missing_days.push(name);
        }
    }
    Some(c)
}

/// Compare a table's figures with its limits at both levels; one finding
/// per limit set, error level first.
pub fn evaluate(table: &str, c: &Completeness, checks: &InputChecks) -> Vec<Finding> {
    let mut out = Vec::new();
    for (level, limits) in [(Level::Error, &checks.error), (Level::Warn, &checks.warn)] {
        out.extend(evaluate_level(table, c, level, limits));
    }
    out
}

fn evaluate_level(table: &str, c: &Completeness, level: Level, l: &Limits) -> Vec<Finding> {
    let lvl = match level {
        Level::Warn => "warn",
        _ => "error",
    };
    let finding = |check: &str, failed: bool, figure: f64, limit: f64, message: String| Finding {
        kind: Kind::Freshness,
        check: check.to_string(),
        table: table.to_string(),
        key: format!("checks.{table}.{lvl}.{check}"),
        level,
        outcome: Outcome::judged(failed, level),
        figure: Some(figure),
        limit: Some(limit),
        message,
    };
    let window = format!("{}…{}", c.window_start, c.window_end);
    let mut out = Vec::new();
    if let Some(max) = l.max_missing_days {
        let missing = c.missing_days.len() as u64;
        out.push(finding(
            "max_missing_days",
            missing > u64::from(max),
            missing as f64,
            f64::from(max),
            format!(
                "{missing} of {} days without a partition in {window} (limit {max})",
                c.days_in_window
            ),
        ));
    }
    if let Some(max) = l.newest_partition_max_age_days {
        let (failed, figure, message) = match (&c.newest_partition, c.newest_partition_age_days) {
            (Some(newest), Some(age)) => (
                age > i64::from(max),
                age as f64,
                format!(
                    "newest partition {newest} is {age} days old on {} (limit {max})",
                    c.window_end
                ),
            ),
            _ => (
                true,
                f64::from(c.days_in_window),
                format!("no partition at all in {window} (limit {max} days)"),
            ),
        };
        out.push(finding(
            "newest_partition_max_age_days",
            failed,
            figure,
            f64::from(max),
            message,
        ));
    }
    if let Some(min) = l.min_rows {
        out.push(finding(
            "min_rows",
            c.rows < min,
            c.rows as f64,
            min as f64,
            format!("{} rows in {window} (minimum {min})", c.rows),
        ));
    }
    if let Some(min) = l.min_rows_per_day {
        // the partition with the fewest rows (the oldest of equals)
        let fewest = c
            .rows_per_day
            .iter()
            .min_by_key(|(day, rows)| (**rows, (*day).clone()));
        let (failed, figure, message) = match fewest {
            Some((day, rows)) => (
                *rows < min,
                *rows as f64,
                format!("partition {day} has {rows} rows, the fewest of {} partitions (minimum {min} per day)", c.days_present),
            ),
            None => (false, 0.0, format!("no partition in {window}")),
        };
        out.push(finding(
            "min_rows_per_day",
            failed,
            figure,
            min as f64,
            message,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::spec::{ACCOUNTS, INFLUENCE};
    use crate::findings::Outcome;

    fn d(s: &str) -> NaiveDate {
        crate::config::parse_date(s).unwrap()
    }

    #[test]
    fn figures_and_limits_of_a_window() {
        let mut s = Settings::default();
        s.windows.influence_max_age_days = 5;
        let present = ["2026-03-06".to_string(), "2026-03-08".to_string()];
        let rows = BTreeMap::from([(d("2026-03-06"), 7)]);
        let c = completeness(&INFLUENCE, d("2026-03-10"), &s, &present, &rows).unwrap();
        assert_eq!(c.window_start, "2026-03-06");
        assert_eq!(c.days_in_window, 5);
        assert_eq!(c.days_present, 2);
        assert_eq!(c.missing_days, ["2026-03-07", "2026-03-09", "2026-03-10"]);
        assert_eq!(c.newest_partition.as_deref(), Some("2026-03-08"));
        assert_eq!(c.newest_partition_age_days, Some(2));
        assert_eq!(c.rows, 7);
        assert_eq!(c.rows_per_day["2026-03-08"], 0, "a partition without files");
        assert!(completeness(&ACCOUNTS, d("2026-03-10"), &s, &present, &rows).is_none());

        let checks = InputChecks {
            warn: Limits {
                max_missing_days: Some(2),
                min_rows_per_day: Some(1),
                ..Default::default()
            },
            error: Limits {
                max_missing_days: Some(3),
                newest_partition_max_age_days: Some(1),
                min_rows: Some(7),
                ..Default::default()
            },
        };
        let f = evaluate("influence_scores", &c, &checks);
        let got: Vec<_> = f
            .iter()
            .map(|f| (f.key.as_str(), f.outcome, f.figure))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "checks.influence_scores.error.max_missing_days",
                    Outcome::Pass,
                    Some(3.0)
                ),
                (
                    "checks.influence_scores.error.newest_partition_max_age_days",
                    Outcome::Error,
                    Some(2.0)
                ),
                (
                    "checks.influence_scores.error.min_rows",
                    Outcome::Pass,
                    Some(7.0)
                ),
                (
                    "checks.influence_scores.warn.max_missing_days",
                    Outcome::Warn,
                    Some(3.0)
                ),
                (
                    "checks.influence_scores.warn.min_rows_per_day",
                    Outcome::Warn,
                    Some(0.0)
                ),
            ]
        );
        assert!(
            f[4].message.contains("partition 2026-03-08 has 0 rows"),
            "{}",
            f[4].message
        );
    }
}
