//! The output tables of docs/SPEC.md §4, §6, §8: their exact schemas, and the writer that
//! streams a query result into zstd Parquet part files with statistics.
//! Batches are cast to the declared schema, so the files carry exactly the
//! listed columns, order and types whatever the engine produced.

use std::sync::Arc;

use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::StreamExt;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::ObjectStoreExt;
use parquet::arrow::async_writer::AsyncArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::storage::Location;

fn schema(cols: &[(&str, DataType)]) -> SchemaRef {
    Arc::new(Schema::new(
        cols.iter()
            .map(|(n, t)| Field::new(*n, t.clone(), true))
            .collect::<Vec<_>>(),
    ))
}

/// `customer_tiers` (docs/SPEC.md §4).
pub fn customer_tiers_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("account_id", Utf8),
        ("segment", Utf8),
        ("region", Utf8),
        ("plan", Utf8),
        ("status", Utf8),
        ("monthly_spend", Decimal128(18, 2)),
        ("spend_score", Float64),
        ("payment_score", Float64),
        ("services_score", Float64),
        ("tenure_score", Float64),
        ("influence_score", Float64),
        ("influence_norm", Float64),
        ("is_influencer", Boolean),
        ("value_score", Float64),
        ("tier", Utf8),
        ("value_rank", Int64),
        ("mentions_30d", Int64),
        ("negative_mentions_30d", Int64),
        ("avg_sentiment_30d", Float64),
        ("last_nps_score", Int32),
        ("nps_category", Utf8),
        ("care_priority", Int32),
    ])
}

/// `nps_aggregates` (docs/SPEC.md §4).
pub fn nps_aggregates_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("dimension", Utf8),
        ("dimension_value", Utf8),
        ("responses", Int64),
        ("promoters", Int64),
        ("passives", Int64),
        ("detractors", Int64),
        ("nps", Float64),
        ("margin_of_error_95", Float64),
        ("low_sample", Boolean),
    ])
}

/// `social_pulse` (docs/SPEC.md §4).
pub fn social_pulse_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("dimension", Utf8),
        ("dimension_value", Utf8),
        ("mentions", Int64),
        ("with_sentiment", Int64),
        ("positive", Int64),
        ("neutral", Int64),
        ("negative", Int64),
        ("unique_authors", Int64),
        ("matched_mentions", Int64),
        ("match_rate", Float64),
        ("avg_sentiment", Float64),
        ("social_nps", Float64),
    ])
}

/// `tier_movements` (docs/SPEC.md §6).
pub fn tier_movements_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("account_id", Utf8),
        ("previous_snapshot_date", Date32),
        ("previous_tier", Utf8),
        ("tier", Utf8),
        ("previous_value_score", Float64),
        ("value_score", Float64),
        ("score_change", Float64),
        ("movement", Utf8),
        ("tier_steps", Int32),
    ])
}

/// `tier_migration` (docs/SPEC.md §6).
pub fn tier_migration_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("previous_snapshot_date", Date32),
        ("from_tier", Utf8),
        ("to_tier", Utf8),
        ("movement", Utf8),
        ("accounts", Int64),
    ])
}

/// `nps_changes` (docs/SPEC.md §6).
pub fn nps_changes_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("dimension", Utf8),
        ("dimension_value", Utf8),
        ("baseline_snapshot_date", Date32),
        ("responses_before", Int64),
        ("responses_now", Int64),
        ("nps_before", Float64),
        ("nps_now", Float64),
        ("change", Float64),
        ("margin_of_error_95_change", Float64),
        ("significant", Boolean),
        ("low_sample", Boolean),
    ])
}

/// `care_queue` (docs/SPEC.md §8).
pub fn care_queue_schema() -> SchemaRef {
    use DataType::*;
    let micros_utc = || Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into()));
    schema(&[
        ("mention_id", Utf8),
        ("platform", Utf8),
        ("posted_at", micros_utc()),
        ("author_handle", Utf8),
        ("text", Utf8),
        ("sentiment", Float64),
        ("topic", Utf8),
        ("route", Utf8),
        ("churn_intent", Boolean),
        ("account_id", Utf8),
        ("tier", Utf8),
        ("value_score", Float64),
        ("care_priority", Int32),
        ("influence_norm", Float64),
        ("lane", Utf8),
        ("due_at", micros_utc()),
        ("queue_rank", Int64),
    ])
}

/// The published outputs: (table name = registered query name, schema).
pub fn outputs() -> [(&'static str, SchemaRef); 7] {
    [
        ("customer_tiers", customer_tiers_schema()),
        ("nps_aggregates", nps_aggregates_schema()),
        ("social_pulse", social_pulse_schema()),
        ("tier_movements", tier_movements_schema()),
        ("tier_migration", tier_migration_schema()),
        ("nps_changes", nps_changes_schema()),
        ("care_queue", care_queue_schema()),
    ]
}

/// The order an output's rows are written in (docs/SPEC.md §4, §6): the sort
/// is applied when the rows are written, since a kept (cached) result has
/// several partitions whose order a reader does not preserve. A key may be
/// a column the step computes only for the order (`tier_migration`'s
/// `from_order`, `to_order`): the writer keeps the schema's columns only.
pub fn sort_keys(table: &str) -> &'static [&'static str] {
    match table {
        "customer_tiers" => &["value_rank"],
        "tier_movements" => &["account_id"],
        "tier_migration" => &["from_order", "to_order"],
        "care_queue" => &["queue_rank"],
        _ => &["dimension", "dimension_value"],
    }
}

/// One file written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WrittenFile {
    /// File name inside the partition (`part-NNNNN.parquet`).
    pub name: String,
    /// Rows in the file.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
}

/// Parquet layout settings of the writer.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// Rows per row group.
    pub row_group_size: usize,
    /// Rows per file before the next part is started.
    pub rows_per_file: usize,
}

pub(crate) fn writer_props(layout: Layout) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(layout.row_group_size))
        .set_created_by(format!("pulsetier {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Cast a batch to the declared schema, checking the column names.
pub fn conform(batch: &RecordBatch, target: &SchemaRef, what: &str) -> Result<RecordBatch> {
    if batch.num_columns() != target.fields().len() {
        return Err(Error::Internal(format!(
            "{what}: query produced {} columns, schema has {}",
            batch.num_columns(),
            target.fields().len()
        )));
    }
    let opts = CastOptions {
        safe: false,
        ..Default::default()
    };
    let mut cols = Vec::with_capacity(batch.num_columns());
    for (i, field) in target.fields().iter().enumerate() {
        let got = batch.schema().field(i).name().clone();
        if &got != field.name() {
            return Err(Error::Internal(format!(
                "{what}: column {i} is {got}, expected {}",
                field.name()
            )));
        }
        cols.push(cast_with_options(
            batch.column(i),
            field.data_type(),
            &opts,
        )?);
    }
    Ok(RecordBatch::try_new(target.clone(), cols)?)
}

/// Stream a query result into `dir/part-NNNNN.parquet` files. Always writes
/// at least one file (an empty result gives one file with zero rows, so a
/// reader sees the schema).
pub async fn write_parts(
    loc: &Location,
    dir: &Path,
    mut stream: SendableRecordBatchStream,
    target: &SchemaRef,
    layout: Layout,
    what: &str,
) -> Result<Vec<WrittenFile>> {
    let mut written = Vec::new();
    let mut current: Option<(AsyncArrowWriter<BufWriter>, String, u64)> = None;
    let open = |n: usize| -> Result<(AsyncArrowWriter<BufWriter>, String, u64)> {
        let name = format!("part-{n:05}.parquet");
        let obj = BufWriter::new(loc.store.clone(), dir.clone().join(name.as_str()));
        let w = AsyncArrowWriter::try_new(obj, target.clone(), Some(writer_props(layout)))?;
        Ok((w, name, 0))
    };
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| Error::engine(what, e))?;
        let mut batch = conform(&batch, target, what)?;
        while batch.num_rows() > 0 {
            if current.is_none() {
                current = Some(open(written.len())?);
            }
            let Some((writer, _, rows)) = current.as_mut() else {
                continue;
            };
            let room = layout.rows_per_file - *rows as usize;
            let take = room.min(batch.num_rows());
            writer
                .write(&batch.slice(0, take))
                .await
                .map_err(|e| storage_err(loc, dir, e))?;
            *rows += take as u64;
            batch = batch.slice(take, batch.num_rows() - take);
            if *rows as usize >= layout.rows_per_file {
                if let Some(done) = current.take() {
                    written.push(finish(loc, dir, done).await?);
                }
            }
        }
    }
    if let Some(done) = current.take() {
        written.push(finish(loc, dir, done).await?);
    }
    if written.is_empty() {
        written.push(finish(loc, dir, open(0)?).await?);
    }
    Ok(written)
}

async fn finish(
    loc: &Location,
    dir: &Path,
    (writer, name, rows): (AsyncArrowWriter<BufWriter>, String, u64),
) -> Result<WrittenFile> {
    writer.close().await.map_err(|e| storage_err(loc, dir, e))?;
    let path = dir.clone().join(name.as_str());
    let meta = loc
        .store
        .head(&path)
        .await
        .map_err(loc.storage_err("head", &path))?;
    Ok(WrittenFile {
        name,
        rows,
        bytes: meta.size,
    })
}

fn storage_err(loc: &Location, dir: &Path, e: parquet::errors::ParquetError) -> Error {
    Error::Internal(format!("writing Parquet under {}: {e}", loc.display(dir)))
}
