//! The commit protocol and determinism (docs/SPEC.md §1): reruns give identical
//! bytes, stale files of an earlier run are removed, other dates are never
//! touched, and `memory://` gives the same rows as local files.

use std::fs;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pulsetier::config::{RunConfig, Settings};
use pulsetier::pipeline;

use crate::common::*;

#[test]
fn rerun_gives_identical_files_and_removes_stale_ones() {
    let out = temp_dir("rerun");
    assert_exit(&run(&fixtures(), &out, &[]), 0);
    let first = snapshot_tree(&out);
    assert!(first
        .iter()
        .any(|(p, _)| p.ends_with("customer_tiers/snapshot_date=2026-03-10/part-00000.parquet")));

    // A stale part file of an "earlier run" and another date's partition.
    let part = out.join(format!("customer_tiers/snapshot_date={DATE}"));
    fs::write(part.join("part-00007.parquet"), b"stale").unwrap();
    let other = out.join("customer_tiers/snapshot_date=2026-03-09");
    fs::create_dir_all(&other).unwrap();
    fs::write(other.join("part-00000.parquet"), b"other date").unwrap();
    fs::write(other.join("_SUCCESS"), b"").unwrap();
    // Leftover staging of a killed run of the same date.
    let leftover = out.join(format!(
        "_staging/snapshot_date={DATE}/killed-run/customer_tiers"
    ));
    fs::create_dir_all(&leftover).unwrap();
    fs::write(leftover.join("part-00000.parquet"), b"half").unwrap();

    assert_exit(&run(&fixtures(), &out, &[]), 0);
    let mut second = snapshot_tree(&out);
    second.retain(|(p, _)| !p.contains("2026-03-09"));
    assert_eq!(
        first, second,
        "same inputs must give byte-identical outputs, stale files gone"
    );
    assert_eq!(
        fs::read(other.join("part-00000.parquet")).unwrap(),
        b"other date"
    );
    assert!(
        !out.join("_staging").exists(),
        "staging is removed after a run"
    );
    assert_eq!(manifests(&out).len(), 2);
}

#[test]
fn manifest_describes_the_run() {
    let out = temp_dir("manifest");
    assert_exit(&run(&fixtures(), &out, &[]), 0);
    let ms = manifests(&out);
    let m = &ms[0];
    assert_eq!(m["manifest_version"], 1);
    assert_eq!(m["status"], "success");
    assert_eq!(m["snapshot_date"], DATE);
    assert_eq!(m["config"]["windows"]["mentions_days"], 30);
    // accounts reads exactly partition D
    assert_eq!(
        m["inputs"]["accounts"]["partitions_read"],
        serde_json::json!([DATE])
    );
    let files = m["inputs"]["accounts"]["files"].as_array().unwrap();
    assert!(files.iter().all(|f| f["path"]
        .as_str()
        .unwrap()
        .contains("snapshot_date=2026-03-10/")));
    assert!(files.iter().all(|f| f["size"].as_u64().unwrap() > 0));
    // mentions never reads the partition before its window
    let mention_parts = m["inputs"]["mentions"]["partitions_read"]
        .as_array()
        .unwrap();
    assert!(!mention_parts.iter().any(|d| d == "2026-02-08"));
    let tiers = &m["outputs"]["customer_tiers"];
    assert_eq!(tiers["committed"], true);
    assert_eq!(tiers["files"][0]["name"], "part-00000.parquet");
    for stage in [
        "list_and_check_files",
        "check_rows",
        "transform",
        "write_staging",
        "publish",
    ] {
        assert!(m["timings_ms"][stage].is_u64(), "timing {stage}");
    }
}

async fn read_memory_partition(
    store: &dyn ObjectStore,
    dir: &str,
) -> Vec<arrow::record_batch::RecordBatch> {
    let mut paths: Vec<ObjPath> = store
        .list(Some(&ObjPath::from(dir)))
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap();
    paths.retain(|p| p.as_ref().ends_with(".parquet"));
    paths.sort();
    let mut batches = Vec::new();
    for p in paths {
        let bytes: Bytes = store.get(&p).await.unwrap().bytes().await.unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .unwrap()
            .build()
            .unwrap();
        batches.extend(reader.map(|b| b.unwrap()));
    }
    batches
}

/// Text of batches without `source_file` (whose scheme differs by store).
fn text_without_source(batches: &[arrow::record_batch::RecordBatch]) -> String {
    let projected: Vec<_> = batches
        .iter()
        .map(|b| match b.schema().index_of("source_file") {
            Ok(i) => {
                let keep: Vec<usize> = (0..b.num_columns()).filter(|c| *c != i).collect();
                b.project(&keep).unwrap()
            }
            Err(_) => b.clone(),
        })
        .collect();
    arrow::util::pretty::pretty_format_batches(&projected)
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_run_matches_local_run() {
    let store = pulsetier::storage::memory_store("it-memory");
    let root = fixtures();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                store
                    .put(
                        &ObjPath::from(format!("in/{rel}")),
                        fs::read(&p).unwrap().into(),
                    )
                    .await
                    .unwrap();
            }
        }
    }
    let settings = Settings {
        input: "memory://it-memory/in".into(),
        output: "memory://it-memory/out".into(),
        ..Settings::default()
    };
    let cfg = RunConfig::new(Some(pulsetier::config::parse_date(DATE).unwrap()), settings).unwrap();
    let report = pipeline::run(&cfg).await.unwrap();
    assert_eq!(report.manifest.outputs["customer_tiers"].rows, 15);

    let local = temp_dir("memory-vs-local");
    assert_exit(&run(&fixtures(), &local, &[]), 0);
    for t in [
        "customer_tiers",
        "nps_aggregates",
        "social_pulse",
        "_rejects/mentions",
    ] {
        let mem =
            read_memory_partition(store.as_ref(), &format!("out/{t}/snapshot_date={DATE}")).await;
        let loc = read_partition(&local.join(t).join(format!("snapshot_date={DATE}")));
        assert!(!mem.is_empty());
        assert_eq!(text_without_source(&mem), text_without_source(&loc), "{t}");
        assert!(store
            .head(&ObjPath::from(format!(
                "out/{t}/snapshot_date={DATE}/_SUCCESS"
            )))
            .await
            .is_ok());
    }
}

fn lock_path(out: &std::path::Path) -> std::path::PathBuf {
    out.join(format!("_locks/snapshot_date={DATE}.lock"))
}

fn write_lock(out: &std::path::Path, pid: u32, age_secs: i64) {
    let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let body = serde_json::json!({
        "run_id": "other-run",
        "host": host.trim(),
        "pid": pid,
        "created_at": chrono_now() - age_secs,
    });
    fs::create_dir_all(out.join("_locks")).unwrap();
    fs::write(lock_path(out), body.to_string()).unwrap();
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn a_live_lock_blocks_a_second_run_of_the_same_date() {
    let out = temp_dir("lock-live");
    assert_exit(&run(&fixtures(), &out, &[]), 0);
    assert!(!out.join("_locks").exists(), "lock released after a run");
    // this test process is alive: its lock is not stale
    write_lock(&out, std::process::id(), 0);
    let before = snapshot_tree(&out);
    let o = run(&fixtures(), &out, &[]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(
        err.contains("another run is publishing this date") && err.contains("other-run"),
        "{err}"
    );
    assert_eq!(snapshot_tree(&out), before);
    assert!(
        lock_path(&out).exists(),
        "someone else's lock is left alone"
    );
}

#[test]
fn stale_locks_are_replaced() {
    let out = temp_dir("lock-stale");
    // a process id that cannot be alive on this host
    write_lock(&out, u32::MAX - 7, 0);
    assert_exit(&run(&fixtures(), &out, &[]), 0);
    // an old lock, even of a live process, is stale after lock_stale_secs
    write_lock(&out, std::process::id(), 7 * 3600);
    assert_exit(&run(&fixtures(), &out, &[]), 0);
    assert!(!lock_path(&out).exists());
}

/// Rows are written in docs/SPEC.md §4 order even when the engine computes an
/// output in many partitions (small batches and several target partitions
/// split a few thousand rows into many pieces). At scale, customer_tiers
/// was once written partition by partition, out of value_rank order.
#[test]
fn outputs_are_written_in_spec_order_whatever_the_partitioning() {
    use arrow::array::{AsArray, Int64Array};
    let root = temp_dir("order");
    let input = root.join("input");
    let out = root.join("out");
    assert_exit(&generate_input(&input, 3_000, 7), 0);
    assert_exit(
        &run(
            &input,
            &out,
            &["--batch-size", "256", "--target-partitions", "4"],
        ),
        0,
    );
    let tiers = read_partition(&out.join(format!("customer_tiers/snapshot_date={DATE}")));
    let ranks: Vec<i64> = tiers
        .iter()
        .flat_map(|b| {
            let i = b.schema().index_of("value_rank").unwrap();
            b.column(i)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .values()
                .to_vec()
        })
        .collect();
    assert!(ranks.len() > 1000, "enough rows to span many batches");
    assert_eq!(ranks, (1..=ranks.len() as i64).collect::<Vec<_>>());
    for t in ["nps_aggregates", "social_pulse"] {
        let batches = read_partition(&out.join(format!("{t}/snapshot_date={DATE}")));
        let keys: Vec<(String, String)> = batches
            .iter()
            .flat_map(|b| {
                let d = b.column(0).as_string::<i32>();
                let v = b.column(1).as_string::<i32>();
                (0..b.num_rows())
                    .map(|r| (d.value(r).to_string(), v.value(r).to_string()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{t} order");
    }
}

/// With `--memory-limit`, intermediate results go to Parquet files in a
/// scratch folder instead of memory (and checks, steps and writes run one at
/// a time). The published files must be byte for byte those of an unlimited
/// run, and the scratch folder must be gone afterwards.
#[test]
fn memory_limited_run_publishes_the_same_files() {
    let root = temp_dir("memlimit");
    let input = root.join("input");
    assert_exit(&generate_input(&input, 2_000, 11), 0);
    let free = root.join("free");
    let limited = root.join("limited");
    let tmp = root.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    assert_exit(&run(&input, &free, &[]), 0);
    let o = binary()
        .args(["run", "--date", DATE, "--memory-limit", "256m"])
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&limited)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_exit(&o, 0);
    for t in PUBLISHED {
        let dir = |root: &std::path::Path| root.join(format!("{t}/snapshot_date={DATE}"));
        assert_eq!(
            snapshot_tree(&dir(&free)),
            snapshot_tree(&dir(&limited)),
            "{t} differs under --memory-limit"
        );
    }
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "scratch left behind: {left:?}");
}
