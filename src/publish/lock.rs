//! One run at a time publishes a date of an output root.

use chrono::NaiveDate;
use object_store::path::Path;
use object_store::ObjectStoreExt;

use crate::error::{Error, Result};
use crate::storage::Location;

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
                            out.delete(&path).await?;
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
            if let Err(e) = out.delete(path).await {
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
