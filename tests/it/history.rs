//! The outputs that compare D with earlier committed dates (docs/SPEC.md §6):
//! `tier_movements` and `tier_migration` against the previous committed
//! `customer_tiers`, `nps_changes` against the `nps_aggregates` of
//! D − nps_days. The earlier dates are planted in the output as a committed
//! run would leave them (hand-chosen rows in `tests/expected/history/`,
//! `_SUCCESS`, a `success` manifest), next to decoys that are not committed;
//! the fixture run of D is the hand-checked one of `tests/expected/`. The
//! expected rows were worked out by hand: `tests/expected/WORKINGS.md` §12.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    new_null_array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::DataType;
use parquet::arrow::ArrowWriter;
use pulsetier::tables::Output;

use crate::common::*;
use crate::expected::{assert_partition_matches, read_csv};

/// Write `tests/expected/<csv>` as partition `date` of `table` under `out`
/// with the output's schema (columns the CSV lacks are null); with
/// `success`, mark it `_SUCCESS`.
fn plant(out: &Path, table: Output, date: &str, csv: &str, success: bool) {
    let schema = table.schema();
    let table = table.name();
    let (header, rows) = read_csv(csv);
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| {
            let Some(i) = header.iter().position(|h| h == f.name()) else {
                return new_null_array(f.data_type(), rows.len());
            };
            let cells = rows
                .iter()
                .map(|r| Some(r[i].as_str()).filter(|v| !v.is_empty()));
            match f.data_type() {
                DataType::Utf8 => Arc::new(cells.collect::<StringArray>()) as ArrayRef,
                DataType::Float64 => Arc::new(
                    cells
                        .map(|v| v.map(|v| v.parse::<f64>().unwrap()))
                        .collect::<Float64Array>(),
                ),
                DataType::Int64 => Arc::new(
                    cells
                        .map(|v| v.map(|v| v.parse::<i64>().unwrap()))
                        .collect::<Int64Array>(),
                ),
                DataType::Boolean => Arc::new(
                    cells
                        .map(|v| v.map(|v| v == "true"))
                        .collect::<BooleanArray>(),
                ),
                other => panic!("plant: no parser for {other}"),
            }
        })
        .collect();
    let dir = out.join(table).join(format!("snapshot_date={date}"));
    fs::create_dir_all(&dir).unwrap();
    let file = fs::File::create(dir.join("part-00000.parquet")).unwrap();
    let mut w = ArrowWriter::try_new(file, schema.clone(), None).unwrap();
    w.write(&RecordBatch::try_new(schema, columns).unwrap())
        .unwrap();
    w.close().unwrap();
    if success {
        fs::write(dir.join("_SUCCESS"), b"").unwrap();
    }
}

/// A manifest of a run of `date` that ended with `status`.
fn plant_manifest(out: &Path, date: &str, run_id: &str, status: &str) {
    let dir = out.join(format!("_manifests/snapshot_date={date}"));
    fs::create_dir_all(&dir).unwrap();
    let doc =
        format!(r#"{{"run_id": "{run_id}", "snapshot_date": "{date}", "status": "{status}"}}"#);
    fs::write(dir.join(format!("{run_id}.json")), doc).unwrap();
}

/// An output root holding, before D = 2026-03-10 is run:
/// - 2026-03-09: `customer_tiers` with `_SUCCESS`, but its newest manifest
///   says `quality_gate_failed` (its last run failed): not committed;
/// - 2026-03-08: a `success` manifest but no `_SUCCESS` (a rerun killed while
///   publishing): not committed;
/// - 2026-03-07: committed, the hand-chosen previous tiers;
/// - 2025-12-10 (D − 90): committed, the hand-chosen NPS baseline.
///
/// The decoys hold every account as bronze at 1.00: picking one shows.
fn output_with_history(name: &str) -> std::path::PathBuf {
    let out = temp_dir(name);
    let tiers = Output::CustomerTiers;
    let decoy = "history/decoy_customer_tiers.csv";
    plant(&out, tiers, "2026-03-09", decoy, true);
    plant_manifest(&out, "2026-03-09", "20260309T010000.000Z-ok", "success");
    plant_manifest(
        &out,
        "2026-03-09",
        "20260309T020000.000Z-gate",
        "quality_gate_failed",
    );
    plant(&out, tiers, "2026-03-08", decoy, false);
    plant_manifest(&out, "2026-03-08", "20260308T010000.000Z-ok", "success");
    let previous = "history/previous_customer_tiers.csv";
    plant(&out, tiers, "2026-03-07", previous, true);
    plant_manifest(&out, "2026-03-07", "20260307T010000.000Z-ok", "success");
    let baseline = "history/baseline_nps_aggregates.csv";
    plant(&out, Output::NpsAggregates, "2025-12-10", baseline, true);
    plant_manifest(&out, "2025-12-10", "20251210T010000.000Z-ok", "success");
    out
}

/// The newest manifest of D.
fn newest_manifest(out: &Path) -> serde_json::Value {
    manifests(out).pop().unwrap()
}

#[test]
fn movements_and_nps_changes_against_the_committed_dates_match_hand_worked_values() {
    let out = output_with_history("history");
    assert_exit(&run(&fixtures(), &out, &[]), 0);
    // P = 2026-03-07: the newest committed date of 03-03 … 03-09; up, down,
    // same, new and gone, tier_steps from -3 to +2
    assert_partition_matches(&out, "tier_movements", "history/tier_movements.csv");
    assert_partition_matches(&out, "tier_migration", "history/tier_migration.csv");
    // B = 2025-12-10: significant and not significant changes at small n,
    // low_sample from the baseline side, groups missing from the baseline
    assert_partition_matches(&out, "nps_changes", "history/nps_changes.csv");
    // the three outputs of D are those of a run without history
    for table in ["customer_tiers", "nps_aggregates", "social_pulse"] {
        assert_partition_matches(&out, table, &format!("{table}.csv"));
    }
    let m = newest_manifest(&out);
    assert_eq!(m["previous_snapshot_date"], "2026-03-07");
    assert_eq!(m["baseline_snapshot_date"], "2025-12-10");
    assert_eq!(m["outputs"]["tier_movements"]["rows"], 18);
    assert_eq!(m["outputs"]["tier_migration"]["rows"], 24);
    assert_eq!(m["outputs"]["nps_changes"]["rows"], 22);

    // Rerunning D finds the same P and B: byte-identical files.
    let first = snapshot_tree(&out);
    assert_exit(&run(&fixtures(), &out, &[]), 0);
    assert!(
        first == snapshot_tree(&out),
        "a rerun of D gives the same files"
    );

    // The lookback is inclusive: 3 days back still reaches 2026-03-07 …
    assert_exit(
        &run(&fixtures(), &out, &["--movement-lookback-days", "3"]),
        0,
    );
    assert!(
        first == snapshot_tree(&out),
        "lookback 3 finds 2026-03-07 too"
    );
    // … 2 days back finds no committed date: every account is new.
    assert_exit(
        &run(&fixtures(), &out, &["--movement-lookback-days", "2"]),
        0,
    );
    assert_partition_matches(&out, "tier_movements", "tier_movements.csv");
    assert_partition_matches(&out, "tier_migration", "tier_migration.csv");
    assert_partition_matches(&out, "nps_changes", "history/nps_changes.csv");
    let m = newest_manifest(&out);
    assert_eq!(m["previous_snapshot_date"], serde_json::Value::Null);
    assert_eq!(m["baseline_snapshot_date"], "2025-12-10");
    // the planted dates are never touched
    let planted = out.join("customer_tiers/snapshot_date=2026-03-07/part-00000.parquet");
    let before = first
        .iter()
        .find(|(p, _)| out.join(p) == planted)
        .map(|(_, b)| b.clone());
    assert_eq!(Some(fs::read(&planted).unwrap()), before);
}

#[test]
fn lookback_of_zero_is_a_usage_error() {
    let out = temp_dir("history-usage");
    let o = run(&fixtures(), &out, &["--movement-lookback-days", "0"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("movement_lookback_days"),
        "{}",
        stderr(&o)
    );
}
