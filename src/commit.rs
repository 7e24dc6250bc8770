//! The commit protocol of docs/SPEC.md §1. A run writes every file under
//! `<output>/_staging/snapshot_date=D/<run_id>/` first. Publishing one table's
//! partition D then (1) removes its `_SUCCESS`, so from here until step 4 no
//! reader or backfill takes the partition as complete, (2) moves the staged
//! files into place, (3) deletes files of an earlier run that this run did
//! not write, (4) writes `_SUCCESS`. A run killed at any point leaves each
//! partition as it was (with `_SUCCESS`), complete (with `_SUCCESS`), or
//! without `_SUCCESS`; partitions of other dates are never touched. Leftover
//! staging of a killed run for D is removed by the next run for D.

use chrono::NaiveDate;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

use crate::error::{Error, Result};
use crate::output::WrittenFile;
use crate::storage::{partition_path, Location};

/// Name of the completion marker.
pub const SUCCESS: &str = "_SUCCESS";

/// Where one run stages its files.
#[derive(Debug, Clone)]
pub struct Staging {
    /// `<output>/_staging/snapshot_date=D`: every run of D stages below it.
    pub date_dir: Path,
    /// `<date_dir>/<run_id>`: this run's files.
    pub run_dir: Path,
}

impl Staging {
    /// The staging folders of a run.
    pub fn new(out: &Location, date: NaiveDate, run_id: &str) -> Staging {
        let date_dir = partition_path(out, "_staging", date);
        let run_dir = date_dir.clone().join(run_id);
        Staging { date_dir, run_dir }
    }

    /// Where a table's files are staged.
    pub fn table_dir(&self, table: &str) -> Path {
        let mut p = self.run_dir.clone();
        for seg in table.split('/') {
            p = p.join(seg);
        }
        p
    }

    /// Scratch folder of this run (intermediate results an engine cluster
    /// reads back), removed with the rest of the staging.
    pub fn work_dir(&self) -> Path {
        self.run_dir.clone().join("_work")
    }

    /// Remove staging left by earlier (killed) runs of the same date, keeping
    /// this run's own.
    pub async fn clean_leftovers(&self, out: &Location) -> Result<()> {
        let own = self.run_dir.as_ref().to_string() + "/";
        let mut leftover_runs = std::collections::BTreeSet::new();
        for obj in out.list(&self.date_dir).await? {
            if !obj.location.as_ref().starts_with(&own) {
                delete(out, &obj.location).await?;
                let depth = self.date_dir.parts().count();
                if let Some(run) = obj.location.parts().nth(depth) {
                    leftover_runs.insert(self.date_dir.clone().join(run.as_ref()));
                }
            }
        }
        for run in leftover_runs {
            remove_empty_local_dirs(out, &run);
        }
        Ok(())
    }

    /// Remove this run's staging.
    pub async fn remove(&self, out: &Location) -> Result<()> {
        delete_prefix(out, &self.run_dir).await
    }
}

async fn delete_prefix(out: &Location, prefix: &Path) -> Result<()> {
    for obj in out.list(prefix).await? {
        delete(out, &obj.location).await?;
    }
    remove_empty_local_dirs(out, prefix);
    Ok(())
}

/// Local stores keep empty folders after their files are deleted; remove
/// them so the output tree stays clean for tools that list folders.
fn remove_empty_local_dirs(out: &Location, prefix: &Path) {
    if out.store_url.scheme() != "file" {
        return;
    }
    let mut dir = std::path::PathBuf::from("/");
    for part in prefix.parts() {
        dir.push(part.as_ref());
    }
    fn prune(dir: &std::path::Path) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.path().is_dir() {
                    prune(&e.path());
                }
            }
        }
        let _ = std::fs::remove_dir(dir); // fails (and is kept) when not empty
    }
    prune(&dir);
    // then the now-empty `snapshot_date=D` and `_staging` folders above it
    for parent in dir.ancestors().skip(1).take(2) {
        if std::fs::remove_dir(parent).is_err() {
            break;
        }
    }
}

async fn delete(out: &Location, path: &Path) -> Result<()> {
    match out.store.delete(path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(source) => Err(out.storage_err("delete", path)(source)),
    }
}

/// Whether partition D of a table carries `_SUCCESS`.
pub async fn is_committed(out: &Location, table: &str, date: NaiveDate) -> Result<bool> {
    let marker = partition_path(out, table, date).clone().join(SUCCESS);
    match out.store.head(&marker).await {
        Ok(_) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(source) => Err(out.storage_err("head", &marker)(source)),
    }
}

/// Test hook for crash and signal tests: `PULSETIER_TEST_PAUSE_MS` makes
/// the run wait that long once everything is staged and between the steps
/// of every publish, so a signal can land there. Unset (always, in
/// production) it costs nothing.
pub async fn test_pause() {
    static PAUSE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let ms = *PAUSE.get_or_init(|| {
        std::env::var("PULSETIER_TEST_PAUSE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    });
    if ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

/// Publish a staged table into partition D (steps 1–4 above).
pub async fn publish(
    out: &Location,
    staging: &Staging,
    table: &str,
    date: NaiveDate,
    files: &[WrittenFile],
) -> Result<()> {
    let target = partition_path(out, table, date);
    let marker = target.clone().join(SUCCESS);
    delete(out, &marker).await?;
    test_pause().await;
    let source_dir = staging.table_dir(table);
    for f in files {
        let from = source_dir.clone().join(f.name.as_str());
        let to = target.clone().join(f.name.as_str());
        out.store
            .rename(&from, &to)
            .await
            .map_err(|source| Error::Storage {
                op: "rename",
                url: format!("{} -> {}", out.display(&from), out.display(&to)),
                source,
            })?;
        test_pause().await;
    }
    for obj in out.list(&target).await? {
        let keep = obj
            .location
            .filename()
            .is_some_and(|n| files.iter().any(|f| f.name == n));
        if !keep {
            delete(out, &obj.location).await?;
        }
    }
    test_pause().await;
    out.store
        .put(&marker, PutPayload::new())
        .await
        .map_err(out.storage_err("put", &marker))?;
    Ok(())
}

/// A lock on publishing partition D of an output root, so two runs of the
/// same date cannot interleave their commits. It is one object,
/// `<output>/_locks/snapshot_date=D.lock`, created with a conditional put
/// (`PutMode::Create`: `If-None-Match: *` on S3, exclusive create on local
/// files). A lock left by a killed run is stale when its process is gone
/// (same host) or it is older than `lock_stale_secs`; the next run replaces it.
#[derive(Debug)]
pub struct RunLock {
    path: Option<Path>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct LockBody {
    run_id: String,
    host: String,
    pid: u32,
    created_at: i64,
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default()
}

fn is_stale(body: &LockBody, stale_secs: u64) -> bool {
    let age = chrono::Utc::now().timestamp() - body.created_at;
    let proc_dir = std::path::Path::new("/proc");
    let dead_here = body.host == host_name()
        && proc_dir.exists()
        && !proc_dir.join(body.pid.to_string()).exists();
    dead_here || age > stale_secs as i64
}

impl RunLock {
    /// Take the lock of partition D, or fail naming the run that holds it.
    pub async fn acquire(
        out: &Location,
        date: NaiveDate,
        run_id: &str,
        stale_secs: u64,
    ) -> Result<RunLock> {
        let path = out.child(&["_locks", &format!("snapshot_date={date}.lock")]);
        let body = serde_json::to_vec(&LockBody {
            run_id: run_id.into(),
            host: host_name(),
            pid: std::process::id(),
            created_at: chrono::Utc::now().timestamp(),
        })?;
        for attempt in 0..2 {
            let opts = object_store::PutOptions::from(object_store::PutMode::Create);
            match out.store.put_opts(&path, body.clone().into(), opts).await {
                Ok(_) => return Ok(RunLock { path: Some(path) }),
                Err(object_store::Error::NotImplemented { .. }) => {
                    tracing::warn!(url = %out.display(&path), "store has no conditional put: run lock disabled");
                    return Ok(RunLock { path: None });
                }
                Err(object_store::Error::AlreadyExists { .. }) if attempt == 0 => {
                    let held = match out.store.get(&path).await {
                        Ok(r) => r
                            .bytes()
                            .await
                            .ok()
                            .and_then(|b| serde_json::from_slice::<LockBody>(&b).ok()),
                        Err(object_store::Error::NotFound { .. }) => continue,
                        Err(source) => return Err(out.storage_err("get", &path)(source)),
                    };
                    match held {
                        // our own lock: a retried create whose first answer was lost
                        Some(h) if h.run_id == run_id => return Ok(RunLock { path: Some(path) }),
                        Some(h) if !is_stale(&h, stale_secs) => {
                            return Err(Error::Locked {
                                url: out.display(&path),
                                holder: format!("run {} (pid {} on {})", h.run_id, h.pid, h.host),
                            })
                        }
                        _ => {
                            tracing::warn!(url = %out.display(&path), "replacing a stale run lock");
                            delete(out, &path).await?;
                        }
                    }
                }
                Err(object_store::Error::AlreadyExists { .. }) => {
                    return Err(Error::Locked {
                        url: out.display(&path),
                        holder: "another run".into(),
                    })
                }
                Err(source) => return Err(out.storage_err("put", &path)(source)),
            }
        }
        Err(Error::Locked {
            url: out.display(&path),
            holder: "another run".into(),
        })
    }

    /// Release the lock (best effort: a leftover lock goes stale).
    pub async fn release(self, out: &Location) {
        if let Some(path) = &self.path {
            if let Err(e) = delete(out, path).await {
                tracing::warn!(error = %e, "could not release the run lock");
            }
            if out.store_url.scheme() == "file" {
                // the emptied `_locks` folder (kept when another date's lock is inside)
                let dir: std::path::PathBuf = std::iter::once("/".to_string())
                    .chain(
                        out.child(&["_locks"])
                            .parts()
                            .map(|p| p.as_ref().to_string()),
                    )
                    .collect();
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

/// Write a small object (the manifest) in one put.
pub async fn put_bytes(out: &Location, path: &Path, bytes: Vec<u8>) -> Result<()> {
    out.store
        .put(path, bytes.into())
        .await
        .map_err(out.storage_err("put", path))?;
    Ok(())
}
