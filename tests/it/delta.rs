//! `--table-format delta` (issue #9): the outputs as Delta Lake tables,
//! read back with the deltalake crate and compared with the Hive layout.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use deltalake::datafusion::prelude::{col, lit, SessionConfig, SessionContext};
use futures::TryStreamExt;

use crate::common::*;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn table_url(out: &Path, table: &str) -> url::Url {
    url::Url::from_directory_path(out.join(table)).unwrap()
}

async fn open(out: &Path, table: &str, version: Option<u64>) -> deltalake::DeltaTable {
    let mut t = deltalake::open_table(table_url(out, table)).await.unwrap();
    if let Some(v) = version {
        t.load_version(v).await.unwrap();
    }
    t
}

/// Rows of partition `date` of a Delta table (at `version`, default latest)
/// as a Delta reader sees them, as text without `snapshot_date`, plus the
/// type of `snapshot_date`.
async fn delta_rows(
    out: &Path,
    table: &str,
    date: &str,
    version: Option<u64>,
) -> (String, DataType) {
    let t = open(out, table, version).await;
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    t.update_datafusion_session(&ctx.state()).unwrap();
    let provider = t.table_provider().await.unwrap();
    let df = ctx.read_table(provider).unwrap();
    let date_type = df
        .schema()
        .field_with_unqualified_name("snapshot_date")
        .unwrap()
        .data_type()
        .clone();
    let keep: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .filter(|n| n != "snapshot_date")
        .collect();
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let days = (day - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32;
    let batches =
        df.filter(col("snapshot_date").eq(lit(
            deltalake::datafusion::scalar::ScalarValue::Date32(Some(days)),
        )))
        .unwrap()
        .select_columns(&keep.iter().map(String::as_str).collect::<Vec<_>>())
        .unwrap()
        .collect()
        .await
        .unwrap();
    (text(&batches), date_type)
}

fn text(batches: &[RecordBatch]) -> String {
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    format!("{rows} rows\n{}", pretty_format_batches(batches).unwrap())
}

/// Rows of partition `date` of a Hive output, as text.
fn hive_rows(out: &Path, table: &str, date: &str) -> String {
    let batches = read_partition(&out.join(table).join(format!("snapshot_date={date}")));
    text(&batches)
}

/// A paused Delta run of `date` in the background (see `spawn_paused`).
fn spawn(input: &Path, out: &Path, date: &str, pause_ms: u64, extra: &[&str]) -> Child {
    let mut args = vec!["--table-format", "delta"];
    args.extend_from_slice(extra);
    spawn_paused(input, out, date, pause_ms, &args)
}

fn manifest_of(out: &Path, date: &str, run: usize) -> serde_json::Value {
    let dir = out.join("_manifests").join(format!("snapshot_date={date}"));
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    serde_json::from_slice(&std::fs::read(&files[run]).unwrap()).unwrap()
}

#[test]
fn delta_outputs_have_the_hive_rows_and_commit_metadata() {
    let root = temp_dir("delta-rows");
    let (hive, delta) = (root.join("hive"), root.join("delta"));
    assert_exit(&run(&fixtures(), &hive, &[]), 0);
    assert_exit(&run(&fixtures(), &delta, &["--table-format", "delta"]), 0);
    let m = manifest_of(&delta, DATE, 0);
    rt().block_on(async {
        for t in PUBLISHED {
            let (rows, date_type) = delta_rows(&delta, t, DATE, None).await;
            assert_eq!(rows, hive_rows(&hive, t, DATE), "{t}");
            assert_eq!(date_type, DataType::Date32, "{t}");
            assert_eq!(m["outputs"][t]["delta_version"], 0, "{t}");
            assert!(
                delta
                    .join(t)
                    .join("_delta_log/00000000000000000000.json")
                    .exists(),
                "{t}"
            );
            let table = open(&delta, t, None).await;
            let info: Vec<_> = table.history(None).try_collect().await.unwrap();
            let meta = &info[0].info;
            assert_eq!(meta["pulsetier_run_id"], m["run_id"], "{t}: {meta:?}");
            assert_eq!(meta["pulsetier_version"], env!("CARGO_PKG_VERSION"));
            assert_eq!(
                table.snapshot().unwrap().metadata().partition_columns(),
                &vec!["snapshot_date".to_string()]
            );
        }
    });
    // validate of the published date reads the Delta outputs back
    let o = pulsetier(&[
        "validate",
        "--date",
        DATE,
        "--input",
        fixtures().to_str().unwrap(),
        "--output",
        delta.to_str().unwrap(),
        "--table-format",
        "delta",
    ]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for t in ["customer_tiers", "nps_aggregates", "social_pulse"] {
        assert_eq!(v["outputs"][t]["delta_version"], 0, "{t}");
        assert_eq!(v["outputs"][t]["rows"], m["outputs"][t]["rows"], "{t}");
    }
    // the Hive manifest has no delta_version at all
    let hm = manifest_of(&hive, DATE, 0);
    assert!(hm["outputs"]["customer_tiers"]
        .get("delta_version")
        .is_none());
}

#[test]
fn concurrent_dates_and_a_rerun_give_one_version_each() {
    // two days apart, each looking one day back: neither date compares with
    // the other, so the rows do not depend on which commits first
    const D1: &str = "2026-03-08";
    const ALONE: [&str; 2] = ["--movement-lookback-days", "1"];
    let root = temp_dir("delta-concurrent");
    let (hive, delta) = (root.join("hive"), root.join("delta"));
    for d in [D1, DATE] {
        assert_exit(&run_on(&fixtures(), &hive, d, &ALONE), 0);
    }
    let children: Vec<Child> = [D1, DATE]
        .iter()
        .map(|d| spawn(&fixtures(), &delta, d, 0, &ALONE))
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert_exit(&o, 0);
    }
    let rerun_args = ["--table-format", "delta", ALONE[0], ALONE[1]];
    assert_exit(&run_on(&fixtures(), &delta, DATE, &rerun_args), 0);
    let rerun = manifest_of(&delta, DATE, 1);
    rt().block_on(async {
        for t in PUBLISHED {
            let table = open(&delta, t, None).await;
            assert_eq!(table.version(), Some(2), "{t}: two dates + one rerun");
            assert_eq!(rerun["outputs"][t]["delta_version"], 2, "{t}");
            let history: Vec<_> = table.history(None).try_collect().await.unwrap();
            assert_eq!(history.len(), 3, "{t}");
            let dates: Vec<String> = history
                .iter()
                .map(|c| {
                    c.info["pulsetier_snapshot_date"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            assert_eq!(dates[0], DATE, "{t}: newest commit is the rerun");
            let mut first_two = dates[1..].to_vec();
            first_two.sort();
            assert_eq!(first_two, [D1, DATE], "{t}");
            assert_eq!(history[0].info["pulsetier_run_id"], rerun["run_id"]);
            for d in [D1, DATE] {
                let (rows, _) = delta_rows(&delta, t, d, None).await;
                assert_eq!(rows, hive_rows(&hive, t, d), "{t} {d}");
            }
        }
    });
}

/// The previous committed date is found in the Delta log: after a rerun of
/// 2026-03-09 with other weights, the files of its first run are still on
/// disk but no longer in the table; 2026-03-10 compares with the rerun's
/// rows only, exactly as the Hive output of the same runs does.
#[test]
fn delta_history_reads_the_current_files_of_the_previous_date() {
    const D1: &str = "2026-03-09";
    let root = temp_dir("delta-history");
    let (hive, delta) = (root.join("hive"), root.join("delta"));
    let other = root.join("other.toml");
    std::fs::write(&other, "[scoring]\nweight_spend = 0.5\n").unwrap();
    let other_weights = ["--config", other.to_str().unwrap()];
    let delta_arg = ["--table-format", "delta"];
    assert_exit(&run_on(&fixtures(), &delta, D1, &delta_arg), 0);
    let rerun: Vec<&str> = delta_arg.iter().chain(&other_weights).copied().collect();
    assert_exit(&run_on(&fixtures(), &delta, D1, &rerun), 0);
    assert_exit(&run_on(&fixtures(), &delta, DATE, &delta_arg), 0);
    assert_exit(&run_on(&fixtures(), &hive, D1, &other_weights), 0);
    assert_exit(&run_on(&fixtures(), &hive, DATE, &[]), 0);
    let on_disk = std::fs::read_dir(delta.join(format!("customer_tiers/snapshot_date={D1}")))
        .unwrap()
        .count();
    assert_eq!(on_disk, 2, "both runs' files of {D1} are on disk");
    assert_eq!(manifest_of(&delta, DATE, 0)["previous_snapshot_date"], D1);
    rt().block_on(async {
        for t in PUBLISHED {
            let (rows, _) = delta_rows(&delta, t, DATE, None).await;
            assert_eq!(rows, hive_rows(&hive, t, DATE), "{t}");
        }
        let (moves, _) = delta_rows(&delta, "tier_movements", DATE, None).await;
        assert!(moves.starts_with("16 rows"), "{moves}");
    });
}

fn open_version(rt: &tokio::runtime::Runtime, out: &Path, table: &str) -> u64 {
    rt.block_on(open(out, table, None)).version().unwrap()
}

#[test]
fn sigkill_leaves_each_table_at_a_committed_version() {
    let root = temp_dir("delta-kill");
    let (old_h, new_h, delta) = (root.join("old"), root.join("new"), root.join("delta"));
    // the killed runs use other settings, so old and new rows differ
    let new_config = root.join("new.toml");
    std::fs::write(&new_config, "[scoring]\nweight_spend = 0.5\n").unwrap();
    let new_args = [
        "--config",
        new_config.to_str().unwrap(),
        "--min-responses",
        "1",
    ];
    assert_exit(&run(&fixtures(), &old_h, &[]), 0);
    assert_exit(&run(&fixtures(), &new_h, &new_args), 0);
    assert_exit(&run(&fixtures(), &delta, &["--table-format", "delta"]), 0);
    let rt = rt();
    let pause = 400u64;
    let mut saw_old_after_kill = false;
    let mut saw_new_after_kill = false;
    // kill (1) after staging, before any commit; (2) right after the
    // commit of customer_tiers, before those of nps_aggregates and social_pulse
    for kill_after_commit in [false, true] {
        let mut child = spawn(&fixtures(), &delta, DATE, pause, &new_args);
        let staging = delta.join(format!("_staging/snapshot_date={DATE}"));
        let next_commit = delta.join("customer_tiers/_delta_log").join(format!(
            "{:020}.json",
            open_version(&rt, &delta, "customer_tiers") + 1
        ));
        let start = Instant::now();
        loop {
            let ready = if kill_after_commit {
                next_commit.exists()
            } else {
                std::fs::read_dir(&staging)
                    .ok()
                    .and_then(|mut r| r.next())
                    .and_then(|r| r.ok())
                    .is_some_and(|r| r.path().join("social_pulse/part-00000.parquet").exists())
            };
            if ready {
                break;
            }
            assert!(child.try_wait().unwrap().is_none(), "run ended early");
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "never got there"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let delay = if kill_after_commit { 0 } else { pause / 2 };
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if kill_after_commit {
            // each table is at a committed version; they need not agree
            assert_eq!(open_version(&rt, &delta, "customer_tiers"), 1);
            assert_eq!(open_version(&rt, &delta, "social_pulse"), 0);
        }
        rt.block_on(async {
            for t in PUBLISHED {
                let table = open(&delta, t, None).await;
                let (rows, _) = delta_rows(&delta, t, DATE, None).await;
                let old = hive_rows(&old_h, t, DATE);
                let new = hive_rows(&new_h, t, DATE);
                if table.version() == Some(0) {
                    assert_eq!(rows, old, "{t} at version 0 after kill {kill_after_commit}");
                    saw_old_after_kill |= old != new;
                } else {
                    assert_eq!(rows, new, "{t} at {:?}", table.version());
                    saw_new_after_kill |= old != new;
                }
            }
        });
    }
    assert!(saw_old_after_kill, "no kill landed before a commit");
    assert!(saw_new_after_kill, "no kill landed after a commit");
    // a later run of D completes over whatever the kills left
    assert_exit(&run(&fixtures(), &delta, &["--table-format", "delta"]), 0);
    rt.block_on(async {
        for t in PUBLISHED {
            let (rows, _) = delta_rows(&delta, t, DATE, None).await;
            assert_eq!(rows, hive_rows(&old_h, t, DATE), "{t} after the final run");
        }
    });
}
