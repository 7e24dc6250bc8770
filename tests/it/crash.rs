//! Crash safety (issue #5): a `pulsetier run` killed with SIGKILL at many
//! points over the whole run, the commit included, leaves every output
//! partition of D either as it was (with `_SUCCESS`), complete from the new
//! run (with `_SUCCESS`), or without `_SUCCESS`; other dates are never
//! touched; the next run cleans up and succeeds. SIGTERM / SIGINT stop a
//! run cleanly: staging removed, nothing published, exit 143 / 130.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::common::*;

/// Data files (name → bytes; hidden `_`/`.` names left out, as readers do)
/// of partition D of a table, and whether it has `_SUCCESS`.
fn partition_state(out: &Path, table: &str) -> (BTreeMap<String, Vec<u8>>, bool) {
    let dir = out.join(table).join(format!("snapshot_date={DATE}"));
    let mut files = BTreeMap::new();
    let mut success = false;
    if let Ok(entries) = fs::read_dir(&dir) {
        for e in entries {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name == "_SUCCESS" {
                success = true;
            } else if !name.starts_with(['_', '.']) {
                // hidden names are not data to any reader (docs/SPEC.md §1):
                // a SIGKILL during a local put can leave object_store's
                // temporary `_SUCCESS#1` behind, which no reader sees
                files.insert(name, fs::read(&p).unwrap());
            }
        }
    }
    (files, success)
}

/// The published state of every table after a complete run.
fn states(out: &Path) -> BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> {
    PUBLISHED
        .iter()
        .map(|t| {
            let (files, ok) = partition_state(out, t);
            assert!(ok, "{t} not committed");
            (*t, files)
        })
        .collect()
}

#[test]
fn sigkill_anywhere_leaves_old_new_or_uncommitted() {
    let base = temp_dir("crash");
    let input = fixtures();
    // "new": what the killed runs would publish
    let new_out = base.join("new");
    assert_exit(&run(&input, &new_out, &[]), 0);
    let new = states(&new_out);
    // "old": an earlier, different publication of the same date
    let out = base.join("out");
    assert_exit(
        &run(&input, &out, &["--mentions-days", "20", "--nps-days", "60"]),
        0,
    );
    let old = states(&out);
    assert_ne!(
        old["customer_tiers"], new["customer_tiers"],
        "old and new must differ"
    );
    let other = out.join("customer_tiers/snapshot_date=2026-03-09");
    fs::create_dir_all(&other).unwrap();
    fs::write(other.join("part-00000.parquet"), b"another date").unwrap();
    fs::write(other.join("_SUCCESS"), b"").unwrap();

    let mut saw_uncommitted = false;
    let mut saw_new = false;
    let mut check = |when: &str| {
        for t in PUBLISHED {
            let (files, ok) = partition_state(&out, t);
            if ok {
                let is_new = files == new[t];
                assert!(
                    files == old[t] || is_new,
                    "{t} after a kill {when}: committed but neither old nor new"
                );
                saw_new |= is_new && old[t] != new[t];
            } else {
                saw_uncommitted = true;
            }
        }
        assert_eq!(
            fs::read(other.join("part-00000.parquet")).unwrap(),
            b"another date"
        );
        assert!(other.join("_SUCCESS").exists());
    };
    // Kills while listing, checking, transforming and staging: fixed delays
    // after the start.
    for delay in [0u64, 60, 150, 250, 400, 600] {
        let mut child = spawn_paused(&input, &out, DATE, 40, &[]);
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        check(&format!("{delay} ms after the start"));
    }
    // Kills while publishing: delays after the moment everything is staged
    // (the pause hook makes each publish step take 40 ms), so they land in
    // the commit however loaded the machine is.
    for offset in (0u64..=1500).step_by(100) {
        let _ = fs::remove_dir_all(out.join("_staging")); // see this run's staging only
        let mut child = spawn_paused(&input, &out, DATE, 40, &[]);
        wait_for_staging(&out, &mut child);
        std::thread::sleep(Duration::from_millis(offset));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        check(&format!("{offset} ms into the commit"));
    }
    assert!(
        saw_uncommitted,
        "no kill landed inside a publish: the test did not test the commit"
    );
    assert!(
        saw_new,
        "no kill landed after a publish: the test did not cover the whole run"
    );

    // the next run cleans up and succeeds
    assert_exit(&run(&input, &out, &[]), 0);
    assert_eq!(states(&out), new);
    assert!(!out.join("_staging").exists(), "leftover staging removed");
}

/// Wait until the run is in its pause after staging: every table's part
/// file is in place under its final name (the tables are written at the
/// same time, so one file there says nothing of the others, and a signal
/// landing mid-write would test another point).
fn wait_for_staging(out: &Path, child: &mut Child) -> PathBuf {
    let staging = out.join(format!("_staging/snapshot_date={DATE}"));
    let start = Instant::now();
    loop {
        if let Ok(mut runs) = fs::read_dir(&staging) {
            if let Some(Ok(run)) = runs.next() {
                let all_staged = PUBLISHED
                    .iter()
                    .all(|t| run.path().join(t).join("part-00000.parquet").exists());
                if all_staged {
                    return staging;
                }
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "run ended before staging was complete"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "staging never completed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal_stops_cleanly(signal: &str, code: i32) {
    let base = temp_dir(&format!("signal-{signal}"));
    let out = base.join("out");
    assert_exit(&run(&fixtures(), &out, &["--mentions-days", "20"]), 0);
    let before = snapshot_tree(&out);
    let lineage = base.join("lineage.jsonl");
    let mut child = spawn_paused(
        &fixtures(),
        &out,
        DATE,
        30_000,
        &["--lineage-file", lineage.to_str().unwrap()],
    );
    let staging = wait_for_staging(&out, &mut child);
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(
        err.contains(&format!("interrupted by SIG{signal}")),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!staging.exists(), "staging removed");
    assert_eq!(snapshot_tree(&out), before, "nothing published");
    // the lineage of the stopped run: START, then ABORT with the reason
    let events: Vec<serde_json::Value> = fs::read_to_string(&lineage)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["START", "ABORT"]);
    assert_eq!(events[0]["run"]["runId"], events[1]["run"]["runId"]);
    let message = events[1]["run"]["facets"]["errorMessage"]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains(&format!("interrupted by SIG{signal}")),
        "{message}"
    );
}

#[test]
fn sigterm_stops_cleanly() {
    signal_stops_cleanly("TERM", 143);
}

#[test]
fn sigint_stops_cleanly() {
    signal_stops_cleanly("INT", 130);
}
