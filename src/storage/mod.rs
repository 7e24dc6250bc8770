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
use object_store::ObjectStoreExt;
use object_store::{ObjectMeta, ObjectStore};
use url::Url;

use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::{BackoffConfig, ClientConfigKey, RetryConfig};

use crate::config::StorageSettings;
use crate::error::{Error, Result};
use crate::redact::redact;

pub mod guarded;

pub use guarded::{unlocated, Located};

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
    /// Full URL, for the engine to read (may carry credentials in a
    /// presigned query; never printed).
    pub url: String,
    /// The URL as messages, the manifest and `source_file` show it
    /// (redacted once, when the file is listed).
    pub shown: String,
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

/// object_store's retry policy from the settings.
fn retry_config(s: &StorageSettings) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(s.init_backoff_ms),
            max_backoff: Duration::from_secs(s.max_backoff_secs),
            base: 2.0,
        },
        max_retries: s.max_retries,
        retry_timeout: Duration::from_secs(s.retry_timeout_secs),
    }
}

/// Builder options: timeouts from the settings, then the `[storage.options]`
/// of the config (which may override them). Credentials come from the
/// builders' `from_env`.
fn builder_options(s: &StorageSettings) -> Vec<(String, String)> {
    let mut opts = vec![
        (
            "timeout".to_string(),
            format!("{}s", s.request_timeout_secs),
        ),
        (
            "connect_timeout".to_string(),
            format!("{}s", s.connect_timeout_secs),
        ),
    ];
    opts.extend(
        s.options
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone())),
    );
    opts
}

/// Build a cloud store: `from_env` (the cloud's usual variables), the URL,
/// retries, then the options. One macro for the four builders, which share
/// this shape but no trait.
macro_rules! cloud_store {
    ($builder:expr, $key:ty, $url:expr, $settings:expr, $shown:expr) => {{
        let mut b = $builder
            .with_url($url.as_str())
            .with_retry(retry_config($settings));
        for (k, v) in builder_options($settings) {
            let key: $key = k
                .parse()
                .map_err(|e| Error::Usage(format!("storage option {k}: {e}")))?;
            b = b.with_config(key, v);
        }
        let store = b
            .build()
            .map_err(|e| Error::Usage(format!("cannot open {}: {e}", $shown)))?;
        Arc::new(store) as Arc<dyn ObjectStore>
    }};
}

impl Location {
    /// Open a location from a URL or path. Credentials and endpoints come
    /// from the environment (`AWS_*`, `GOOGLE_*`, `AZURE_*`) and `[storage]`.
    pub fn open(text: &str, settings: &StorageSettings) -> Result<Location> {
        let url = to_url(text)?;
        let shown = redact(text);
        let store_url = Url::parse(&format!("{}://{}", url.scheme(), url.authority()))
            .map_err(|e| Error::Usage(format!("invalid URL {shown}: {e}")))?;
        let prefix = Path::from_url_path(url.path())
            .map_err(|e| Error::Usage(format!("invalid path in {shown}: {e}")))?;
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            "file" => Arc::new(object_store::local::LocalFileSystem::new()),
            "memory" => memory_store(url.authority()),
            "s3" | "s3a" => cloud_store!(
                AmazonS3Builder::from_env(),
                AmazonS3ConfigKey,
                store_url,
                settings,
                shown
            ),
            "gs" => cloud_store!(
                GoogleCloudStorageBuilder::from_env(),
                GoogleConfigKey,
                store_url,
                settings,
                shown
            ),
            "az" | "abfs" | "abfss" | "azure" | "adl" => cloud_store!(
                MicrosoftAzureBuilder::from_env(),
                AzureConfigKey,
                store_url,
                settings,
                shown
            ),
            "http" | "https" => {
                let mut b = HttpBuilder::new()
                    .with_url(store_url.as_str())
                    .with_retry(retry_config(settings));
                for (k, v) in builder_options(settings) {
                    if let Ok(key) = k.parse::<ClientConfigKey>() {
                        b = b.with_config(key, v);
                    }
                }
                let store = b
                    .build()
                    .map_err(|e| Error::Usage(format!("cannot open {shown}: {e}")))?;
                Arc::new(store) as Arc<dyn ObjectStore>
            }
            other => {
                return Err(Error::Usage(format!(
                    "unsupported location {shown}: scheme {other}:// (use a path, file://, memory://, s3://, gs://, az://, abfs:// or http(s)://)"
                )))
            }
        };
        let store = match url.scheme() {
            "file" | "memory" => store,
            _ => Arc::new(guarded::Guarded::new(
                store,
                &redact(store_url.as_str()),
                guarded::Retry::from_settings(settings),
            )) as Arc<dyn ObjectStore>,
        };
        Ok(Location {
            store,
            store_url,
            prefix,
        })
    }

    /// Whether outputs can be written here (`http(s)://` is read-only).
    pub fn writable(&self) -> bool {
        !matches!(self.store_url.scheme(), "http" | "https")
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

    /// The error of a failed store operation `op` on `path`, naming its
    /// (redacted) URL: `.map_err(loc.storage_err("put", &path))`.
    pub fn storage_err<'a>(
        &'a self,
        op: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(object_store::Error) -> Error + 'a {
        move |source| Error::Storage {
            op,
            url: self.display(path),
            source: unlocated(source),
        }
    }

    /// List every object under a prefix (recursive), sorted by path.
    pub async fn list(&self, prefix: &Path) -> Result<Vec<ObjectMeta>> {
        let mut items: Vec<ObjectMeta> = self
            .store
            .list(Some(prefix))
            .try_collect()
            .await
            .map_err(self.storage_err("list", prefix))?;
        items.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(items)
    }

    /// Delete an object; one already gone is fine.
    pub async fn delete(&self, path: &Path) -> Result<()> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(source) => Err(self.storage_err("delete", path)(source)),
        }
    }

    /// Delete every object under a prefix (and, on local disk, the folders
    /// left empty).
    pub async fn delete_prefix(&self, prefix: &Path) -> Result<()> {
        for obj in self.list(prefix).await? {
            self.delete(&obj.location).await?;
        }
        self.remove_empty_local_dirs(prefix);
        Ok(())
    }

    /// Write a small object (a manifest, a marker) in one put.
    pub async fn put(&self, path: &Path, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(path, bytes.into())
            .await
            .map_err(self.storage_err("put", path))?;
        Ok(())
    }

    /// Local stores keep empty folders after their files are deleted; remove
    /// those under `prefix`, then the now-empty two levels above it (the
    /// `snapshot_date=D` and `_staging` folders of a staging run folder), so
    /// the output tree stays clean for tools that list folders. The
    /// temporary `<name>#<n>` files of local puts that a cancelled write left
    /// go too: listing skips them, so deleting by listing cannot.
    pub fn remove_empty_local_dirs(&self, prefix: &Path) {
        if self.store_url.scheme() != "file" {
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
                    } else if is_put_temp(&e.file_name().to_string_lossy()) {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
            }
            let _ = std::fs::remove_dir(dir); // fails (and is kept) when not empty
        }
        prune(&dir);
        for parent in dir.ancestors().skip(1).take(2) {
            if std::fs::remove_dir(parent).is_err() {
                break;
            }
        }
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
                shown: self.display(&o.location),
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
            .map_err(self.storage_err("list", &dir))?;
        Ok(listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename())
            .filter_map(|name| name.strip_prefix("snapshot_date="))
            .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .max())
    }
}

/// Whether a local file name is a put's temporary file (`part-00000.parquet#3`).
fn is_put_temp(name: &str) -> bool {
    name.rsplit_once('#').is_some_and(|(base, n)| {
        !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// `<root>/<table>/snapshot_date=D`.
pub fn partition_path(loc: &Location, table: &str, date: NaiveDate) -> Path {
    loc.child(&[table, &format!("snapshot_date={}", date.format("%Y-%m-%d"))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_put_temporaries_count_as_such() {
        assert!(is_put_temp("part-00000.parquet#1"));
        assert!(is_put_temp("_SUCCESS#12"));
        for name in ["part-00000.parquet", "a#b", "#1", "x#", "report.html"] {
            assert!(!is_put_temp(name), "{name}");
        }
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
        let loc =
            Location::open("memory://storage-unit/root", &StorageSettings::default()).unwrap();
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
