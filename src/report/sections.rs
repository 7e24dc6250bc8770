//! The run report's last sections: rejects, stage timings and the tier
//! migration matrix (split from html.rs to keep each file short).

use std::collections::BTreeMap;

use super::charts::{self, Series};
use super::data::{MigrationRow, ReportData};
use super::format::{self, Cell};
use super::html::{figure, over_dates, section, HtmlTable};
use crate::tables::Output;

pub(super) fn rejects(out: &mut String, d: &ReportData) {
    let mut table = HtmlTable::new(
        "rejects",
        &["date", "table", "reason"],
        &["rows", "run_id", "status"],
    );
    let runs: Vec<_> = d
        .dates
        .iter()
        .filter_map(|r| r.run.as_ref().map(|m| (r.date, m)))
        .collect();
    let mut per_table: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (i, (date, m)) in runs.iter().enumerate() {
        for (table_name, stats) in &m.inputs {
            per_table
                .entry(table_name.clone())
                .or_insert_with(|| vec![f64::NAN; runs.len()])[i] = 100.0 * stats.reject_ratio;
            for (reason, n) in &stats.rejected_by_reason {
                table.row(
                    &[&date.to_string(), table_name, reason],
                    &[
                        Some(Cell::int(*n as i64)),
                        Some(Cell::plain(&m.run_id)),
                        Some(Cell::plain(m.status.as_str())),
                    ],
                );
            }
        }
    }
    let series: Vec<Series> = per_table
        .into_iter()
        .enumerate()
        .map(|(i, (name, values))| Series {
            name,
            values,
            color: charts::TABLE_COLORS[i % charts::TABLE_COLORS.len()],
        })
        .collect();
    let labels: Vec<String> = runs
        .iter()
        .map(|(date, _)| format::short_date(*date))
        .collect();
    let title = "Reject ratio per input table";
    let desc = format!(
        "Rejected rows as a percentage of rows read, one line per input table, over the {} dates with a run.",
        runs.len()
    );
    let chart = figure(
        charts::lines(title, &labels, &series, "rejected / read, %"),
        title,
        &desc,
    );
    section(out, "rejects", &over_dates("Rejects over time, runs", runs.len(), d.dates.len()),
        "From the manifests: the newest run of each date (whatever its status); the chart shows each input table's reject ratio (rejected / rows read, in %), the table every table and reason with its rejected rows.",
        &(chart + &table.collapsed()));
}

/// The stages of a run in the order they run; a stage this version does
/// not know comes after them, by name.
const STAGES: [&str; 7] = [
    "list_and_check_files",
    "check_rows",
    "count_rejects",
    "transform",
    "write_staging",
    "audit",
    "publish",
];

pub(super) fn timings(out: &mut String, d: &ReportData) {
    let mut stages: Vec<(&String, &u64)> = d.manifest.timings_ms.iter().collect();
    stages.sort_by_key(|(s, _)| {
        STAGES
            .iter()
            .position(|k| *k == s.as_str())
            .unwrap_or(STAGES.len())
    });
    let mut table = HtmlTable::new("timings", &["stage"], &["ms"]);
    for (stage, ms) in &stages {
        table.row(&[stage], &[Some(Cell::int(**ms as i64))]);
    }
    let labels: Vec<String> = stages.iter().map(|(s, _)| s.to_string()).collect();
    let values: Vec<f64> = stages.iter().map(|(_, v)| **v as f64).collect();
    let title = "Stage timings";
    let chart = figure(
        charts::hbars(title, &labels, &values, "ms"),
        title,
        "Milliseconds per stage of D's run, in pipeline order from the top.",
    );
    section(
        out,
        "timings",
        "Stage timings",
        "Milliseconds per stage of D's run (manifest timings_ms), in pipeline order.",
        &(chart + &table.collapsed()),
    );
}

pub(super) fn migration(out: &mut String, rows: &[MigrationRow]) {
    let order = ["platinum", "gold", "silver", "bronze", "(none)"];
    let mut counts = vec![vec![0u64; order.len()]; order.len()];
    let name = Output::TierMigration.name();
    let mut table = HtmlTable::new(name, &["from", "to"], &["movement", "accounts"]);
    for r in rows {
        let (from, to) = (r.from_tier.as_str(), r.to_tier.as_str());
        let n = r.accounts.max(0) as u64;
        if let (Some(i), Some(j)) = (
            order.iter().position(|x| *x == from),
            order.iter().position(|x| *x == to),
        ) {
            counts[i][j] = n;
        }
        table.row(
            &[from, to],
            &[Some(Cell::plain(&r.movement)), Some(Cell::int(r.accounts))],
        );
    }
    let names: Vec<String> = order.iter().map(|s| s.to_string()).collect();
    let title = "Tier migration (from previous date → D)";
    let none = order.len() - 1;
    let chart = figure(
        charts::heatmap(title, &names, &names, &counts, &[(none, none)]),
        title,
        "Accounts per tier on the previous committed date (rows) and on D (columns), platinum to bronze then (none); (none) → (none) is impossible and marked so.",
    );
    section(out, "migration", "Tier migration",
        "tier_migration of D: accounts per (from tier on the previous committed date, tier on D); (none) = not scored on that side; (none) → (none) cannot happen and is hatched.",
        &(chart + &table.collapsed()));
}
