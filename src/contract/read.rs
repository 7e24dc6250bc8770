//! Reading the input files (docs/SPEC.md §1–2): list the partitions a run
//! for D reads, check every file from its Parquet footer before anything
//! runs (a bad delivery fails early, exit 3, naming table, file, column,
//! expected and found type), then read each file with its own schema, cast
//! to the canonical types, tagged with a small `file_id` and its partition's
//! `snapshot_date`, and union the files into `raw_<table>`; `files_<table>`
//! maps each `file_id` to its URL (the `source_file` of `_rejects`). File
//! ids follow the files' URL order, so ordering by `file_id` orders by file
//! name within a partition.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::{NaiveDate, SecondsFormat};
use datafusion::common::{Column, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{cast, lit, try_cast, Expr};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
#[allow(deprecated)]
use parquet::arrow::async_reader::ParquetObjectReader;
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;

use super::spec::{partition_dates, utc_micros, Kind, TableSpec, Window};
use crate::calendar::days_since_epoch;
use crate::config::Settings;
use crate::engine::empty_table;
use crate::error::{Error, Result};
use crate::manifest::{FileRead, InputStats};
use crate::storage::{partition_path, InputFile, Location};

/// The snapshot date of a run: `date`, or else the newest accounts
/// partition under `input` (none is a missing partition, naming the URL).
pub async fn snapshot_date(date: Option<NaiveDate>, input: &Location) -> Result<NaiveDate> {
    match date {
        Some(d) => Ok(d),
        None => input
            .newest_partition("accounts")
            .await?
            .ok_or_else(|| Error::MissingPartition {
                table: "accounts".into(),
                url: input.display(&input.child(&["accounts", "snapshot_date=*"])),
            }),
    }
}

/// List the files of every partition a table reads for D, sorted by URL
/// within each partition; a missing snapshot partition is an error, missing
/// days of a window are not. The manifest's record of them comes along.
pub async fn list_table(
    input: &Location,
    spec: &'static TableSpec,
    date: NaiveDate,
    s: &Settings,
) -> Result<(Vec<InputFile>, InputStats)> {
    let mut stats = InputStats::default();
    let mut files = Vec::new();
    for d in partition_dates(spec, date, s) {
        match input.list_partition(spec.name, d).await? {
            Some(found) => {
                stats.partitions_read.push(d.to_string());
                files.extend(found);
            }
            None if spec.window == Window::Snapshot => {
                return Err(Error::MissingPartition {
                    table: spec.name.into(),
                    url: input.display(&partition_path(input, spec.name, d)),
                })
            }
            None => {}
        }
    }
    stats.files = files
        .iter()
        .map(|f| FileRead {
            path: f.shown.clone(),
            snapshot_date: f.snapshot_date.to_string(),
            size: f.size,
            last_modified: f.last_modified.to_rfc3339_opts(SecondsFormat::Millis, true),
        })
        .collect();
    Ok((files, stats))
}

/// Read a file's Arrow schema from its Parquet footer. A file that is not
/// readable Parquet is a contract violation naming the file.
#[allow(deprecated)] // ParquetObjectReader: still the simplest footer reader over object_store
pub async fn file_schema(loc: &Location, table: &str, file: &InputFile) -> Result<SchemaRef> {
    Ok(footer(loc, table, file).await?.0)
}

/// A file's Arrow schema and row count, from its Parquet footer (the row
/// count feeds the completeness checks without a scan).
#[allow(deprecated)] // ParquetObjectReader: see `file_schema`
async fn footer(loc: &Location, table: &str, file: &InputFile) -> Result<(SchemaRef, u64)> {
    let reader =
        ParquetObjectReader::new(loc.store.clone(), file.path.clone()).with_file_size(file.size);
    match ParquetRecordBatchStreamBuilder::new(reader).await {
        Ok(builder) => Ok((
            builder.schema().clone(),
            builder.metadata().file_metadata().num_rows().max(0) as u64,
        )),
        Err(e) => Err(
            Error::store_fault(&e).unwrap_or_else(|| Error::UnreadableFile {
                table: table.into(),
                file: file.shown.clone(),
                message: e.to_string(),
            }),
        ),
    }
}

/// Find a contract column in a file schema: exact name first, then a unique
/// case-insensitive match (Spark and Hive treat names case-insensitively).
fn find_field<'a>(schema: &'a Schema, name: &str) -> Option<&'a Field> {
    if let Ok(f) = schema.field_with_name(name) {
        return Some(f);
    }
    let mut matches = schema
        .fields()
        .iter()
        .filter(|f| f.name().eq_ignore_ascii_case(name));
    match (matches.next(), matches.next()) {
        (Some(f), None) => Some(f.as_ref()),
        _ => None,
    }
}

/// Check a file schema against the contract of its table.
pub fn check_schema(spec: &TableSpec, shown: &str, schema: &Schema) -> Result<()> {
    for (name, kind) in spec.columns {
        let mismatch = |found: String| Error::SchemaMismatch {
            table: spec.name.into(),
            file: shown.to_string(),
            column: (*name).into(),
            expected: kind.expected().into(),
            found,
        };
        match find_field(schema, name) {
            None => return Err(mismatch("missing".into())),
            Some(f) if !kind.accepts(f.data_type()) => {
                return Err(mismatch(f.data_type().to_string()))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The typed view of one file: contract columns cast to canonical types,
/// plus `file_id` and `snapshot_date`.
async fn typed_file(
    ctx: &SessionContext,
    spec: &TableSpec,
    file: &InputFile,
    file_id: i32,
    schema: &Schema,
) -> Result<DataFrame> {
    let opts = ParquetReadOptions::default()
        .file_extension("")
        .schema(schema);
    let df = ctx
        .read_parquet(file.url.as_str(), opts)
        .await
        .map_err(|e| Error::engine(format!("{}: read {}", spec.name, file.shown.clone()), e))?;
    let mut exprs: Vec<Expr> = Vec::new();
    for (name, kind) in spec.columns {
        let field = find_field(schema, name).ok_or_else(|| {
            Error::Internal(format!(
                "column {name} vanished from {}",
                file.shown.clone()
            ))
        })?;
        let c = Expr::Column(Column::from_name(field.name()));
        let typed = match kind {
            Kind::Str => cast(c, DataType::Utf8),
            Kind::Int => try_cast(c, DataType::Int64),
            Kind::Number => try_cast(c, DataType::Float64),
            Kind::Money => {
                exprs.push(try_cast(c.clone(), kind.canonical()).alias(*name));
                try_cast(c, DataType::Float64).alias(format!("{name}_f64"))
            }
            // a value past the µs range becomes NULL (then null_value:<col>), not an error
            Kind::Timestamp => try_cast(c, utc_micros()),
            Kind::Date if matches!(field.data_type(), DataType::Timestamp(..)) => {
                cast(try_cast(c, utc_micros()), DataType::Date32)
            }
            Kind::Date => cast(c, DataType::Date32),
        };
        let alias = if *kind == Kind::Money {
            format!("{name}_f64")
        } else {
            (*name).to_string()
        };
        exprs.push(typed.alias(alias));
    }
    exprs.push(lit(file_id).alias("file_id"));
    exprs.push(
        lit(ScalarValue::Date32(Some(days_since_epoch(
            file.snapshot_date,
        ))))
        .alias("snapshot_date"),
    );
    df.select(exprs).map_err(|e| {
        Error::engine(
            format!("{}: typed view of {}", spec.name, file.shown.clone()),
            e,
        )
    })
}

/// A table's files with their checked schemas.
#[derive(Debug, Clone)]
pub struct CheckedFiles {
    /// The files, sorted by URL.
    pub files: Vec<(InputFile, SchemaRef)>,
    /// Rows of each file (same order), from its footer.
    pub rows: Vec<u64>,
}

impl CheckedFiles {
    /// Rows per partition date, from the footers.
    pub fn rows_per_day(&self) -> std::collections::BTreeMap<NaiveDate, u64> {
        let mut out = std::collections::BTreeMap::new();
        for ((file, _), rows) in self.files.iter().zip(&self.rows) {
            *out.entry(file.snapshot_date).or_default() += rows;
        }
        out
    }
}

/// Check every file of a table against the contract (footer reads only).
pub async fn check_files(
    loc: &Location,
    spec: &TableSpec,
    files: Vec<InputFile>,
) -> Result<CheckedFiles> {
    let mut out = Vec::with_capacity(files.len());
    let mut rows = Vec::with_capacity(files.len());
    for file in files {
        let (schema, n) = footer(loc, spec.name, &file).await?;
        check_schema(spec, &file.shown, &schema)?;
        out.push((file, schema));
        rows.push(n);
    }
    Ok(CheckedFiles { files: out, rows })
}

/// Find the file behind a failure while reading a table: decode every file
/// completely and return the first one that is not readable Parquet.
/// Footers are checked up front; this catches damage inside the data pages.
#[allow(deprecated)] // ParquetObjectReader: see `file_schema`
pub async fn diagnose(loc: &Location, spec: &TableSpec, files: &CheckedFiles) -> Option<Error> {
    use futures::TryStreamExt;
    for (file, _) in &files.files {
        let reader = ParquetObjectReader::new(loc.store.clone(), file.path.clone())
            .with_file_size(file.size);
        let result = match ParquetRecordBatchStreamBuilder::new(reader).await {
            Ok(builder) => match builder.build() {
                Ok(stream) => stream.try_for_each(|_| async { Ok(()) }).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            return Some(
                Error::store_fault(&e).unwrap_or_else(|| Error::UnreadableFile {
                    table: spec.name.into(),
                    file: file.shown.clone(),
                    message: e.to_string(),
                }),
            );
        }
    }
    None
}

/// Register `raw_<table>`: the union of the typed views of all files.
pub async fn register_raw(
    ctx: &SessionContext,
    spec: &TableSpec,
    files: &CheckedFiles,
) -> Result<()> {
    // One flat union of every file's typed view (not a chain of pairwise
    // unions, whose depth would grow with the number of files).
    let mut plans = Vec::with_capacity(files.files.len());
    let mut names = Vec::with_capacity(files.files.len());
    for (id, (file, schema)) in files.files.iter().enumerate() {
        let id = i32::try_from(id)
            .map_err(|_| Error::Internal(format!("{}: too many files", spec.name)))?;
        let (_, plan) = typed_file(ctx, spec, file, id, schema).await?.into_parts();
        plans.push(Arc::new(plan));
        names.push(vec![lit(id), lit(file.shown.clone())]);
    }
    register_file_names(ctx, spec, names)?;
    let union = match plans.len() {
        0 => None,
        1 => plans
            .pop()
            .map(|p| DataFrame::new(ctx.state(), p.as_ref().clone())),
        _ => {
            let union = datafusion::logical_expr::Union::try_new(plans)
                .map_err(|e| Error::engine(format!("{}: union", spec.name), e))?;
            Some(DataFrame::new(
                ctx.state(),
                datafusion::logical_expr::LogicalPlan::Union(union),
            ))
        }
    };
    let df = match union {
        Some(df) => df,
        // no file at all: an empty relation with the typed schema (a plan
        // node any engine can ship, unlike an in-memory table)
        None => empty_table(ctx, &spec.raw_schema(), spec.name)?,
    };
    let name = format!("raw_{}", spec.name);
    ctx.register_table(name.as_str(), df.into_view())
        .map_err(|e| Error::engine(name, e))?;
    Ok(())
}

/// Register `files_<table>` (`file_id` Int32, `source_file` Utf8): a VALUES
/// plan, which any engine can ship (unlike an in-memory table).
fn register_file_names(ctx: &SessionContext, spec: &TableSpec, rows: Vec<Vec<Expr>>) -> Result<()> {
    let name = format!("files_{}", spec.name);
    let err = |e| Error::engine(format!("{}: file names", spec.name), e);
    let df = if rows.is_empty() {
        let schema = Schema::new(vec![
            Field::new("file_id", DataType::Int32, false),
            Field::new("source_file", DataType::Utf8, false),
        ]);
        empty_table(ctx, &schema, &format!("{}: file names", spec.name))?
    } else {
        let plan = datafusion::logical_expr::LogicalPlanBuilder::values(rows)
            .and_then(|b| {
                b.project(vec![
                    Expr::Column(Column::from_name("column1")).alias("file_id"),
                    Expr::Column(Column::from_name("column2")).alias("source_file"),
                ])
            })
            .and_then(|b| b.build())
            .map_err(err)?;
        DataFrame::new(ctx.state(), plan)
    };
    ctx.register_table(name.as_str(), df.into_view())
        .map_err(|e| Error::engine(name, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::spec::INFLUENCE;

    #[test]
    fn schema_errors_name_table_file_column_and_types() {
        let schema = Schema::new(vec![
            Field::new("handle", DataType::Utf8, true),
            Field::new("provider", DataType::Utf8, true),
            Field::new("score", DataType::Utf8, true),
        ]);
        let err = check_schema(&INFLUENCE, "file:///x/f.parquet", &schema).unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.exit_code(), 3);
        for part in [
            "influence_scores",
            "file:///x/f.parquet",
            "score",
            "number",
            "Utf8",
        ] {
            assert!(msg.contains(part), "{msg} lacks {part}");
        }
        let schema = Schema::new(vec![
            Field::new("HANDLE", DataType::Utf8, true),
            Field::new("provider", DataType::Utf8, true),
            Field::new("score", DataType::Int32, true),
        ]);
        let msg = check_schema(&INFLUENCE, "f", &schema)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("scored_at") && msg.contains("missing"),
            "{msg}"
        );
    }
}
