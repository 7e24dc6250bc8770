//! The fixtures' published outputs against hand-computed expectations.
//! `tests/expected/*.csv` were worked out by hand from SPEC (arithmetic in
//! `tests/expected/WORKINGS.md`), not copied from pulsetier's output.
//! Doubles compare with tolerance 1e-9; everything else exactly.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use arrow::array::Array;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::common::*;

/// One shared published run of the fixtures for every test here.
fn published() -> &'static Path {
    static OUT: OnceLock<std::path::PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = temp_dir("expected");
        assert_exit(&run(&fixtures(), &out, &[]), 0);
        out
    })
}

pub(crate) fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = fs::read_to_string(repo().join("tests/expected").join(name)).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// Rows of batches as strings (null = empty), with each column's type.
pub(crate) fn rows_of(batches: &[RecordBatch]) -> (Vec<String>, Vec<DataType>, Vec<Vec<String>>) {
    let schema = batches[0].schema();
    let names = schema.fields().iter().map(|f| f.name().clone()).collect();
    let types = schema
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    let opts = FormatOptions::default();
    let mut rows = Vec::new();
    for b in batches {
        let fmts: Vec<_> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).unwrap())
            .collect();
        for r in 0..b.num_rows() {
            rows.push(
                b.columns()
                    .iter()
                    .zip(&fmts)
                    .map(|(c, f)| {
                        if c.is_null(r) {
                            String::new()
                        } else {
                            f.value(r).to_string()
                        }
                    })
                    .collect(),
            );
        }
    }
    (names, types, rows)
}

fn assert_table_matches(table: &str) {
    assert_partition_matches(published(), table, &format!("{table}.csv"));
}

/// Partition D of `table` under `out` against the hand-computed
/// `tests/expected/<csv>`, in order.
pub(crate) fn assert_partition_matches(out: &Path, table: &str, csv: &str) {
    let dir = out.join(table).join(format!("snapshot_date={DATE}"));
    let (names, types, got) = rows_of(&read_partition(&dir));
    let (header, want) = read_csv(csv);
    assert_eq!(names, header, "{table}: columns and order");
    assert_eq!(got.len(), want.len(), "{table}: row count");
    let mut diffs = Vec::new();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        for (c, ty) in types.iter().enumerate() {
            let (gv, wv) = (&g[c], &w[c]);
            let same = match ty {
                DataType::Float64 if !gv.is_empty() && !wv.is_empty() => {
                    (gv.parse::<f64>().unwrap() - wv.parse::<f64>().unwrap()).abs() < 1e-9
                }
                _ => gv == wv,
            };
            if !same {
                diffs.push(format!(
                    "row {} ({}) {}: got {gv:?}, expected {wv:?}",
                    i + 1,
                    g[0],
                    header[c]
                ));
            }
        }
    }
    assert!(diffs.is_empty(), "{table}:\n{}", diffs.join("\n"));
}

#[test]
fn customer_tiers_match_hand_computed_values() {
    assert_table_matches("customer_tiers");
}

#[test]
fn nps_aggregates_match_hand_computed_values() {
    assert_table_matches("nps_aggregates");
}

#[test]
fn social_pulse_matches_hand_computed_values() {
    assert_table_matches("social_pulse");
}

/// The fixtures' small graph (connections only; WORKINGS §14): circle
/// figures, network_influence 100 / 80 / 0 and one prospect, fan1.
#[test]
fn circle_outputs_match_hand_computed_values() {
    assert_table_matches("social_circle");
    assert_table_matches("circle_prospects");
}

/// No earlier date is committed: every account is `new` (docs/SPEC.md §6).
#[test]
fn tier_movements_without_a_previous_date_are_all_new() {
    assert_table_matches("tier_movements");
    assert_table_matches("tier_migration");
}

/// No baseline date is committed: only D's side of each group.
#[test]
fn nps_changes_without_a_baseline_have_only_now() {
    assert_table_matches("nps_changes");
}

/// WORKINGS.md §13: the one shout of the fixtures (its text has a comma,
/// so the row is written here rather than as a CSV).
#[test]
fn care_queue_matches_hand_worked_values() {
    let dir = published()
        .join("care_queue")
        .join(format!("snapshot_date={DATE}"));
    let (names, _, rows) = rows_of(&read_partition(&dir));
    let want = [
        ("mention_id", "M-L2"),
        ("platform", "twitter"),
        ("posted_at", "2026-03-10T23:59:59Z"),
        ("author_handle", "loud"),
        ("text", "window end, inside"),
        ("sentiment", "-1.0"),
        ("topic", "other"),
        ("route", "care_desk"),
        ("churn_intent", "false"),
        ("account_id", "A08"),
        ("tier", "bronze"),
        ("value_score", "25.0"),
        ("care_priority", "2"),
        ("influence_norm", "60.0"),
        ("lane", "customer_p2"),
        ("due_at", "2026-03-11T01:59:59Z"),
        ("queue_rank", "1"),
    ];
    assert_eq!(
        names,
        want.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    for (i, (name, value)) in want.iter().enumerate() {
        assert_eq!(rows[0][i], *value, "{name}");
    }
}

#[test]
fn rejects_match_hand_listed_reasons() {
    let (_, want) = read_csv("rejects.csv");
    let mut got = Vec::new();
    for table in pulsetier::contract::TABLES.iter().map(|spec| spec.name) {
        let dir = published()
            .join("_rejects")
            .join(table)
            .join(format!("snapshot_date={DATE}"));
        let (names, _, rows) = rows_of(&read_partition(&dir));
        assert_eq!(&names[names.len() - 2..], ["reject_reason", "source_file"]);
        let prefix = format!("{}/", fixtures().display());
        for r in rows {
            let source = r[r.len() - 1].clone();
            let rel = source
                .strip_prefix("file://")
                .and_then(|s| s.strip_prefix(&prefix))
                .unwrap_or(&source)
                .to_string();
            got.push(vec![
                table.to_string(),
                r[0].clone(),
                r[r.len() - 2].clone(),
                rel,
            ]);
        }
    }
    got.sort();
    let mut want = want;
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn manifest_counts_match_hand_counts() {
    let (_, want) = read_csv("counts.csv");
    let m = &manifests(published())[0];
    for row in want {
        let t = &m["inputs"][&row[0]];
        assert_eq!(
            t["rows_read"].as_u64().unwrap().to_string(),
            row[1],
            "{} rows_read",
            row[0]
        );
        assert_eq!(
            t["rejected"].as_u64().unwrap().to_string(),
            row[2],
            "{} rejected",
            row[0]
        );
        assert_eq!(
            t["duplicates_dropped"].as_u64().unwrap().to_string(),
            row[3],
            "{} duplicates",
            row[0]
        );
    }
}
