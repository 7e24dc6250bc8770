//! The checks beyond the reject ratio (docs/checks.md), each at level
//! `warn` (logged, kept in the manifest, the run publishes) and `error`
//! (the run fails with its exit code and a message naming the check and
//! the figure, and every partition published before stays byte-identical):
//! a mentions window missing days, stale influence scores, an empty surveys
//! delivery, a per-reason reject threshold, a duplicated account injected
//! into the staged customer_tiers, and a 50 % drop of accounts against the
//! previous day's manifest. Then `pulsetier checks` and the `[rejects]`
//! options. Every figure is worked out from the fixtures
//! (tests/expected/WORKINGS.md) in the comments.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, AsArray, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Int64Type, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use serde_json::Value;

use crate::common::*;

/// A config file holding `toml`, next to `dir`.
fn config(dir: &Path, name: &str, toml: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    fs::write(&path, toml).unwrap();
    path
}

/// `pulsetier run` for `date` with a config file (or none).
fn run_date(input: &Path, out: &Path, date: &str, cfg: Option<&Path>) -> Output {
    match cfg {
        Some(c) => run_on(input, out, date, &["--config", c.to_str().unwrap()]),
        None => run_on(input, out, date, &[]),
    }
}

/// The newest manifest of `date` under `out`.
fn newest_manifest(out: &Path, date: &str) -> Value {
    let dir = out.join("_manifests").join(format!("snapshot_date={date}"));
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    serde_json::from_slice(&fs::read(files.last().unwrap()).unwrap()).unwrap()
}

/// The finding of `check` on `table` in a manifest's (or `checks --json`'s)
/// findings, with its configured `key`.
fn finding<'a>(checks: &'a Value, key: &str, table: &str) -> &'a Value {
    checks["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key && f["table"] == table)
        .unwrap_or_else(|| panic!("no finding {key} on {table} in {checks:#}"))
}

/// The run failed with `code`, naming `message`; every file published
/// before (`before`) is byte-identical and no staging is left.
fn assert_failed_untouched(
    o: &Output,
    code: i32,
    message: &str,
    out: &Path,
    before: &[(String, Vec<u8>)],
) {
    assert_exit(o, code);
    let err = stderr(o);
    assert!(err.contains(message), "{message:?} not in\n{err}");
    assert!(
        snapshot_tree(out) == before,
        "published partitions changed after a failed run"
    );
    let staging = out.join(format!("_staging/snapshot_date={DATE}"));
    assert!(
        fs::read_dir(&staging).map_or(true, |mut d| d.next().is_none()),
        "staging removed"
    );
}

#[test]
fn mentions_missing_days_warn_then_error() {
    // mentions window for D: 2026-02-09 … 2026-03-10 = 30 days (Feb 2026
    // has 28); partitions 02-09, 02-20, 03-01 and 03-10 exist: 26 missing.
    let base = temp_dir("checks-mentions");
    let out = base.join("out");
    let warn = config(
        &base,
        "warn",
        "[checks.mentions.warn]\nmax_missing_days = 20\n",
    );
    let o = run_date(&fixtures(), &out, DATE, Some(&warn));
    assert_exit(&o, 0);
    assert!(
        stderr(&o)
            .contains("26 of 30 days without a partition in 2026-02-09…2026-03-10 (limit 20)"),
        "the warning is logged: {}",
        stderr(&o)
    );
    let m = newest_manifest(&out, DATE);
    assert_eq!(m["status"], "success");
    assert_eq!(m["checks"]["status"], "warn");
    let f = finding(
        &m["checks"],
        "checks.mentions.warn.max_missing_days",
        "mentions",
    );
    assert_eq!(
        (&f["level"], &f["outcome"]),
        (&"warn".into(), &"warn".into())
    );
    assert_eq!((&f["figure"], &f["limit"]), (&26.into(), &20.into()));
    let figures = &m["checks"]["inputs"]["mentions"];
    assert_eq!(figures["days_in_window"], 30);
    assert_eq!(figures["days_present"], 4);
    assert_eq!(figures["missing_days"].as_array().unwrap().len(), 26);
    assert_eq!(figures["missing_days"][0], "2026-02-10");
    assert_eq!(figures["newest_partition"], "2026-03-10");
    assert_eq!(figures["newest_partition_age_days"], 0);
    // rows from the footers: 5 + 82 (2 + 80 padding) + 6 + 15 (6 + 9) = 108
    assert_eq!(
        figures["rows_per_day"],
        serde_json::json!({"2026-02-09": 5, "2026-02-20": 82, "2026-03-01": 6, "2026-03-10": 15})
    );
    assert_eq!(figures["rows"], 108);

    let before = snapshot_tree(&out);
    let error = config(
        &base,
        "error",
        "[checks.mentions.error]\nmax_missing_days = 25\n",
    );
    let o = run_date(&fixtures(), &out, DATE, Some(&error));
    assert_failed_untouched(
        &o,
        5,
        "freshness check failed: table mentions: max_missing_days: 26 of 30 days without a partition in 2026-02-09…2026-03-10 (limit 25)",
        &out,
        &before,
    );
    let m = newest_manifest(&out, DATE);
    assert_eq!(m["status"], "freshness_failed");
    assert_eq!(m["exit_code"], 5);
    assert_eq!(
        m["outputs"],
        serde_json::json!({}),
        "nothing published, not even rejects"
    );
    let f = finding(
        &m["checks"],
        "checks.mentions.error.max_missing_days",
        "mentions",
    );
    assert_eq!((&f["outcome"], &f["figure"]), (&"error".into(), &26.into()));
}

#[test]
fn stale_influence_warn_then_error() {
    // without its 2026-03-10 partition the newest influence delivery is
    // 2026-01-20: 11 + 28 + 10 = 49 days before D
    let input = fixture_copy("checks-stale");
    fs::remove_dir_all(input.join("influence_scores/snapshot_date=2026-03-10")).unwrap();
    let base = input.parent().unwrap().to_path_buf();
    let out = base.join("out");
    let warn = config(
        &base,
        "warn",
        "[checks.influence_scores.warn]\nnewest_partition_max_age_days = 30\n",
    );
    let o = run_date(&input, &out, DATE, Some(&warn));
    assert_exit(&o, 0);
    let m = newest_manifest(&out, DATE);
    assert_eq!(m["status"], "success");
    let f = finding(
        &m["checks"],
        "checks.influence_scores.warn.newest_partition_max_age_days",
        "influence_scores",
    );
    assert_eq!(
        (&f["outcome"], &f["figure"], &f["limit"]),
        (&"warn".into(), &49.into(), &30.into())
    );
    assert_eq!(
        m["checks"]["inputs"]["influence_scores"]["newest_partition"],
        "2026-01-20"
    );

    let before = snapshot_tree(&out);
    // 49 > 48: one day too old
    let error = config(
        &base,
        "error",
        "[checks.influence_scores.error]\nnewest_partition_max_age_days = 48\n",
    );
    let o = run_date(&input, &out, DATE, Some(&error));
    assert_failed_untouched(
        &o,
        5,
        "freshness check failed: table influence_scores: newest_partition_max_age_days: newest partition 2026-01-20 is 49 days old on 2026-03-10 (limit 48)",
        &out,
        &before,
    );
    // 49 is within 49: passes
    let edge = config(
        &base,
        "edge",
        "[checks.influence_scores.error]\nnewest_partition_max_age_days = 49\n",
    );
    assert_exit(&run_date(&input, &out, DATE, Some(&edge)), 0);
}

/// A surveys file with the contract's columns and no row.
fn write_empty_surveys(path: &Path) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("response_id", DataType::Utf8, true),
        Field::new("account_id", DataType::Utf8, true),
        Field::new(
            "responded_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("score", DataType::Int64, true),
        Field::new("channel", DataType::Utf8, true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(Vec::<Option<&str>>::new())),
        Arc::new(StringArray::from(Vec::<Option<&str>>::new())),
        Arc::new(TimestampMicrosecondArray::from(Vec::<Option<i64>>::new()).with_timezone("UTC")),
        Arc::new(Int64Array::from(Vec::<Option<i64>>::new())),
        Arc::new(StringArray::from(Vec::<Option<&str>>::new())),
    ];
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let mut w = ArrowWriter::try_new(fs::File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn empty_surveys_delivery_warn_then_error() {
    // a 2026-03-05 delivery with one zero-row file: 5 partitions, the
    // fewest rows 0; all rows still 3 + 178 + 7 + 18 = 206
    let input = fixture_copy("checks-empty");
    write_empty_surveys(&input.join("surveys/snapshot_date=2026-03-05/part-0.parquet"));
    let base = input.parent().unwrap().to_path_buf();
    let out = base.join("out");
    let warn = config(
        &base,
        "warn",
        "[checks.surveys.warn]\nmin_rows_per_day = 1\n[checks.surveys.error]\nmin_rows = 206\n",
    );
    let o = run_date(&input, &out, DATE, Some(&warn));
    assert_exit(&o, 0);
    let m = newest_manifest(&out, DATE);
    let f = finding(
        &m["checks"],
        "checks.surveys.warn.min_rows_per_day",
        "surveys",
    );
    assert_eq!(
        (&f["outcome"], &f["figure"], &f["limit"]),
        (&"warn".into(), &0.into(), &1.into())
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("partition 2026-03-05 has 0 rows, the fewest of 5 partitions"),
        "{f}"
    );
    // 206 rows is not fewer than 206
    let f = finding(&m["checks"], "checks.surveys.error.min_rows", "surveys");
    assert_eq!((&f["outcome"], &f["figure"]), (&"pass".into(), &206.into()));
    assert_eq!(
        m["checks"]["inputs"]["surveys"]["rows_per_day"]["2026-03-05"],
        0
    );

    let before = snapshot_tree(&out);
    let error = config(
        &base,
        "error",
        "[checks.surveys.error]\nmin_rows_per_day = 1\n",
    );
    let o = run_date(&input, &out, DATE, Some(&error));
    assert_failed_untouched(
        &o,
        5,
        "freshness check failed: table surveys: min_rows_per_day: partition 2026-03-05 has 0 rows",
        &out,
        &before,
    );
}

#[test]
fn reject_thresholds_per_reason_and_table() {
    // surveys: 5 unknown_account rejects (R-U1 … R-U5) of 206 rows read
    let base = temp_dir("checks-reasons");
    let out = base.join("out");
    let warn = config(
        &base,
        "warn",
        "[quality.surveys.reasons]\nunknown_account = { max_count = 4, level = \"warn\" }\n",
    );
    let o = run_date(&fixtures(), &out, DATE, Some(&warn));
    assert_exit(&o, 0);
    let m = newest_manifest(&out, DATE);
    let f = finding(
        &m["checks"],
        "quality.surveys.reasons.unknown_account.max_count",
        "surveys",
    );
    assert_eq!(
        (&f["outcome"], &f["figure"], &f["limit"]),
        (&"warn".into(), &5.into(), &4.into())
    );

    let before: Vec<_> = snapshot_tree(&out)
        .into_iter()
        .filter(|(p, _)| !p.starts_with("_rejects"))
        .collect();
    // 5 / 206 = 0.02427… > 0.02
    let error = config(
        &base,
        "error",
        "[quality.surveys.reasons]\nunknown_account = { max_ratio = 0.02 }\n",
    );
    let o = run_date(&fixtures(), &out, DATE, Some(&error));
    assert_exit(&o, 4);
    assert!(
        stderr(&o).contains(
            "quality gate: table surveys: reasons.unknown_account.max_ratio: 5 of 206 rows rejected as unknown_account (0.0243 > max_ratio 0.02)"
        ),
        "{}",
        stderr(&o)
    );
    let after: Vec<_> = snapshot_tree(&out)
        .into_iter()
        .filter(|(p, _)| !p.starts_with("_rejects"))
        .collect();
    assert!(before == after, "outputs untouched by a failed threshold");
    let m = newest_manifest(&out, DATE);
    assert_eq!(
        (&m["status"], &m["exit_code"]),
        (&"quality_gate_failed".into(), &4.into())
    );

    // a table's own ratio replaces the global one, whose message is unchanged:
    // accounts 11/228 = 0.0482 ≤ 0.06 passes, mentions 5/108 = 0.0463 > 0.01 fails
    let table = config(
        &base,
        "table",
        "[quality]\nmax_reject_ratio = 0.01\n[quality.accounts]\nmax_reject_ratio = 0.06\n",
    );
    let o = run_date(&fixtures(), &out, DATE, Some(&table));
    assert_exit(&o, 4);
    assert!(
        stderr(&o).contains(
            "quality gate: table mentions: 5 of 108 rows rejected (0.0463 > max_reject_ratio 0.01)"
        ),
        "{}",
        stderr(&o)
    );
    let m = newest_manifest(&out, DATE);
    let f = finding(
        &m["checks"],
        "quality.accounts.max_reject_ratio",
        "accounts",
    );
    assert_eq!(f["outcome"], "pass");
}

/// Wait for the staged customer_tiers file of a paused run; its path.
fn staged_customer_tiers(out: &Path, child: &mut std::process::Child) -> PathBuf {
    let staging = out.join(format!("_staging/snapshot_date={DATE}"));
    let start = Instant::now();
    loop {
        if let Ok(runs) = fs::read_dir(&staging) {
            for run in runs.flatten() {
                let file = run.path().join("customer_tiers/part-00000.parquet");
                if file.exists() {
                    return file;
                }
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "run ended before staging"
        );
        assert!(start.elapsed() < Duration::from_secs(60), "never staged");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Copy the first staged customer_tiers row (value_rank 1: A02 in
/// tests/expected/customer_tiers.csv) into a second staged file with
/// value_rank n + 1, so ranks stay 1..n+1 and only account_id repeats.
fn inject_duplicate(staged: &Path) -> usize {
    let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(staged).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let n: usize = batches.iter().map(|b| b.num_rows()).sum();
    let first = batches[0].slice(0, 1);
    let schema = first.schema();
    let rank = schema.index_of("value_rank").unwrap();
    let id = first
        .column(schema.index_of("account_id").unwrap())
        .as_string::<i32>()
        .value(0)
        .to_string();
    assert_eq!(id, "A02");
    assert_eq!(first.column(rank).as_primitive::<Int64Type>().value(0), 1);
    let mut cols: Vec<ArrayRef> = first.columns().to_vec();
    cols[rank] = Arc::new(Int64Array::from(vec![n as i64 + 1]));
    let row = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let tmp = staged.with_file_name("injected.tmp");
    let mut w = ArrowWriter::try_new(fs::File::create(&tmp).unwrap(), schema, None).unwrap();
    w.write(&row).unwrap();
    w.close().unwrap();
    fs::rename(&tmp, staged.with_file_name("part-00099.parquet")).unwrap();
    n
}

#[test]
fn duplicated_account_injected_in_staging_warn_then_error() {
    let base = temp_dir("checks-audit");
    let out = base.join("out");
    assert_exit(&run(&fixtures(), &out, &[]), 0);
    let before = snapshot_tree(&out);

    // error (the default level): nothing published, not even _rejects
    let mut child = spawn_paused(&fixtures(), &out, DATE, 1000, &[]);
    let staged = staged_customer_tiers(&out, &mut child);
    assert_eq!(inject_duplicate(&staged), 15, "15 scored accounts");
    let o = child.wait_with_output().unwrap();
    assert_failed_untouched(
        &o,
        4,
        "audit failed: table customer_tiers: unique_account_id: 1 account_id value(s) appearing more than once, e.g. A02",
        &out,
        &before,
    );
    let m = newest_manifest(&out, DATE);
    assert_eq!(
        (&m["status"], &m["exit_code"]),
        (&"audit_failed".into(), &4.into())
    );
    assert_eq!(m["outputs"], serde_json::json!({}));
    let f = finding(&m["checks"], "audits.unique_account_id", "customer_tiers");
    assert_eq!((&f["outcome"], &f["figure"]), (&"error".into(), &1.into()));
    // ranks 1..16 over 16 rows: the rank audit passes, so only the id is named
    let f = finding(&m["checks"], "audits.value_rank", "customer_tiers");
    assert_eq!(f["outcome"], "pass");

    // warn: logged and recorded; what is published is what the run wrote
    let warn = config(&base, "warn", "[audits]\nunique_account_id = \"warn\"\n");
    let mut child = spawn_paused(
        &fixtures(),
        &out,
        DATE,
        1000,
        &["--config", warn.to_str().unwrap()],
    );
    let staged = staged_customer_tiers(&out, &mut child);
    inject_duplicate(&staged);
    let o = child.wait_with_output().unwrap();
    assert_exit(&o, 0);
    assert!(
        stderr(&o).contains("1 account_id value(s) appearing more than once, e.g. A02"),
        "{}",
        stderr(&o)
    );
    let m = newest_manifest(&out, DATE);
    assert_eq!(m["status"], "success");
    let f = finding(&m["checks"], "audits.unique_account_id", "customer_tiers");
    assert_eq!((&f["outcome"], &f["figure"]), (&"warn".into(), &1.into()));
    assert!(
        snapshot_tree(&out) == before,
        "the injected file is not published"
    );
}

/// The first `rows` rows of a Parquet file, written to `to`.
fn write_head(from: &Path, to: &Path, rows: usize) {
    let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(from).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let all = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    let head = all.slice(0, rows);
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    let mut w = ArrowWriter::try_new(fs::File::create(to).unwrap(), head.schema(), None).unwrap();
    w.write(&head).unwrap();
    w.close().unwrap();
}

#[test]
fn accounts_halved_against_the_previous_manifest_warn_then_error() {
    // 2026-03-09 accounts: the 17 scored-or-closed main rows, A95 and 200
    // padding = 218 rows. D gets its first 109 rows (every main row, A95,
    // Z000–Z090): -50 %, outside the default band of ±25 %.
    let input = fixture_copy("checks-anomaly");
    let base = input.parent().unwrap().to_path_buf();
    let out = base.join("out");
    let d = input.join(format!("accounts/snapshot_date={DATE}"));
    fs::remove_dir_all(&d).unwrap();
    write_head(
        &input.join("accounts/snapshot_date=2026-03-09/part-0.parquet"),
        &d.join("part-0.parquet"),
        109,
    );
    assert_exit(&run_date(&input, &out, "2026-03-09", None), 0);
    assert_eq!(
        newest_manifest(&out, "2026-03-09")["inputs"]["accounts"]["rows_read"],
        218
    );

    // warn (the default level of anomaly checks)
    let o = run_date(&input, &out, DATE, None);
    assert_exit(&o, 0);
    let m = newest_manifest(&out, DATE);
    assert_eq!(m["status"], "success");
    assert_eq!(m["checks"]["baseline"]["snapshot_date"], "2026-03-09");
    let f = finding(&m["checks"], "audits.max_row_count_change", "accounts");
    assert_eq!(
        (&f["outcome"], &f["figure"], &f["limit"]),
        (&"warn".into(), &(-0.5).into(), &0.25.into())
    );
    assert!(
        stderr(&o).contains("rows_read 109 against 218 on 2026-03-09"),
        "{}",
        stderr(&o)
    );
    // mentions 108 against 95 (2026-02-08 … 2026-03-09: +2 rows of 02-08, -15 of 03-10): +13.68 %
    let f = finding(&m["checks"], "audits.max_row_count_change", "mentions");
    assert_eq!(
        (&f["outcome"], &f["figure"]),
        (&"pass".into(), &0.1368.into())
    );

    let before = snapshot_tree(&out);
    let error = config(&base, "error", "[audits]\nrow_count_change = \"error\"\n");
    let o = run_date(&input, &out, DATE, Some(&error));
    assert_failed_untouched(
        &o,
        4,
        "audit failed: table accounts: row_count_change: rows_read 109 against 218 on 2026-03-09",
        &out,
        &before,
    );
    assert!(
        stderr(&o).contains("-50.00 % (outside the band ±25 %)"),
        "{}",
        stderr(&o)
    );
    let m = newest_manifest(&out, DATE);
    assert_eq!(
        (&m["status"], &m["exit_code"]),
        (&"audit_failed".into(), &4.into())
    );
    // the baseline stays the newest successful run of an EARLIER date
    assert_eq!(m["checks"]["baseline"]["snapshot_date"], "2026-03-09");
}

#[test]
fn checks_command_prints_every_result_and_exits_like_a_run() {
    let base = temp_dir("checks-cmd");
    let out = base.join("out");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "checks".to_string(),
            "--date".into(),
            DATE.into(),
            "--input".into(),
            fixtures().display().to_string(),
            "--output".into(),
            out.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let call = |extra: &[&str]| {
        let a = args(extra);
        pulsetier(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let o = call(&[]);
    assert_exit(&o, 0);
    let text = String::from_utf8_lossy(&o.stdout);
    for audit in [
        "unique_account_id",
        "value_rank",
        "nps_range",
        "nps_margin",
        "nps_counts",
        "pulse_counts",
        "pulse_match_rate",
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with("audit ") && l.contains(audit) && l.contains(" pass ")),
            "{audit} not passing in\n{text}"
        );
    }
    assert_eq!(
        text.lines().filter(|l| l.starts_with("threshold ")).count(),
        5,
        "{text}"
    );
    assert!(
        text.contains("no successful run of an earlier date"),
        "{text}"
    );
    assert!(text.ends_with("checks: pass (exit 0)\n"), "{text}");
    assert!(!out.exists(), "checks writes nothing");

    let fresh = config(
        &base,
        "fresh",
        "[checks.mentions.error]\nmax_missing_days = 25\n",
    );
    let o = call(&["--config", fresh.to_str().unwrap(), "--json"]);
    assert_exit(&o, 5);
    let json: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["status"], "error");
    let f = finding(&json, "checks.mentions.error.max_missing_days", "mentions");
    assert_eq!(f["figure"], 26);
    // the transforms and audits still ran
    assert_eq!(
        finding(&json, "audits.value_rank", "customer_tiers")["outcome"],
        "pass"
    );

    let reason = config(
        &base,
        "reason",
        "[quality.surveys.reasons]\nunknown_account = { max_count = 4 }\n",
    );
    let o = call(&["--config", reason.to_str().unwrap()]);
    assert_exit(&o, 4);
    assert!(String::from_utf8_lossy(&o.stdout).ends_with("checks: error (exit 4)\n"));
    assert!(!out.exists(), "checks writes nothing");
}

#[test]
fn rejects_with_run_id_and_a_cap_per_reason() {
    // surveys rejects: null_key, null_value:account_id, null_value:responded_at,
    // null_value:score, invalid_value:score (1 each) and unknown_account (5):
    // one row per reason = 6 rows; the first unknown_account in
    // (source_file, key) order is R-U1 of 2026-03-10/part-0
    let base = temp_dir("checks-rejects");
    let out = base.join("out");
    let cfg = config(
        &base,
        "rejects",
        "[rejects]\nwith_run_id = true\nmax_per_reason = 1\n",
    );
    assert_exit(&run_date(&fixtures(), &out, DATE, Some(&cfg)), 0);
    let m = newest_manifest(&out, DATE);
    assert_eq!(m["inputs"]["surveys"]["rejected"], 10, "counts stay exact");
    assert_eq!(m["outputs"]["_rejects/surveys"]["rows"], 6);
    let batches = read_partition(&out.join(format!("_rejects/surveys/snapshot_date={DATE}")));
    let all = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    assert_eq!(all.num_rows(), 6);
    let schema = all.schema();
    assert_eq!(schema.fields().last().unwrap().name(), "run_id");
    let run_ids = all
        .column(schema.index_of("run_id").unwrap())
        .as_string::<i32>();
    assert!((0..6).all(|i| run_ids.value(i) == m["run_id"].as_str().unwrap()));
    let reasons = all
        .column(schema.index_of("reject_reason").unwrap())
        .as_string::<i32>();
    let ids = all
        .column(schema.index_of("response_id").unwrap())
        .as_string::<i32>();
    let unknown: Vec<_> = (0..6)
        .filter(|i| reasons.value(*i) == "unknown_account")
        .map(|i| ids.value(i))
        .collect();
    assert_eq!(unknown, ["R-U1"]);
}
