//! Publishing a staged run: the one seam between a run and its table format.
//! A run stages every file under `_staging/` ([`Staging`]), holds the date's
//! [`RunLock`], and hands each staged table to its [`Publisher`], which
//! replaces partition D of that table: Hive folders with `_SUCCESS` last
//! ([`hive`]), or one Delta Lake commit per table (`delta`, behind the
//! `delta` feature). The publisher also says whether a date is committed
//! (backfill skips it), whether one table's partition is committed and
//! which files hold it (a run compares with earlier dates: `history`) and,
//! for `validate`, how many rows a published partition holds; and it reads
//! a committed partition back ([`Publisher::read_partition`]: history and
//! the report). Nothing outside this module knows which format it is.

use chrono::NaiveDate;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

pub mod hive;
mod lock;
mod staging;

#[cfg(feature = "delta")]
pub mod delta;

pub use lock::RunLock;
pub use staging::Staging;

use crate::config::{Settings, TableFormat};
use crate::engine::empty_table;
use crate::error::{Error, Result};
use crate::manifest;
use crate::part_files::WrittenFile;
use crate::storage::Location;
use crate::tables::Output;

/// Publishes staged tables into an output root in the configured format.
#[derive(Debug, Clone)]
pub struct Publisher {
    format: TableFormat,
    out: Location,
}

/// One staged table, ready to replace partition D (the staging's date).
#[derive(Debug, Clone, Copy)]
pub struct StagedTable<'a> {
    /// The run's staging (date, run id, crash-test checkpoints).
    pub staging: &'a Staging,
    /// The table (`customer_tiers`, …, `_rejects/<input>`).
    pub table: &'a str,
    /// Its staged part files.
    pub files: &'a [WrittenFile],
}

impl Publisher {
    /// A publisher for `out` in the format of `s`.
    pub fn new(s: &Settings, out: &Location) -> Publisher {
        Publisher {
            format: s.table_format,
            out: out.clone(),
        }
    }

    /// Replace partition D of a table with its staged files; the Delta
    /// version committed, if the format has versions.
    pub async fn publish(&self, staged: &StagedTable<'_>) -> Result<Option<i64>> {
        match self.format {
            TableFormat::Hive => {
                hive::publish(&self.out, staged.staging, staged.table, staged.files).await?;
                Ok(None)
            }
            TableFormat::Delta => {
                staged.staging.checkpoint().await;
                #[cfg(feature = "delta")]
                let version = delta::publish(&self.out, staged).await?;
                #[cfg(not(feature = "delta"))]
                let version = no_delta(staged.table)?;
                Ok(Some(version))
            }
        }
    }

    /// Whether the files of a published table are listed in the manifest
    /// (Delta names its own data files: the table's log lists them).
    pub fn lists_files(&self) -> bool {
        self.format == TableFormat::Hive
    }

    /// Whether date D is committed: the newest manifest of D says `success`
    /// (a newer `quality_gate_failed` means the last attempt failed) and,
    /// for Hive, every output partition D carries `_SUCCESS`. A run writes
    /// its manifest only after every table is published.
    pub async fn is_committed(&self, date: NaiveDate) -> Result<bool> {
        self.committed(Output::ALL.map(Output::name), date).await
    }

    /// Whether partition D of one `table` is committed: the newest manifest
    /// of D says `success` and, for Hive, the partition carries `_SUCCESS`.
    /// A date committed before `table` existed (an older pulsetier) counts
    /// for the tables it has.
    pub async fn is_table_committed(&self, table: &str, date: NaiveDate) -> Result<bool> {
        self.committed([table], date).await
    }

    /// The newest manifest of D says `success` and, for Hive, each of
    /// `tables` carries `_SUCCESS` in partition D.
    async fn committed(
        &self,
        tables: impl IntoIterator<Item = &str>,
        date: NaiveDate,
    ) -> Result<bool> {
        if self.format == TableFormat::Hive {
            for table in tables {
                if !hive::is_committed(&self.out, table, date).await? {
                    return Ok(false);
                }
            }
        }
        Ok(manifest::newest(&self.out, date)
            .await?
            .is_some_and(|m| m.succeeded()))
    }

    /// The data files of partition D of a published `table`, as URLs a
    /// session can read (sorted): for Hive the partition's part files, for
    /// Delta the files of partition D in the table's current version (none
    /// when the table does not exist yet). Ask [`Publisher::is_table_committed`]
    /// first: this does not check that D is committed.
    pub async fn published_files(&self, table: &str, date: NaiveDate) -> Result<Vec<String>> {
        let mut urls: Vec<String> = match self.format {
            TableFormat::Hive => hive::published_files(&self.out, table, date).await?,
            TableFormat::Delta => {
                #[cfg(feature = "delta")]
                let files = delta::published_files(&self.out, table, date).await?;
                #[cfg(not(feature = "delta"))]
                let files = no_delta(table)?;
                files
            }
        };
        urls.sort();
        Ok(urls)
    }

    /// Partition D of a published `table` as a relation of the table's
    /// schema, for a session to query: its data files
    /// ([`Publisher::published_files`]), or an empty relation when `date`
    /// is `None` or the partition has no file (a plan node any engine can
    /// ship, like an input table with no file). Ask
    /// [`Publisher::is_table_committed`] first.
    pub async fn read_partition(
        &self,
        ctx: &SessionContext,
        table: Output,
        date: Option<NaiveDate>,
    ) -> Result<DataFrame> {
        let files = match date {
            Some(d) => self.published_files(table.name(), d).await?,
            None => Vec::new(),
        };
        let schema = table.schema();
        if files.is_empty() {
            return empty_table(ctx, &schema, table.name());
        }
        let options = ParquetReadOptions::default()
            .file_extension("")
            .schema(schema.as_ref());
        ctx.read_parquet(files, options)
            .await
            .map_err(|e| Error::engine(table.name(), e))
    }

    /// `validate` of a published Delta date: partition D of the table's
    /// latest version must hold the `rows` the inputs give; the version
    /// read, or `None` for Hive, for a date not published yet, or a table
    /// not created yet.
    pub async fn check_published(
        &self,
        table: &str,
        date: NaiveDate,
        rows: u64,
    ) -> Result<Option<i64>> {
        if self.format == TableFormat::Hive || !self.is_committed(date).await? {
            return Ok(None);
        }
        #[cfg(feature = "delta")]
        let published = delta::published_rows(&self.out, table, date).await?;
        #[cfg(not(feature = "delta"))]
        let published: Option<(i64, u64)> = no_delta(table)?;
        match published {
            Some((version, published)) if published != rows => Err(Error::Delta {
                table: table.to_string(),
                message: format!(
                    "validate: partition snapshot_date={date} holds {published} rows in version {version}, the inputs give {rows}"
                ),
            }),
            Some((version, _)) => Ok(Some(version)),
            None => Ok(None),
        }
    }
}

/// Without the `delta` feature `RunConfig::new` refuses the Delta format,
/// so this is never reached.
#[cfg(not(feature = "delta"))]
fn no_delta<T>(_: &str) -> Result<T> {
    Err(Error::Usage(
        "--table-format delta needs pulsetier built with `--features delta`".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ObjectStoreExt;

    fn d(s: &str) -> NaiveDate {
        crate::config::parse_date(s).unwrap()
    }

    async fn put(out: &Location, rel: &str, body: &str) {
        let path = out.child(&[rel]);
        out.store
            .put(&path, body.as_bytes().to_vec().into())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn committed_needs_every_success_marker_and_a_newest_success_manifest() {
        let out = Location::open(
            "memory://publish-unit/out",
            &crate::config::StorageSettings::default(),
        )
        .unwrap();
        let hive = Publisher::new(&Settings::default(), &out);
        let is_committed = |_: &Location, date| hive.is_committed(date);
        let date = d("2026-03-10");
        assert!(!is_committed(&out, date).await.unwrap());
        let (ct, sp) = (Output::CustomerTiers.name(), Output::SocialPulse.name());
        for t in Output::ALL.map(Output::name) {
            if t != sp {
                put(&out, &format!("{t}/snapshot_date=2026-03-10/_SUCCESS"), "").await;
            }
        }
        let m = |status: &str| {
            format!(
                r#"{{"run_id": "x", "status": "{status}", "inputs": {{"a": {{"rejected": 2}}, "b": {{"rejected": 3}}}}}}"#
            )
        };
        put(
            &out,
            "_manifests/snapshot_date=2026-03-10/20260310T010000.000Z-a.json",
            &m("success"),
        )
        .await;
        assert!(
            !is_committed(&out, date).await.unwrap(),
            "social_pulse lacks _SUCCESS"
        );
        // one table's partition is committed on its own
        assert!(hive.is_table_committed(ct, date).await.unwrap());
        assert!(!hive.is_table_committed(sp, date).await.unwrap());
        put(&out, &format!("{sp}/snapshot_date=2026-03-10/_SUCCESS"), "").await;
        assert!(is_committed(&out, date).await.unwrap());
        assert!(
            !is_committed(&out, d("2026-03-09")).await.unwrap(),
            "other date"
        );

        // a newer manifest of a failed attempt: run it again
        put(
            &out,
            "_manifests/snapshot_date=2026-03-10/20260311T010000.000Z-b.json",
            &m("quality_gate_failed"),
        )
        .await;
        assert!(!is_committed(&out, date).await.unwrap());
        let newest = manifest::newest(&out, date).await.unwrap().unwrap();
        assert_eq!(newest.rejects(), 5);
        // a newer success again; unreadable JSON counts as no manifest
        put(
            &out,
            "_manifests/snapshot_date=2026-03-10/20260312T010000.000Z-c.json",
            &m("success"),
        )
        .await;
        assert!(is_committed(&out, date).await.unwrap());
        put(
            &out,
            "_manifests/snapshot_date=2026-03-10/20260313T010000.000Z-d.json",
            "{trunc",
        )
        .await;
        assert!(!is_committed(&out, date).await.unwrap());
    }
}
