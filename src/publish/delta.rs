//! `--table-format delta`: publish each output as a Delta Lake table at the
//! same place as the Hive layout (`<output>/customer_tiers/`, …,
//! `<output>/_rejects/<table>/`), partitioned by a real `snapshot_date` DATE
//! column. A run stages its Parquet files exactly as for Hive, reads them back
//! and replaces partition D of each table in one Delta commit (`replaceWhere
//! snapshot_date = D`: remove actions for the old files of D, add actions for
//! the new ones); other dates are untouched. Each commit's `commitInfo`
//! carries the run id and the pulsetier version.
//!
//! deltalake is handed pulsetier's own object store (`with_storage_backend`),
//! so a Delta output works on every store a Hive output does, with the same
//! credentials, retries and `[storage.options]`. Each Delta version is
//! committed by a conditional put of `_delta_log/<version>.json`
//! (`PutMode::Create`: `If-None-Match: *` on S3 and Azure, a generation
//! precondition on GCS), so of two runs racing for one version exactly one
//! wins and the other retries on top of it: no DynamoDB locking provider.

use std::sync::{Arc, Once};

use arrow::array::{ArrayRef, Date32Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use deltalake::datafusion::logical_expr::{col, lit};
use deltalake::datafusion::scalar::ScalarValue;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::logstore::{
    default_logstore, logstore_factories, LogStore, LogStoreFactory, ObjectStoreRef, StorageConfig,
};
use deltalake::protocol::SaveMode;
use deltalake::{DeltaResult, DeltaTable, DeltaTableBuilder, DeltaTableError};
use futures::TryStreamExt;
#[allow(deprecated)]
use parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};

use super::Staging;
use crate::error::{Error, Result};
use crate::output::{Layout, WrittenFile};
use crate::storage::Location;

/// Name of the partition column of every Delta output.
pub const PARTITION_COLUMN: &str = "snapshot_date";

/// Commits of other runs (another date creating the table at the same
/// moment) can make a commit fail; it is retried this many times in all.
const ATTEMPTS: usize = 4;

/// deltalake's default log store for the cloud schemes: it commits with a
/// conditional put on the store it is given. deltalake-core registers it for
/// `file://` and `memory://` only (its cloud crates would bring their own
/// stores, and on S3 a DynamoDB client, which pulsetier does not need: S3 has
/// conditional puts, object_store sends `If-None-Match: *` unless
/// `aws_conditional_put = "disabled"`, and then a commit fails instead of
/// risking a lost version).
struct ConditionalPutLogStore;

impl LogStoreFactory for ConditionalPutLogStore {
    fn with_options(
        &self,
        prefixed_store: ObjectStoreRef,
        root_store: ObjectStoreRef,
        location: &url::Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(
            prefixed_store,
            root_store,
            location,
            options,
        ))
    }
}

/// Register [`ConditionalPutLogStore`] for every cloud scheme
/// `storage::Location::open` accepts (keeping a factory already registered).
fn register_log_stores() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let factories = logstore_factories();
        for scheme in ["s3", "s3a", "gs", "az", "abfs", "abfss", "azure", "adl"] {
            if let Ok(url) = url::Url::parse(&format!("{scheme}://")) {
                factories
                    .entry(url)
                    .or_insert_with(|| Arc::new(ConditionalPutLogStore));
            }
        }
    });
}

/// The unredacted URL of a table folder (the store's URL plus the path).
pub fn table_url(out: &Location, table: &str) -> Result<url::Url> {
    let mut path = out.prefix.clone();
    for seg in table.split('/') {
        path = path.join(seg);
    }
    let mut url = out.store_url.clone();
    url.set_path(&format!("/{}/", path.as_ref()));
    Ok(url)
}

fn delta_err(out: &Location, table: &str, e: DeltaTableError) -> Error {
    let shown = out.display(&out.prefix);
    if let DeltaTableError::ObjectStore {
        source: object_store::Error::NotImplemented { .. },
    } = &e
    {
        // e.g. `aws_conditional_put = "disabled"`: no safe way to commit
        return Error::Usage(crate::redact::redact_secrets(&format!(
            "Delta table {table} under {shown}: the store cannot commit a Delta version safely \
             (Delta commits need conditional puts: drop aws_conditional_put = \"disabled\" \
             from [storage.options] or AWS_CONDITIONAL_PUT): {e}"
        )));
    }
    Error::Internal(crate::redact::redact_secrets(&format!(
        "Delta table {table} under {shown}: {e}"
    )))
}

/// Open (or prepare to create) the Delta table of an output on the run's store.
pub async fn open(out: &Location, table: &str) -> Result<DeltaTable> {
    register_log_stores();
    let url = table_url(out, table)?;
    if url.scheme() == "file" {
        // the kernel wants the folder of a local table to exist
        if let Ok(dir) = url.to_file_path() {
            std::fs::create_dir_all(&dir)?;
        }
    }
    let mut t = DeltaTableBuilder::from_url(url.clone())
        .and_then(|b| b.with_storage_backend(out.store.clone(), url).build())
        .map_err(|e| delta_err(out, table, e))?;
    // A table not created yet: loading it would fail (and the Delta kernel
    // logs that failure at ERROR level); an empty `_delta_log/` says so quietly.
    let log = out.child(&[table, "_delta_log"]);
    let first = out
        .store
        .list(Some(&log))
        .try_next()
        .await
        .map_err(out.storage_err("list", &log))?;
    if first.is_none() {
        return Ok(t);
    }
    match t.load().await {
        Ok(()) | Err(DeltaTableError::NotATable(_)) => Ok(t),
        Err(e) => Err(delta_err(out, table, e)),
    }
}

/// Days since 1970-01-01 (Arrow's Date32).
fn epoch_days(date: NaiveDate) -> i32 {
    (date - NaiveDate::default()).num_days() as i32
}

/// Read a table's staged part files back, in order, with `snapshot_date`
/// appended as a DATE column.
#[allow(deprecated)] // ParquetObjectReader: as in `contract::file_schema`
async fn staged_batches(
    out: &Location,
    staging: &Staging,
    table: &str,
    date: NaiveDate,
    files: &[WrittenFile],
) -> Result<Vec<RecordBatch>> {
    let days = epoch_days(date);
    let dir = staging.table_dir(table);
    let mut batches = Vec::new();
    let mut schema = None;
    for f in files {
        let path = dir.clone().join(f.name.as_str());
        let reader =
            ParquetObjectReader::new(out.store.clone(), path.clone()).with_file_size(f.bytes);
        let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
        let file_schema = builder.schema().clone();
        let mut fields: Vec<Field> = file_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new(PARTITION_COLUMN, DataType::Date32, true));
        let with_date = Arc::new(Schema::new(fields));
        schema = Some(with_date.clone());
        let read: Vec<RecordBatch> = builder.build()?.try_collect().await?;
        for b in read {
            let mut cols: Vec<ArrayRef> = b.columns().to_vec();
            cols.push(Arc::new(Date32Array::from(vec![days; b.num_rows()])));
            batches.push(RecordBatch::try_new(with_date.clone(), cols)?);
        }
    }
    if batches.is_empty() {
        // an empty output still commits (it removes the old rows of D)
        let schema = schema.ok_or_else(|| Error::Internal(format!("{table}: nothing staged")))?;
        batches.push(RecordBatch::new_empty(schema));
    }
    Ok(batches)
}

/// Replace partition D of a table with the staged files in one Delta
/// commit; returns the table version written.
pub async fn publish(
    out: &Location,
    staging: &Staging,
    table: &str,
    date: NaiveDate,
    files: &[WrittenFile],
    run_id: &str,
    layout: Layout,
) -> Result<i64> {
    let batches = staged_batches(out, staging, table, date, files).await?;
    let mut last_err = None;
    for attempt in 0..ATTEMPTS {
        let t = open(out, table).await?;
        let props = CommitProperties::default().with_metadata([
            ("pulsetier_run_id".to_string(), serde_json::json!(run_id)),
            (
                "pulsetier_version".to_string(),
                serde_json::json!(env!("CARGO_PKG_VERSION")),
            ),
            (
                "pulsetier_snapshot_date".to_string(),
                serde_json::json!(date.to_string()),
            ),
        ]);
        let written = t
            .write(batches.clone())
            .with_save_mode(SaveMode::Overwrite)
            .with_replace_where(
                col(PARTITION_COLUMN).eq(lit(ScalarValue::Date32(Some(epoch_days(date))))),
            )
            .with_partition_columns([PARTITION_COLUMN])
            .with_writer_properties(crate::output::writer_props(layout))
            .with_commit_properties(props)
            .with_table_name(table.replace('/', "_"))
            .await;
        match written {
            Ok(t) => {
                let version = t.version().ok_or_else(|| {
                    Error::Internal(format!("{table}: no Delta version after commit"))
                })?;
                return i64::try_from(version)
                    .map_err(|_| Error::Internal(format!("{table}: Delta version {version}")));
            }
            // a concurrent run created the table or committed first: reload and retry
            Err(e @ DeltaTableError::Transaction { .. })
            | Err(e @ DeltaTableError::VersionAlreadyExists(_))
                if attempt + 1 < ATTEMPTS =>
            {
                tracing::warn!(table, error = %e, "Delta commit conflict, retrying");
                last_err = Some(e);
            }
            Err(e) => return Err(delta_err(out, table, e)),
        }
    }
    Err(match last_err {
        Some(e) => delta_err(out, table, e),
        None => Error::Internal(format!("{table}: Delta commit failed")),
    })
}

/// The data files of partition D in the latest version of a published
/// Delta table, as URLs of the run's store; none when the table does not
/// exist yet.
pub async fn published_files(out: &Location, table: &str, date: NaiveDate) -> Result<Vec<String>> {
    let t = open(out, table).await?;
    if t.version().is_none() {
        return Ok(Vec::new());
    }
    let day = date.to_string();
    let filter = [(
        PARTITION_COLUMN,
        deltalake::FilterOp::Eq,
        deltalake::FilterValue::Scalar(day.as_str()),
    )];
    let files = t
        .get_files_by_partitions(&filter)
        .await
        .map_err(|e| delta_err(out, table, e))?;
    let root = out.child(&[table]);
    Ok(files
        .iter()
        .map(|rel| {
            let path = rel.parts().fold(root.clone(), |p, part| p.join(part));
            out.url_of(&path)
        })
        .collect())
}

/// Rows of partition D in the latest version of a published Delta table,
/// with that version; `None` when the table does not exist yet.
pub async fn published_rows(
    out: &Location,
    table: &str,
    date: NaiveDate,
) -> Result<Option<(i64, u64)>> {
    let t = open(out, table).await?;
    let Some(version) = t.version() else {
        return Ok(None);
    };
    let ctx = deltalake::datafusion::prelude::SessionContext::new();
    t.update_datafusion_session(&ctx.state())
        .map_err(|e| delta_err(out, table, e))?;
    let provider = t
        .table_provider()
        .await
        .map_err(|e| Error::engine(table, e))?;
    let rows = ctx
        .read_table(provider)
        .and_then(|df| {
            df.filter(col(PARTITION_COLUMN).eq(lit(ScalarValue::Date32(Some(epoch_days(date))))))
        })
        .map_err(|e| Error::engine(table, e))?
        .count()
        .await
        .map_err(|e| Error::engine(table, e))?;
    let version = i64::try_from(version)
        .map_err(|_| Error::Internal(format!("{table}: Delta version {version}")))?;
    Ok(Some((version, rows as u64)))
}
