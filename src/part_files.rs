//! Part files: the writer that streams a query result into zstd Parquet
//! `part-NNNNN.parquet` files with statistics, for staged outputs, staged
//! rejects and kept step results alike. Batches are cast to the declared
//! schema, so the files carry exactly the listed columns, order and types
//! whatever the engine produced.

use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::SchemaRef;
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

/// Where and how [`write_parts`] writes a table's part files.
#[derive(Debug, Clone)]
pub struct PartFiles {
    /// The store written to.
    pub location: Location,
    /// The folder the parts go in.
    pub dir: Path,
    /// The columns, order and types of the files.
    pub schema: SchemaRef,
    /// Row group and file sizes.
    pub layout: Layout,
    /// The table's name, for errors.
    pub table: String,
}

/// Stream a query result into `dir/part-NNNNN.parquet` files. Always writes
/// at least one file (an empty result gives one file with zero rows, so a
/// reader sees the schema).
pub async fn write_parts(
    to: &PartFiles,
    mut stream: SendableRecordBatchStream,
) -> Result<Vec<WrittenFile>> {
    let PartFiles {
        location: loc,
        dir,
        schema: target,
        layout,
        table: what,
    } = to;
    let layout = *layout;
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
    Error::store_fault(&e).unwrap_or_else(|| Error::Write {
        url: loc.display(dir),
        source: e,
    })
}
