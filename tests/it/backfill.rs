//! `pulsetier backfill` (issue 6): a broken date fails alone and names
//! itself, reruns run only what is missing, `--force` reruns everything,
//! concurrency does not change a byte, and SIGINT leaves finished dates
//! committed, nothing half-published, and a backfill that resumes.
//!
//! The fixtures hold accounts snapshots 2026-03-08 … 2026-03-10; each test
//! copies them and adds 2026-03-07 (a copy of 2026-03-09, whose signup dates
//! are all before 2026-03-07), so a range has four snapshots.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

use crate::common::*;

const FROM: &str = "2026-03-07";
const TO: &str = "2026-03-10";
const DATES: [&str; 4] = ["2026-03-07", "2026-03-08", "2026-03-09", "2026-03-10"];

/// A copy of the fixtures with a fourth accounts snapshot, 2026-03-07.
fn four_snapshots(name: &str) -> PathBuf {
    let input = fixture_copy(name);
    let accounts = input.join("accounts");
    copy_dir(
        &accounts.join("snapshot_date=2026-03-09"),
        &accounts.join("snapshot_date=2026-03-07"),
    );
    input
}

/// Add a file to one date's accounts partition whose `monthly_spend` is a
/// string (the other columns as in that date's `part-0.parquet`): a contract
/// violation, exit 3. Returns the file, so a test can "fix" the delivery.
fn break_accounts(input: &Path, date: &str) -> PathBuf {
    let dir = input.join(format!("accounts/snapshot_date={date}"));
    let reader = ParquetRecordBatchReaderBuilder::try_new(
        fs::File::open(dir.join("part-0.parquet")).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let schema = batches[0].schema();
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.name().as_str() {
            "monthly_spend" => Field::new(f.name(), DataType::Utf8, true),
            _ => f.as_ref().clone(),
        })
        .collect();
    let target = Arc::new(Schema::new(fields));
    let bad = dir.join("part-9.parquet");
    let mut w =
        ArrowWriter::try_new(fs::File::create(&bad).unwrap(), target.clone(), None).unwrap();
    for b in &batches {
        let cols = b
            .columns()
            .iter()
            .zip(target.fields())
            .map(|(c, f)| arrow::compute::cast(c, f.data_type()).unwrap())
            .collect();
        w.write(&RecordBatch::try_new(target.clone(), cols).unwrap())
            .unwrap();
    }
    w.close().unwrap();
    bad
}

fn backfill(input: &Path, output: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "backfill",
        "--from",
        FROM,
        "--to",
        TO,
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    pulsetier(&args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The status column of each date's line of the text summary.
fn statuses(o: &Output) -> BTreeMap<String, String> {
    stdout(o)
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let date = words.next()?;
            DATES
                .contains(&date)
                .then(|| (date.to_string(), words.next().unwrap_or("").to_string()))
        })
        .collect()
}

fn all(status: &str) -> BTreeMap<String, String> {
    DATES
        .iter()
        .map(|d| (d.to_string(), status.to_string()))
        .collect()
}

/// How many manifests each date has (dates without any are absent).
fn manifest_counts(out: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let Ok(dirs) = fs::read_dir(out.join("_manifests")) else {
        return counts;
    };
    for dir in dirs {
        let dir = dir.unwrap().path();
        let date = dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace("snapshot_date=", "");
        let n = fs::read_dir(&dir)
            .map(|files| {
                files
                    .filter(|f| {
                        f.as_ref()
                            .is_ok_and(|f| f.path().extension().is_some_and(|e| e == "json"))
                    })
                    .count()
            })
            .unwrap_or(0);
        if n > 0 {
            counts.insert(date, n);
        }
    }
    counts
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(d, n)| (d.to_string(), *n)).collect()
}

fn partition(out: &Path, table: &str, date: &str) -> PathBuf {
    out.join(table).join(format!("snapshot_date={date}"))
}

fn parquet_files(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "parquet"))
            })
            .count()
        })
        .unwrap_or(0)
}

/// Every table's partition of every date either carries `_SUCCESS` or
/// holds no data file: nothing is half-published.
fn assert_nothing_half_published(out: &Path) {
    for date in DATES {
        for table in PUBLISHED {
            let dir = partition(out, table, date);
            assert!(
                dir.join("_SUCCESS").exists() || parquet_files(&dir) == 0,
                "{table} {date} has data files without _SUCCESS"
            );
        }
    }
}

/// Date D is fully committed: every table has `_SUCCESS` and data, and the
/// newest manifest says success.
fn assert_committed(out: &Path, date: &str) {
    for table in PUBLISHED {
        let dir = partition(out, table, date);
        assert!(
            dir.join("_SUCCESS").exists(),
            "{table} {date} lacks _SUCCESS"
        );
    }
    for table in OUTPUTS {
        assert!(
            parquet_files(&partition(out, table, date)) > 0,
            "{table} {date} has no data"
        );
    }
    let dir = out.join(format!("_manifests/snapshot_date={date}"));
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let newest: serde_json::Value =
        serde_json::from_slice(&fs::read(files.last().unwrap()).unwrap()).unwrap();
    assert_eq!(newest["status"], "success", "{date}");
}

/// Every date of the backfill sent START then its end event under one run
/// id: FAIL naming the broken column for `failed` (which stopped before it
/// read anything, so without datasets), COMPLETE with the four inputs for
/// the others.
fn assert_lineage_per_date(lineage: &Path, failed: &str) {
    let mut runs: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for line in fs::read_to_string(lineage).unwrap().lines() {
        let ev: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = ev["run"]["runId"].as_str().unwrap().to_string();
        runs.entry(id).or_default().push(ev);
    }
    let mut dates = BTreeMap::new();
    for events in runs.values() {
        let kinds: Vec<&str> = events
            .iter()
            .map(|e| e["eventType"].as_str().unwrap())
            .collect();
        let end = &events[1];
        let nominal = end["run"]["facets"]["nominalTime"]["nominalStartTime"]
            .as_str()
            .unwrap();
        let date = nominal[..10].to_string();
        if date == failed {
            assert_eq!(kinds, ["START", "FAIL"]);
            let message = end["run"]["facets"]["errorMessage"]["message"]
                .as_str()
                .unwrap();
            assert!(message.contains("column monthly_spend"), "{message}");
            assert_eq!(end["inputs"], serde_json::json!([]));
        } else {
            assert_eq!(kinds, ["START", "COMPLETE"], "{date}");
            // the five input tables
            assert_eq!(end["inputs"].as_array().unwrap().len(), 5, "{date}");
        }
        dates.insert(date, kinds.len());
    }
    assert_eq!(
        dates.keys().collect::<Vec<_>>(),
        DATES.iter().collect::<Vec<_>>()
    );
}

#[test]
fn broken_date_fails_alone_then_reruns_run_only_what_is_missing() {
    let input = four_snapshots("bf-resume");
    let bad = break_accounts(&input, "2026-03-09");
    let base = temp_dir("bf-resume");
    let out = base.join("out");
    let json = base.join("summary.json");
    let lineage = base.join("lineage.jsonl");

    // 1. The broken date fails alone; the others publish.
    let o = backfill(
        &input,
        &out,
        &[
            "--concurrency",
            "2",
            "--summary-json",
            json.to_str().unwrap(),
            "--lineage-file",
            lineage.to_str().unwrap(),
        ],
    );
    assert_exit(&o, 3);
    assert_lineage_per_date(&lineage, "2026-03-09");
    let text = stdout(&o);
    let mut expected = all("ok");
    expected.insert("2026-03-09".into(), "failed".into());
    assert_eq!(statuses(&o), expected, "{text}");
    let line = text.lines().find(|l| l.starts_with("2026-03-09")).unwrap();
    assert!(
        line.contains("table accounts")
            && line.contains("part-9.parquet")
            && line.contains("column monthly_spend"),
        "{line}"
    );
    assert!(
        text.contains("total: 4 dates: 3 ok, 0 skipped, 1 failed, 0 interrupted, 0 not run;")
            && text.trim_end().ends_with("exit code 3"),
        "{text}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    assert_eq!(summary["exit_code"], 3);
    assert_eq!(summary["totals"]["ok"], 3);
    assert_eq!(summary["totals"]["failed"], 1);
    let dates = summary["dates"].as_array().unwrap();
    assert_eq!(
        dates
            .iter()
            .map(|d| d["snapshot_date"].as_str().unwrap())
            .collect::<Vec<_>>(),
        DATES
    );
    assert_eq!(dates[2]["status"], "failed");
    assert_eq!(dates[2]["exit_code"], 3);
    assert!(dates[2]["error"]
        .as_str()
        .unwrap()
        .contains("monthly_spend"));
    assert_eq!(dates[3]["status"], "ok");
    assert_eq!(dates[3]["customer_tiers_rows"], 15); // the fixture's 2026-03-10
    assert!(dates[3]["rejects"].as_u64().unwrap() > 0);
    assert!(dates[3]["run_id"].is_string());
    assert_eq!(
        manifest_counts(&out),
        counts(&[("2026-03-07", 1), ("2026-03-08", 1), ("2026-03-10", 1)])
    );
    for date in ["2026-03-07", "2026-03-08", "2026-03-10"] {
        assert_committed(&out, date);
    }
    for table in PUBLISHED {
        assert!(!partition(&out, table, "2026-03-09").exists(), "{table}");
    }
    assert_nothing_half_published(&out);

    // 2. After the fix, only the failed date runs.
    fs::remove_file(&bad).unwrap();
    let o = backfill(&input, &out, &["--concurrency", "2"]);
    assert_exit(&o, 0);
    let mut expected = all("skipped");
    expected.insert("2026-03-09".into(), "ok".into());
    assert_eq!(statuses(&o), expected, "{}", stdout(&o));
    assert_eq!(
        manifest_counts(&out),
        counts(&[
            ("2026-03-07", 1),
            ("2026-03-08", 1),
            ("2026-03-09", 1),
            ("2026-03-10", 1)
        ])
    );
    assert_committed(&out, "2026-03-09");

    // 3. Everything committed: nothing runs, nothing is written.
    let before = snapshot_tree(&out);
    let o = backfill(&input, &out, &["--concurrency", "2"]);
    assert_exit(&o, 0);
    assert_eq!(statuses(&o), all("skipped"), "{}", stdout(&o));
    assert_eq!(manifest_counts(&out), counts(&DATES.map(|d| (d, 1))));
    assert!(
        before == snapshot_tree(&out),
        "a skipped date must write nothing"
    );

    // 4. --force reruns every date: the same files, except that 2026-03-10,
    // run while 2026-03-09 was broken, compared with 2026-03-08 and now
    // compares with 2026-03-09 (its tier_movements and tier_migration).
    let chained = |p: &str| {
        (p.starts_with("tier_movements/") || p.starts_with("tier_migration/"))
            && p.contains("snapshot_date=2026-03-10/part-")
    };
    assert!(previous_dates(&out, "2026-03-10")
        .iter()
        .all(|d| d.as_deref() == Some("2026-03-08")));
    let o = backfill(&input, &out, &["--concurrency", "2", "--force"]);
    assert_exit(&o, 0);
    assert_eq!(statuses(&o), all("ok"), "{}", stdout(&o));
    assert_eq!(manifest_counts(&out), counts(&DATES.map(|d| (d, 2))));
    assert!(previous_dates(&out, "2026-03-10")
        .iter()
        .all(|d| d.as_deref() == Some("2026-03-09")));
    let after = snapshot_tree(&out);
    assert_eq!(before.len(), after.len());
    for ((pb, bb), (pa, ba)) in before.iter().zip(&after) {
        assert_eq!(pb, pa);
        assert_eq!(bb == ba, !chained(pb), "{pb}: a rerun gives the same files");
    }
}

#[test]
fn concurrency_three_gives_the_same_files_as_one() {
    let input = four_snapshots("bf-concurrency");
    let base = temp_dir("bf-concurrency");
    let (one, three) = (base.join("one"), base.join("three"));
    assert_exit(&backfill(&input, &one, &["--concurrency", "1"]), 0);
    let o = backfill(
        &input,
        &three,
        &["--concurrency", "3", "--memory-limit", "512m"],
    );
    assert_exit(&o, 0);
    assert_eq!(statuses(&o), all("ok"));
    let (a, b) = (snapshot_tree(&one), snapshot_tree(&three));
    for date in DATES {
        for table in PUBLISHED {
            let file = format!("{table}/snapshot_date={date}/part-00000.parquet");
            assert!(a.iter().any(|(p, _)| *p == file), "{file}");
        }
    }
    assert_eq!(a.len(), b.len());
    for ((pa, ba), (pb, bb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{pa} differs between --concurrency 1 and 3");
    }
}

/// `previous_snapshot_date` of every row of a date's `tier_movements`.
fn previous_dates(out: &Path, date: &str) -> Vec<Option<String>> {
    use arrow::array::{Array, AsArray};
    let mut dates = Vec::new();
    for b in read_partition(&partition(out, "tier_movements", date)) {
        let col = b
            .column_by_name("previous_snapshot_date")
            .unwrap()
            .as_primitive::<arrow::datatypes::Date32Type>();
        for i in 0..col.len() {
            dates.push(
                col.value_as_date(i)
                    .filter(|_| col.is_valid(i))
                    .map(|d| d.to_string()),
            );
        }
    }
    dates
}

#[test]
fn backfill_gives_the_tier_movements_of_runs_one_date_at_a_time() {
    let input = four_snapshots("bf-movements");
    let base = temp_dir("bf-movements");
    let (backfilled, by_date) = (base.join("backfilled"), base.join("by-date"));
    // two at a time: without waiting, 2026-03-08 would run beside 2026-03-07
    // and find no committed previous date
    let o = backfill(&input, &backfilled, &["--concurrency", "2"]);
    assert_exit(&o, 0);
    assert_eq!(statuses(&o), all("ok"));
    for date in DATES {
        assert_exit(&run_on(&input, &by_date, date, &[]), 0);
    }
    // each date compared with the one before it (the first with none)
    for (i, date) in DATES.iter().enumerate() {
        let want = (i > 0).then(|| DATES[i - 1].to_string());
        let got = previous_dates(&backfilled, date);
        assert!(
            !got.is_empty() && got.iter().all(|d| *d == want),
            "{date}: {got:?}"
        );
    }
    let (a, b) = (snapshot_tree(&backfilled), snapshot_tree(&by_date));
    assert_eq!(
        a.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        b.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for ((pa, ba), (_, bb)) in a.iter().zip(&b) {
        assert!(
            ba == bb,
            "{pa} differs between the backfill and date-by-date runs"
        );
    }
}

#[test]
fn fail_fast_newest_first_starts_nothing_after_the_first_failure() {
    let input = four_snapshots("bf-fail-fast");
    break_accounts(&input, "2026-03-10");
    let base = temp_dir("bf-fail-fast");
    let out = base.join("out");
    let o = backfill(&input, &out, &["--newest-first", "--fail-fast"]);
    assert_exit(&o, 3);
    // newest first: 2026-03-10 ran first, failed, and nothing else started
    let mut expected = all("not_run");
    expected.insert("2026-03-10".into(), "failed".into());
    assert_eq!(statuses(&o), expected, "{}", stdout(&o));
    assert!(manifest_counts(&out).is_empty());
}

#[test]
fn bad_range_or_concurrency_is_a_usage_error() {
    let out = temp_dir("bf-usage");
    let o = binary()
        .args(["backfill", "--output", out.to_str().unwrap()])
        .env("PULSETIER_FROM", "2026-03-10")
        .env("PULSETIER_TO", "2026-03-09")
        .output()
        .unwrap();
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("--from 2026-03-10 is after --to 2026-03-09"),
        "{}",
        stderr(&o)
    );
    let o = backfill(&fixtures(), &out, &["--concurrency", "0"]);
    assert_exit(&o, 2);
    let o = pulsetier(&["backfill", "--from", "2026-03-10"]);
    assert_exit(&o, 2); // --to is required
    assert!(manifest_counts(&out).is_empty());
}

#[test]
fn sigint_keeps_finished_dates_committed_and_the_next_backfill_resumes() {
    let input = four_snapshots("bf-sigint");
    let base = temp_dir("bf-sigint");
    let out = base.join("out");
    // One date at a time, each slowed by the test pause hook (after staging
    // and between publish steps), so the signal lands mid-backfill.
    let child = binary()
        .args([
            "backfill",
            "--from",
            FROM,
            "--to",
            TO,
            "--input",
            input.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ])
        .env("PULSETIER_TEST_PAUSE_MS", "50")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = child;
    let deadline = Instant::now() + Duration::from_secs(120);
    while manifest_counts(&out).is_empty() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("backfill ended ({status}) before any date was committed");
        }
        assert!(Instant::now() < deadline, "no date committed within 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    assert_exit(&o, 130);

    let done = manifest_counts(&out);
    let st = statuses(&o);
    assert_eq!(st.len(), 4, "{}", stdout(&o));
    assert!(
        st.values().any(|s| s == "interrupted" || s == "not_run"),
        "{}",
        stdout(&o)
    );
    for (date, status) in &st {
        if status == "ok" {
            assert_eq!(done.get(date), Some(&1), "{date}");
        } else {
            assert!(!done.contains_key(date), "{date} {status} wrote a manifest");
        }
    }
    for date in done.keys() {
        assert_committed(&out, date);
    }
    assert_nothing_half_published(&out);

    // The same command resumes: only the dates not done run.
    let o = backfill(&input, &out, &["--concurrency", "3"]);
    assert_exit(&o, 0);
    for (date, status) in statuses(&o) {
        let expected = if done.contains_key(&date) {
            "skipped"
        } else {
            "ok"
        };
        assert_eq!(status, expected, "{date}\n{}", stdout(&o));
    }
    assert_eq!(manifest_counts(&out), counts(&DATES.map(|d| (d, 1))));
    for date in DATES {
        assert_committed(&out, date);
    }
}
