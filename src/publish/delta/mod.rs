//! `--table-format delta`: publish each output as a Delta Lake table at the
//! same place as the Hive layout (`<output>/customer_tiers/`, …,
//! `<output>/_rejects/<table>/`), partitioned by a real `snapshot_date` DATE
//! column. A run stages its Parquet files exactly as for Hive, moves them into
//! `<table>/snapshot_date=D/` as they are (a data file of a partitioned
//! Delta table does not store the partition column, nor do the staged files)
//! and replaces partition D of each table in one Delta commit (`replaceWhere
//! snapshot_date = D`: remove actions for the old files of D, add actions for
//! the new ones, with statistics from their Parquet footers); other dates are
//! untouched. No row is read back, so publishing holds nothing that grows
//! with the table. Each commit's `commitInfo` carries the run id and the
//! pulsetier version.
//!
//! deltalake is handed pulsetier's own object store (`with_storage_backend`),
//! so a Delta output works on every store a Hive output does, with the same
//! credentials, retries and `[storage.options]`. Each Delta version is
//! committed by a conditional put of `_delta_log/<version>.json`
//! (`PutMode::Create`: `If-None-Match: *` on S3 and Azure, a generation
//! precondition on GCS), so of two runs racing for one version exactly one
//! wins and the other retries on top of it: no DynamoDB locking provider.

use std::collections::{HashMap, HashSet};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::NaiveDate;
use deltalake::datafusion::logical_expr::{col, lit};
use deltalake::datafusion::scalar::ScalarValue;
use deltalake::delta_datafusion::expr::fmt_expr_to_sql;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties, TableReference};
use deltalake::kernel::{
    contains_timestampntz, new_metadata, Action, Add, MetadataExt, StructType,
};
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::table::state::DeltaTableState;
use deltalake::{DeltaResult, DeltaTable, DeltaTableBuilder, DeltaTableError};
use futures::TryStreamExt;
use object_store::ObjectStoreExt;
#[allow(deprecated)]
use parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};

mod log_store;
mod read;
mod stats;

use log_store::register_log_stores;
pub use read::{published_files, published_rows};
use stats::{file_stats, StatsColumns};

use super::StagedTable;
use crate::calendar::days_since_epoch;
use crate::error::{Error, Result};
use crate::storage::{partition_path, Location};

/// Name of the partition column of every Delta output.
pub const PARTITION_COLUMN: &str = "snapshot_date";

/// Commits of other runs (another date creating the table at the same
/// moment) can make a commit fail; it is retried this many times in all.
const ATTEMPTS: usize = 4;

/// Versions deltalake may move a commit past (after checking them for
/// conflicts) before giving up: its default.
const COMMIT_RETRIES: usize = 15;

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
    table_err(
        table,
        crate::redact::redact_secrets(&format!("under {shown}: {e}")),
    )
}

/// A Delta table that cannot be read or committed as pulsetier needs.
fn table_err(table: &str, message: String) -> Error {
    Error::Delta {
        table: table.to_string(),
        message,
    }
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

/// A staged part file as a data file of partition D: where it goes and its
/// add action (statistics from its Parquet footer).
struct DataFile {
    from: object_store::path::Path,
    to: object_store::path::Path,
    add: Add,
}

/// Read the footer (only) of every staged part file of a table: the Arrow
/// schema they share and, per file, its add action for partition D under a
/// new name unique to the run (`part-NNNNN-<run id>.c000.zstd.parquet`).
#[allow(deprecated)] // ParquetObjectReader: as in `contract::file_schema`
async fn data_files(
    out: &Location,
    staged: &StagedTable<'_>,
    stats: &StatsColumns,
) -> Result<(SchemaRef, Vec<DataFile>)> {
    let (table, files, staging) = (staged.table, staged.files, staged.staging);
    let (date, run_id) = (staging.date, staging.run_id.as_str());
    let dir = staging.table_dir(table);
    let partition = partition_path(out, table, date);
    let partition_dir = format!("{PARTITION_COLUMN}={date}");
    let modification_time = chrono::Utc::now().timestamp_millis();
    let mut schema: Option<SchemaRef> = None;
    let mut data = Vec::with_capacity(files.len());
    for (n, f) in files.iter().enumerate() {
        let from = dir.clone().join(f.name.as_str());
        let reader =
            ParquetObjectReader::new(out.store.clone(), from.clone()).with_file_size(f.bytes);
        let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
        let file_schema = builder.schema().clone();
        match &schema {
            Some(s) if s.fields() != file_schema.fields() => {
                return Err(table_err(
                    table,
                    format!(
                        "staged {} has another schema than {}",
                        f.name, files[0].name
                    ),
                ))
            }
            Some(_) => {}
            None => schema = Some(file_schema),
        }
        let meta = builder.metadata();
        let rows = meta.file_metadata().num_rows();
        if u64::try_from(rows).ok() != Some(f.rows) {
            return Err(table_err(
                table,
                format!(
                    "staged {} holds {rows} rows, {} were written",
                    f.name, f.rows
                ),
            ));
        }
        let name = format!("part-{n:05}-{run_id}.c000.zstd.parquet");
        let add = Add {
            path: format!("{partition_dir}/{name}"),
            partition_values: [(PARTITION_COLUMN.to_string(), Some(date.to_string()))].into(),
            size: i64::try_from(f.bytes)
                .map_err(|_| table_err(table, format!("{} bytes", f.bytes)))?,
            modification_time,
            data_change: true,
            stats: Some(file_stats(meta, stats)),
            ..Default::default()
        };
        data.push(DataFile {
            from,
            to: partition.clone().join(name.as_str()),
            add,
        });
    }
    let schema = schema.ok_or_else(|| table_err(table, "nothing staged".into()))?;
    Ok((schema, data))
}

/// The Delta schema of the table: the staged files' columns, then the
/// partition column `snapshot_date DATE`.
fn delta_schema(table: &str, staged: &SchemaRef) -> Result<StructType> {
    if staged.field_with_name(PARTITION_COLUMN).is_ok() {
        return Err(table_err(
            table,
            format!("the staged files have a {PARTITION_COLUMN} column"),
        ));
    }
    let mut fields: Vec<Field> = staged.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(PARTITION_COLUMN, DataType::Date32, true));
    let schema: StructType = (&Schema::new(fields))
        .try_into_kernel()
        .map_err(|e| table_err(table, format!("no Delta schema for {staged}: {e}")))?;
    if contains_timestampntz(schema.fields()) {
        // would need the timestampNtz table feature; pulsetier writes UTC timestamps only
        return Err(table_err(
            table,
            "a timestamp without time zone has no place in a Delta table of pulsetier".into(),
        ));
    }
    Ok(schema)
}

/// An existing table must be partitioned by `snapshot_date` and have the
/// staged columns (by name, with the same Delta types; order aside).
fn check_table(table: &str, state: &DeltaTableState, schema: &StructType) -> Result<()> {
    let partitions = state.metadata().partition_columns();
    if partitions.len() != 1 || partitions[0] != PARTITION_COLUMN {
        return Err(table_err(
            table,
            format!(
                "the Delta table is partitioned by {partitions:?}, not [\"{PARTITION_COLUMN}\"]"
            ),
        ));
    }
    let current = state.schema();
    let same = current.fields().len() == schema.fields().len()
        && schema.fields().all(|f| {
            current
                .field(f.name())
                .is_some_and(|c| c.data_type() == f.data_type())
        });
    if !same {
        return Err(table_err(
            table,
            format!(
            "the staged columns do not match the Delta table's schema\n  staged: {}\n  table:  {}",
            serde_json::to_string(schema)?,
            serde_json::to_string(current.as_ref())?
        ),
        ));
    }
    Ok(())
}

/// Move the staged files into the partition folder. They are in no version
/// of the table until the commit adds them.
async fn move_files(out: &Location, data: &[DataFile]) -> Result<()> {
    for d in data {
        out.store
            .rename(&d.from, &d.to)
            .await
            .map_err(|source| Error::Storage {
                op: "rename",
                url: format!("{} -> {}", out.display(&d.from), out.display(&d.to)),
                source: crate::storage::unlocated(source),
            })?;
    }
    Ok(())
}

/// Remove actions for the files of partition D in the table's snapshot,
/// but for `keep` (this run's own files, when an attempt that reported a
/// failure did commit them).
async fn removes(
    t: &DeltaTable,
    state: &DeltaTableState,
    date: NaiveDate,
    keep: &HashSet<&str>,
) -> DeltaResult<Vec<Action>> {
    let log_store = t.log_store();
    let mut views = state.snapshot().file_views(log_store.as_ref(), None);
    let mut actions = Vec::new();
    while let Some(view) = views.try_next().await? {
        let in_date = view
            .partition_values_map()
            .get(PARTITION_COLUMN)
            .and_then(|v| v.as_deref())
            .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
            == Some(date);
        if in_date && !keep.contains(view.path().as_ref()) {
            actions.push(Action::Remove(view.remove_action(true)));
        }
    }
    Ok(actions)
}

/// Replace partition D of a table with the staged files in one Delta commit;
/// returns the table version written.
///
/// The staged part files already are what a data file of partition D must
/// be (Parquet without the partition column, written with
/// `output::writer_props(layout)`: zstd, the row group size, statistics), so
/// no row is read or rewritten: their footers give the add actions'
/// statistics, the files are moved to `<table>/snapshot_date=D/` under new
/// names, and one commit adds them and removes the files D had
/// (`replaceWhere snapshot_date = D`, done here by hand). Memory does not
/// grow with the table: a footer at a time, an action per file.
pub async fn publish(out: &Location, staged: &StagedTable<'_>) -> Result<i64> {
    let StagedTable {
        staging,
        table,
        files,
    } = *staged;
    let (date, run_id) = (staging.date, staging.run_id.as_str());
    let start = std::time::Instant::now();
    let mut t = open(out, table).await?;
    let no_config = HashMap::new();
    let stats = StatsColumns::of(match t.snapshot() {
        Ok(state) => state.metadata().configuration(),
        Err(_) => &no_config,
    });
    let (staged_schema, data) = data_files(out, staged, &stats).await?;
    let schema = delta_schema(table, &staged_schema)?;
    if let Ok(state) = t.snapshot() {
        check_table(table, state, &schema)?;
    }
    move_files(out, &data).await?;
    staging.checkpoint().await;
    let keep: HashSet<&str> = data.iter().map(|d| d.add.path.as_str()).collect();
    let adds: Vec<Action> = data.iter().map(|d| Action::Add(d.add.clone())).collect();
    let rows: u64 = files.iter().map(|f| f.rows).sum();
    let replace_where =
        col(PARTITION_COLUMN).eq(lit(ScalarValue::Date32(Some(days_since_epoch(date)))));
    let operation = DeltaOperation::Write {
        mode: SaveMode::Overwrite,
        partition_by: Some(vec![PARTITION_COLUMN.to_string()]),
        predicate: Some(fmt_expr_to_sql(&replace_where).map_err(|e| delta_err(out, table, e))?),
    };
    let mut last_err = None;
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            t = open(out, table).await?;
        }
        let state = t.snapshot().ok();
        let mut actions = match state {
            Some(state) => {
                check_table(table, state, &schema)?;
                removes(&t, state, date, &keep)
                    .await
                    .map_err(|e| delta_err(out, table, e))?
            }
            // a new table: created by this commit
            None => vec![
                Action::Protocol(
                    serde_json::from_value(
                        serde_json::json!({"minReaderVersion": 1, "minWriterVersion": 2}),
                    )
                    .map_err(|e| table_err(table, format!("Delta protocol: {e}")))?,
                ),
                Action::Metadata(
                    new_metadata(
                        &schema,
                        [PARTITION_COLUMN],
                        HashMap::<String, String>::new(),
                    )
                    .and_then(|m| m.with_name(table.replace('/', "_")))
                    .map_err(|e| table_err(table, format!("Delta metadata: {e}")))?,
                ),
            ],
        };
        let removed = actions.len();
        actions.extend(adds.iter().cloned());
        let props = CommitProperties::default()
            .with_metadata([
                ("pulsetier_run_id".to_string(), serde_json::json!(run_id)),
                (
                    "pulsetier_version".to_string(),
                    serde_json::json!(env!("CARGO_PKG_VERSION")),
                ),
                (
                    "pulsetier_snapshot_date".to_string(),
                    serde_json::json!(date.to_string()),
                ),
                (
                    "operationMetrics".to_string(),
                    serde_json::json!({
                        "num_added_files": data.len(),
                        "num_removed_files": if state.is_some() { removed } else { 0 },
                        "num_partitions": 1,
                        "num_added_rows": rows,
                        "execution_time_ms": start.elapsed().as_millis() as u64,
                        "num_retries": 0,
                    }),
                ),
            ])
            // Creating the table: if another run created it first, fail (and
            // retry below on the table it made) rather than let deltalake
            // commit this Protocol and Metadata again on top of it.
            .with_max_retries(if state.is_some() { COMMIT_RETRIES } else { 0 });
        let committed = CommitBuilder::from(props)
            .with_actions(actions)
            .build(
                state.map(|s| s as &dyn TableReference),
                t.log_store(),
                operation.clone(),
            )
            .await;
        match committed {
            Ok(c) => {
                let version = c.version();
                return i64::try_from(version)
                    .map_err(|_| table_err(table, format!("Delta version {version}")));
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
        None => table_err(table, "Delta commit failed".into()),
    })
}
