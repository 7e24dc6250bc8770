//! URLs → object stores. Every input and output location is a URL (a local
//! path, `file://`, `memory://`, and the cloud schemes object_store knows);
//! this module turns one into a store plus a prefix, registers the store with
//! DataFusion, lists exactly the Hive partitions a run needs, and redacts
//! secrets from URLs before they reach a log line, an error or the manifest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore};
use url::Url;

use crate::error::{Error, Result};

/// A root location: a store and the prefix inside it.
#[derive(Debug, Clone)]
pub struct Location {
    /// The store holding the location.
    pub store: Arc<dyn ObjectStore>,
    /// The URL of the store's root (scheme + authority), as DataFusion knows it.
    pub store_url: Url,
    /// The prefix of the location inside the store.
    pub prefix: Path,
}

/// One file of an input partition, as listed.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Partition date.
    pub snapshot_date: NaiveDate,
    /// Path inside the store.
    pub path: Path,
    /// Full URL (what `source_file` holds).
    pub url: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time.
    pub last_modified: DateTime<Utc>,
}

fn memory_stores() -> &'static Mutex<HashMap<String, Arc<InMemory>>> {
    static STORES: OnceLock<Mutex<HashMap<String, Arc<InMemory>>>> = OnceLock::new();
    STORES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The process-wide in-memory store behind `memory://<name>/`, shared by
/// every location that names it (so a test can fill it and a run can read it).
pub fn memory_store(name: &str) -> Arc<InMemory> {
    let mut map = match memory_stores().lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    map.entry(name.to_string())
        .or_insert_with(|| Arc::new(InMemory::new()))
        .clone()
}

/// Turn a location string into a URL; bare paths become absolute `file://` URLs.
pub fn to_url(text: &str) -> Result<Url> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Usage("empty location".into()));
    }
    if text.contains("://") {
        return Url::parse(text)
            .map_err(|e| Error::Usage(format!("invalid URL {}: {e}", redact(text))));
    }
    let abs =
        std::path::absolute(text).map_err(|e| Error::Usage(format!("invalid path {text}: {e}")))?;
    Url::from_directory_path(&abs)
        .map_err(|_| Error::Usage(format!("invalid path {}", abs.display())))
}

impl Location {
    /// Open a location from a URL or path. `options` are the `[storage]`
    /// settings of the config; credentials otherwise come from the environment.
    pub fn open(text: &str, options: &HashMap<String, String>) -> Result<Location> {
        let url = to_url(text)?;
        let store_url = Url::parse(&format!("{}://{}", url.scheme(), url.authority()))
            .map_err(|e| Error::Usage(format!("invalid URL {}: {e}", redact(text))))?;
        let prefix = Path::from_url_path(url.path())
            .map_err(|e| Error::Usage(format!("invalid path in {}: {e}", redact(text))))?;
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            "file" => Arc::new(object_store::local::LocalFileSystem::new()),
            "memory" => memory_store(url.authority()),
            _ => {
                let (store, _) =
                    object_store::parse_url_opts(&url, options.iter()).map_err(|e| {
                        Error::Usage(format!("unsupported location {}: {e}", redact(text)))
                    })?;
                Arc::from(store)
            }
        };
        Ok(Location {
            store,
            store_url,
            prefix,
        })
    }

    /// Make the store known to DataFusion so SQL scans can read its URLs.
    pub fn register(&self, ctx: &SessionContext) {
        if self.store_url.scheme() != "file" {
            ctx.register_object_store(&self.store_url, self.store.clone());
        }
    }

    /// A child path of the prefix, from `/`-separated parts.
    pub fn child(&self, parts: &[&str]) -> Path {
        let mut p = self.prefix.clone();
        for part in parts {
            for seg in part.split('/').filter(|s| !s.is_empty()) {
                p = p.join(seg);
            }
        }
        p
    }

    /// The full URL of a path in this store.
    pub fn url_of(&self, path: &Path) -> String {
        format!(
            "{}://{}/{}",
            self.store_url.scheme(),
            self.store_url.authority(),
            path
        )
    }

    /// The redacted URL of a path, for messages.
    pub fn display(&self, path: &Path) -> String {
        redact(&self.url_of(path))
    }

    /// List every object under a prefix (recursive), sorted by path.
    pub async fn list(&self, prefix: &Path) -> Result<Vec<ObjectMeta>> {
        let mut items: Vec<ObjectMeta> = self
            .store
            .list(Some(prefix))
            .try_collect()
            .await
            .map_err(|source| Error::Storage {
                op: "list",
                url: self.display(prefix),
                source,
            })?;
        items.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(items)
    }

    /// List the data files of one Hive partition `<table>/snapshot_date=D/`.
    /// Returns `None` when the partition holds no object at all (missing),
    /// otherwise its files minus those whose name (or a folder below the
    /// partition) starts with `_` or `.`.
    pub async fn list_partition(
        &self,
        table: &str,
        date: NaiveDate,
    ) -> Result<Option<Vec<InputFile>>> {
        let part = partition_path(self, table, date);
        let objects = self.list(&part).await?;
        if objects.is_empty() {
            return Ok(None);
        }
        let depth = part.parts().count();
        let files = objects
            .into_iter()
            .filter(|o| {
                o.location
                    .parts()
                    .skip(depth)
                    .all(|seg| !(seg.as_ref().starts_with('_') || seg.as_ref().starts_with('.')))
            })
            .map(|o| InputFile {
                snapshot_date: date,
                url: self.url_of(&o.location),
                path: o.location,
                size: o.size,
                last_modified: o.last_modified,
            })
            .collect();
        Ok(Some(files))
    }

    /// The newest `snapshot_date=` partition of a table (for runs without `--date`).
    pub async fn newest_partition(&self, table: &str) -> Result<Option<NaiveDate>> {
        let dir = self.child(&[table]);
        let listing = self
            .store
            .list_with_delimiter(Some(&dir))
            .await
            .map_err(|source| Error::Storage {
                op: "list",
                url: self.display(&dir),
                source,
            })?;
        Ok(listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename())
            .filter_map(|name| name.strip_prefix("snapshot_date="))
            .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .max())
    }
}

/// `<root>/<table>/snapshot_date=D`.
pub fn partition_path(loc: &Location, table: &str, date: NaiveDate) -> Path {
    loc.child(&[table, &format!("snapshot_date={}", date.format("%Y-%m-%d"))])
}

/// Remove credentials from a URL: userinfo and the query string (signed URLs
/// carry their signature there) are replaced by `***`.
pub fn redact(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) if url.has_host() => {
            let mut changed = false;
            if !url.username().is_empty() || url.password().is_some() {
                let _ = url.set_username("***");
                let _ = url.set_password(None);
                changed = true;
            }
            if url.query().is_some() {
                url.set_query(Some("***"));
                changed = true;
            }
            if changed {
                url.to_string()
            } else {
                text.to_string()
            }
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo_and_signatures() {
        assert_eq!(
            redact("https://user:secret@example.com/a?X-Amz-Signature=abc"),
            "https://***@example.com/a?***"
        );
        assert_eq!(redact("s3://bucket/in"), "s3://bucket/in");
        assert_eq!(redact("relative/path"), "relative/path");
    }

    #[test]
    fn bare_paths_become_file_urls() {
        let u = to_url("some/dir").unwrap();
        assert_eq!(u.scheme(), "file");
        assert!(u.path().ends_with("/some/dir/"));
    }

    #[tokio::test]
    async fn lists_only_the_partition_and_skips_hidden_files() {
        use object_store::ObjectStoreExt;
        let loc = Location::open("memory://storage-unit/root", &HashMap::new()).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        for name in [
            "root/t/snapshot_date=2026-03-10/b.parquet",
            "root/t/snapshot_date=2026-03-10/a.parquet",
            "root/t/snapshot_date=2026-03-10/_SUCCESS",
            "root/t/snapshot_date=2026-03-10/.a.parquet.crc",
            "root/t/snapshot_date=2026-03-10/_tmp/x.parquet",
            "root/t/snapshot_date=2026-03-100/x.parquet",
        ] {
            loc.store
                .put(&Path::from(name), vec![1u8].into())
                .await
                .unwrap();
        }
        let files = loc.list_partition("t", d).await.unwrap().unwrap();
        let names: Vec<_> = files.iter().map(|f| f.path.to_string()).collect();
        assert_eq!(
            names,
            [
                "root/t/snapshot_date=2026-03-10/a.parquet",
                "root/t/snapshot_date=2026-03-10/b.parquet"
            ]
        );
        assert_eq!(
            files[0].url,
            "memory://storage-unit/root/t/snapshot_date=2026-03-10/a.parquet"
        );
        let missing = loc
            .list_partition("t", d.succ_opt().unwrap())
            .await
            .unwrap();
        assert!(missing.is_none());
        assert_eq!(
            loc.newest_partition("t").await.unwrap(),
            Some(d) // 2026-03-100 is not a date
        );
    }
}
