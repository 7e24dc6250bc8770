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
use std::sync::{Arc, Once};

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
use deltalake::logstore::{
    default_logstore, logstore_factories, LogStore, LogStoreFactory, ObjectStoreRef, StorageConfig,
};
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::table::state::DeltaTableState;
use deltalake::{DeltaResult, DeltaTable, DeltaTableBuilder, DeltaTableError};
use futures::TryStreamExt;
use object_store::ObjectStoreExt;
#[allow(deprecated)]
use parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};
use parquet::basic::{ConvertedType, LogicalType, TimeUnit};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;
use parquet::schema::types::ColumnDescriptor;

use super::Staging;
use crate::error::{Error, Result};
use crate::output::{Layout, WrittenFile};
use crate::storage::{partition_path, Location};

/// Name of the partition column of every Delta output.
pub const PARTITION_COLUMN: &str = "snapshot_date";

/// Commits of other runs (another date creating the table at the same
/// moment) can make a commit fail; it is retried this many times in all.
const ATTEMPTS: usize = 4;

/// Versions deltalake may move a commit past (after checking them for
/// conflicts) before giving up: its default.
const COMMIT_RETRIES: usize = 15;

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
    staging: &Staging,
    table: &str,
    date: NaiveDate,
    files: &[WrittenFile],
    run_id: &str,
    stats: &StatsColumns,
) -> Result<(SchemaRef, Vec<DataFile>)> {
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
                return Err(Error::Internal(format!(
                    "{table}: staged {} has another schema than {}",
                    f.name, files[0].name
                )))
            }
            Some(_) => {}
            None => schema = Some(file_schema),
        }
        let meta = builder.metadata();
        let rows = meta.file_metadata().num_rows();
        if u64::try_from(rows).ok() != Some(f.rows) {
            return Err(Error::Internal(format!(
                "{table}: staged {} holds {rows} rows, {} were written",
                f.name, f.rows
            )));
        }
        let name = format!("part-{n:05}-{run_id}.c000.zstd.parquet");
        let add = Add {
            path: format!("{partition_dir}/{name}"),
            partition_values: [(PARTITION_COLUMN.to_string(), Some(date.to_string()))].into(),
            size: i64::try_from(f.bytes)
                .map_err(|_| Error::Internal(format!("{table}: {} bytes", f.bytes)))?,
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
    let schema = schema.ok_or_else(|| Error::Internal(format!("{table}: nothing staged")))?;
    Ok((schema, data))
}

/// The Delta schema of the table: the staged files' columns, then the
/// partition column `snapshot_date DATE`.
fn delta_schema(table: &str, staged: &SchemaRef) -> Result<StructType> {
    if staged.field_with_name(PARTITION_COLUMN).is_ok() {
        return Err(Error::Internal(format!(
            "{table}: the staged files have a {PARTITION_COLUMN} column"
        )));
    }
    let mut fields: Vec<Field> = staged.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(PARTITION_COLUMN, DataType::Date32, true));
    let schema: StructType = (&Schema::new(fields))
        .try_into_kernel()
        .map_err(|e| Error::Internal(format!("{table}: no Delta schema for {staged}: {e}")))?;
    if contains_timestampntz(schema.fields()) {
        // would need the timestampNtz table feature; pulsetier writes UTC timestamps only
        return Err(Error::Internal(format!(
            "{table}: a timestamp without time zone has no place in a Delta table of pulsetier"
        )));
    }
    Ok(schema)
}

/// An existing table must be partitioned by `snapshot_date` and have the
/// staged columns (by name, with the same Delta types; order aside).
fn check_table(table: &str, state: &DeltaTableState, schema: &StructType) -> Result<()> {
    let partitions = state.metadata().partition_columns();
    if partitions.len() != 1 || partitions[0] != PARTITION_COLUMN {
        return Err(Error::Internal(format!(
            "{table}: the Delta table is partitioned by {partitions:?}, not [\"{PARTITION_COLUMN}\"]"
        )));
    }
    let current = state.schema();
    let same = current.fields().len() == schema.fields().len()
        && schema.fields().all(|f| {
            current
                .field(f.name())
                .is_some_and(|c| c.data_type() == f.data_type())
        });
    if !same {
        return Err(Error::Internal(format!(
            "{table}: the staged columns do not match the Delta table's schema\n  staged: {}\n  table:  {}",
            serde_json::to_string(schema)?,
            serde_json::to_string(current.as_ref())?
        )));
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
                source,
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
pub async fn publish(
    out: &Location,
    staging: &Staging,
    table: &str,
    date: NaiveDate,
    files: &[WrittenFile],
    run_id: &str,
    _layout: Layout,
) -> Result<i64> {
    let start = std::time::Instant::now();
    let mut t = open(out, table).await?;
    let no_config = HashMap::new();
    let stats = StatsColumns::of(match t.snapshot() {
        Ok(state) => state.metadata().configuration(),
        Err(_) => &no_config,
    });
    let (staged_schema, data) =
        data_files(out, staging, table, date, files, run_id, &stats).await?;
    let schema = delta_schema(table, &staged_schema)?;
    if let Ok(state) = t.snapshot() {
        check_table(table, state, &schema)?;
    }
    move_files(out, &data).await?;
    crate::commit::test_pause().await;
    let keep: HashSet<&str> = data.iter().map(|d| d.add.path.as_str()).collect();
    let adds: Vec<Action> = data.iter().map(|d| Action::Add(d.add.clone())).collect();
    let rows: u64 = files.iter().map(|f| f.rows).sum();
    let replace_where = col(PARTITION_COLUMN).eq(lit(ScalarValue::Date32(Some(epoch_days(date)))));
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
                    .map_err(|e| Error::Internal(format!("{table}: Delta protocol: {e}")))?,
                ),
                Action::Metadata(
                    new_metadata(
                        &schema,
                        [PARTITION_COLUMN],
                        HashMap::<String, String>::new(),
                    )
                    .and_then(|m| m.with_name(table.replace('/', "_")))
                    .map_err(|e| Error::Internal(format!("{table}: Delta metadata: {e}")))?,
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

/// Which columns get statistics in an add action: the table's
/// `delta.dataSkippingStatsColumns`, else its first
/// `delta.dataSkippingNumIndexedCols` columns (default 32, -1 for all).
struct StatsColumns {
    named: Option<Vec<String>>,
    first: Option<usize>,
}

impl StatsColumns {
    /// From the table's configuration (`delta.dataSkippingStatsColumns`,
    /// `delta.dataSkippingNumIndexedCols`); none: the defaults.
    fn of(config: &HashMap<String, String>) -> StatsColumns {
        let named = config.get("delta.dataSkippingStatsColumns").map(|cols| {
            cols.split(',')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        });
        let first = match config
            .get("delta.dataSkippingNumIndexedCols")
            .and_then(|n| n.trim().parse::<i64>().ok())
        {
            Some(n) if n < 0 => None,
            Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            None => Some(DEFAULT_INDEXED_COLUMNS),
        };
        StatsColumns { named, first }
    }

    fn includes(&self, name: &str, position: usize) -> bool {
        match (&self.named, self.first) {
            (Some(named), _) => named.iter().any(|n| n == name),
            (None, Some(first)) => position < first,
            (None, None) => true,
        }
    }
}

/// Delta's default `delta.dataSkippingNumIndexedCols`.
const DEFAULT_INDEXED_COLUMNS: usize = 32;

/// The `stats` of an add action from a data file's Parquet footer:
/// `numRecords`, and per column (top-level, not nested) `nullCount`,
/// `minValues` and `maxValues`, each only where the footer gives it for
/// every row group. Bounds are what a reader may skip files by, so they are
/// left out where the footer's are not safe ones: floating-point columns
/// (Parquet statistics leave NaN out; a reader orders NaN above every
/// number), decimals not exact as a JSON number, unsigned integers;
/// timestamps are widened to whole milliseconds (the Delta format).
fn file_stats(meta: &ParquetMetaData, which: &StatsColumns) -> String {
    let mut min_values = serde_json::Map::new();
    let mut max_values = serde_json::Map::new();
    let mut null_count = serde_json::Map::new();
    let schema = meta.file_metadata().schema_descr();
    for (i, column) in schema.columns().iter().enumerate() {
        let name = column.name();
        if column.path().parts().len() != 1
            || column.max_rep_level() > 0
            || !which.includes(name, i)
        {
            continue;
        }
        let mut nulls = Some(0u64);
        let mut bounds: Option<Option<(Bound, Bound)>> = None; // None: no row group yet
        for rg in meta.row_groups() {
            let chunk = rg.column(i);
            let stats = chunk.statistics();
            let chunk_nulls = stats.and_then(|s| s.null_count_opt());
            nulls = nulls.zip(chunk_nulls).map(|(a, b)| a + b);
            let all_null = chunk_nulls == Some(u64::try_from(rg.num_rows()).unwrap_or(u64::MAX));
            let chunk_bounds = stats.and_then(|s| chunk_bounds(s, column));
            bounds = match (bounds, chunk_bounds) {
                (Some(None), _) => Some(None),
                // a row group of nulls only has no bounds, and needs none
                (b, None) if all_null => b,
                (_, None) => Some(None),
                (None, Some(b)) => Some(Some(b)),
                (Some(Some((lo, hi))), Some((clo, chi))) => {
                    match (lo.partial_cmp(&clo), hi.partial_cmp(&chi)) {
                        (Some(l), Some(h)) => Some(Some((
                            if l.is_le() { lo } else { clo },
                            if h.is_ge() { hi } else { chi },
                        ))),
                        _ => Some(None),
                    }
                }
            };
        }
        if let Some(n) = nulls {
            null_count.insert(name.to_string(), n.into());
        }
        if let Some(Some((lo, hi))) = bounds {
            if let (Some(lo), Some(hi)) = (lo.json(false), hi.json(true)) {
                min_values.insert(name.to_string(), lo);
                max_values.insert(name.to_string(), hi);
            }
        }
    }
    serde_json::json!({
        "numRecords": meta.file_metadata().num_rows(),
        "minValues": min_values,
        "maxValues": max_values,
        "nullCount": null_count,
    })
    .to_string()
}

/// A column chunk's minimum or maximum, as the Delta type orders it.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Bound {
    Bool(bool),
    Int(i64),
    /// Unscaled value and scale.
    Decimal(i128, i32),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 UTC.
    Micros(i64),
    /// Nanoseconds since 1970-01-01 UTC.
    Nanos(i64),
    Str(String),
}

/// The (min, max) of a column chunk, or `None` when it has none or they are
/// of a type (or kind) not kept.
fn chunk_bounds(stats: &Statistics, column: &ColumnDescriptor) -> Option<(Bound, Bound)> {
    let logical = column.logical_type_ref();
    let pair = |lo: Bound, hi: Bound| Some((lo, hi));
    match stats {
        Statistics::Boolean(s) => pair(Bound::Bool(*s.min_opt()?), Bound::Bool(*s.max_opt()?)),
        Statistics::Int32(s) => {
            let (lo, hi) = (*s.min_opt()?, *s.max_opt()?);
            match logical {
                Some(LogicalType::Date) => pair(Bound::Date(lo), Bound::Date(hi)),
                Some(LogicalType::Decimal(d)) => pair(
                    Bound::Decimal(lo.into(), d.scale),
                    Bound::Decimal(hi.into(), d.scale),
                ),
                Some(LogicalType::Integer(i)) if !i.is_signed => None,
                None | Some(LogicalType::Integer(_)) => {
                    pair(Bound::Int(lo.into()), Bound::Int(hi.into()))
                }
                Some(_) => None,
            }
        }
        Statistics::Int64(s) => {
            let (lo, hi) = (*s.min_opt()?, *s.max_opt()?);
            match logical {
                Some(LogicalType::Decimal(d)) => pair(
                    Bound::Decimal(lo.into(), d.scale),
                    Bound::Decimal(hi.into(), d.scale),
                ),
                Some(LogicalType::Timestamp(ts)) if ts.is_adjusted_to_u_t_c => match ts.unit {
                    TimeUnit::MILLIS => pair(
                        Bound::Micros(lo.checked_mul(1000)?),
                        Bound::Micros(hi.checked_mul(1000)?),
                    ),
                    TimeUnit::MICROS => pair(Bound::Micros(lo), Bound::Micros(hi)),
                    TimeUnit::NANOS => pair(Bound::Nanos(lo), Bound::Nanos(hi)),
                },
                Some(LogicalType::Integer(i)) if !i.is_signed => None,
                None | Some(LogicalType::Integer(_)) => pair(Bound::Int(lo), Bound::Int(hi)),
                Some(_) => None,
            }
        }
        Statistics::ByteArray(s) => {
            let utf8 = matches!(logical, Some(LogicalType::String))
                || (logical.is_none() && column.converted_type() == ConvertedType::UTF8);
            if !utf8 {
                return None;
            }
            let lo = String::from_utf8(s.min_bytes_opt()?.to_vec()).ok()?;
            let hi = String::from_utf8(s.max_bytes_opt()?.to_vec()).ok()?;
            pair(Bound::Str(lo), Bound::Str(hi))
        }
        Statistics::FixedLenByteArray(s) => match logical {
            Some(LogicalType::Decimal(d)) => {
                let int = |b: &[u8]| -> Option<i128> {
                    if b.is_empty() || b.len() > 16 {
                        return None;
                    }
                    let mut buf = if b[0] & 0x80 != 0 {
                        [0xff; 16]
                    } else {
                        [0; 16]
                    };
                    buf[16 - b.len()..].copy_from_slice(b);
                    Some(i128::from_be_bytes(buf))
                };
                pair(
                    Bound::Decimal(int(s.min_bytes_opt()?)?, d.scale),
                    Bound::Decimal(int(s.max_bytes_opt()?)?, d.scale),
                )
            }
            _ => None,
        },
        // Float, Double: NaN is not in Parquet's bounds (see `file_stats`); Int96: legacy
        _ => None,
    }
}

impl Bound {
    /// The bound as Delta writes it in `stats` (`upper`: a maximum, rounded
    /// up where it is rounded), or `None` if it cannot be written exactly.
    fn json(&self, upper: bool) -> Option<serde_json::Value> {
        match self {
            Bound::Bool(b) => Some((*b).into()),
            Bound::Int(i) => Some((*i).into()),
            Bound::Decimal(v, 0) => i64::try_from(*v).ok().map(Into::into),
            Bound::Decimal(v, scale) => {
                // exact as a JSON number (f64) when it has at most 15 digits
                if v.unsigned_abs() >= 1_000_000_000_000_000 || !(1..=15).contains(scale) {
                    return None;
                }
                let x = *v as f64 / 10f64.powi(*scale);
                serde_json::Number::from_f64(x).map(Into::into)
            }
            Bound::Date(days) => {
                let date = NaiveDate::default()
                    .checked_add_signed(chrono::Duration::days((*days).into()))?;
                Some(date.format("%Y-%m-%d").to_string().into())
            }
            Bound::Micros(us) => millis_json(*us, 1000, upper),
            Bound::Nanos(ns) => millis_json(*ns, 1_000_000, upper),
            Bound::Str(s) => Some(s.clone().into()),
        }
    }
}

/// A timestamp (`units` per millisecond since the epoch) as Delta's stats
/// write it: milliseconds, UTC; a maximum is rounded up, a minimum down.
fn millis_json(value: i64, units: i64, upper: bool) -> Option<serde_json::Value> {
    let millis = if upper {
        value.div_euclid(units) + i64::from(value.rem_euclid(units) != 0)
    } else {
        value.div_euclid(units)
    };
    let ts = chrono::DateTime::from_timestamp_millis(millis)?;
    Some(ts.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().into())
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        ArrayRef, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
        TimestampMicrosecondArray,
    };
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use parquet::file::reader::FileReader;
    use parquet::file::serialized_reader::SerializedFileReader;
    use serde_json::json;

    #[test]
    fn timestamp_bounds_widen_to_whole_milliseconds() {
        let at = |v, upper| millis_json(v, 1000, upper).unwrap();
        assert_eq!(at(1_500, false), json!("1970-01-01T00:00:00.001Z"));
        assert_eq!(at(1_500, true), json!("1970-01-01T00:00:00.002Z"));
        assert_eq!(at(2_000, true), json!("1970-01-01T00:00:00.002Z"));
        assert_eq!(at(-1_500, false), json!("1969-12-31T23:59:59.998Z"));
        assert_eq!(at(-1_500, true), json!("1969-12-31T23:59:59.999Z"));
    }

    #[test]
    fn decimal_bounds_only_when_exact() {
        assert_eq!(Bound::Decimal(12_345, 2).json(false), Some(json!(123.45)));
        assert_eq!(Bound::Decimal(-5, 0).json(false), Some(json!(-5)));
        assert_eq!(
            Bound::Decimal(999_999_999_999_999, 2).json(true),
            Some(json!(9_999_999_999_999.99))
        );
        assert_eq!(Bound::Decimal(1_000_000_000_000_000, 2).json(true), None);
    }

    /// Statistics of a file of three row groups (2 + 2 + 1 rows), the
    /// middle one all nulls.
    #[test]
    fn stats_from_the_footer() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("score", DataType::Float64, true),
            Field::new("amount", DataType::Decimal128(18, 2), true),
            Field::new(
                "at",
                DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
        ]));
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![
                Some(7),
                Some(-3),
                None,
                None,
                Some(9),
            ])),
            Arc::new(StringArray::from(vec![
                Some("b"),
                Some("a"),
                None,
                None,
                Some("é"),
            ])),
            Arc::new(Float64Array::from(vec![
                Some(1.0),
                Some(f64::NAN),
                None,
                None,
                Some(2.0),
            ])),
            Arc::new(
                Decimal128Array::from(vec![Some(1050), Some(-1), None, None, Some(99_999)])
                    .with_precision_and_scale(18, 2)
                    .unwrap(),
            ),
            Arc::new(
                TimestampMicrosecondArray::from(vec![
                    Some(1_000_500),
                    Some(2_000_000),
                    None,
                    None,
                    Some(1_999_999),
                ])
                .with_timezone("UTC"),
            ),
        ];
        let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(2))
            .build();
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, schema, Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let reader = SerializedFileReader::new(bytes::Bytes::from(buf)).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 3);
        let all = StatsColumns::of(&HashMap::new());
        let stats: serde_json::Value =
            serde_json::from_str(&file_stats(reader.metadata(), &all)).unwrap();
        assert_eq!(
            stats,
            json!({
                "numRecords": 5,
                "nullCount": {"id": 2, "name": 2, "score": 2, "amount": 2, "at": 2},
                "minValues": {"id": -3, "name": "a", "amount": -0.01,
                              "at": "1970-01-01T00:00:01.000Z"},
                "maxValues": {"id": 9, "name": "é", "amount": 999.99,
                              "at": "1970-01-01T00:00:02.000Z"},
            })
        );
        // the first two columns only
        let two = StatsColumns::of(&HashMap::from([(
            "delta.dataSkippingNumIndexedCols".to_string(),
            "2".to_string(),
        )]));
        let stats: serde_json::Value =
            serde_json::from_str(&file_stats(reader.metadata(), &two)).unwrap();
        assert_eq!(stats["nullCount"], json!({"id": 2, "name": 2}));
        assert_eq!(stats["maxValues"], json!({"id": 9, "name": "é"}));
    }
}
