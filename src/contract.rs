//! The input contract (docs/SPEC.md §2): which columns each input table has, which
//! physical types are accepted for them, and the typed view the SQL steps
//! read. Every file of a partition is checked from its Parquet footer before
//! anything runs, so a bad delivery fails early (exit 3) with the table,
//! file, column, expected and found type; then each file is read with its
//! own schema and cast to the canonical types, tagged with a small
//! `file_id` and its partition's `snapshot_date`, and the files are unioned
//! into `raw_<table>`; `files_<table>` maps each `file_id` to its URL (the
//! `source_file` of `_rejects`). File ids follow the files' URL order, so
//! ordering by `file_id` orders by file name within a partition. The row
//! rules themselves are SQL (`sql/0*_check_*.sql`).

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::common::{Column, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{cast, lit, try_cast, Expr};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
#[allow(deprecated)]
use parquet::arrow::async_reader::ParquetObjectReader;
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;

use crate::error::{Error, Result};
use crate::storage::{redact, InputFile, Location};

/// The logical kind of a contract column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// String: Utf8, LargeUtf8, Utf8View or dictionary of those → Utf8.
    Str,
    /// Integer of any width → Int64.
    Int,
    /// Integer, float or decimal → Float64.
    Number,
    /// Integer, float or decimal → Decimal(18,2), plus a Float64 twin
    /// `<name>_f64` so NaN / infinity / overflow can be rejected.
    Money,
    /// Timestamp of any unit and zone → Timestamp(µs, UTC).
    Timestamp,
    /// Date32, Date64 or a timestamp → Date32.
    Date,
}

impl Kind {
    /// The canonical type of the typed view.
    pub fn canonical(self) -> DataType {
        match self {
            Kind::Str => DataType::Utf8,
            Kind::Int => DataType::Int64,
            Kind::Number => DataType::Float64,
            Kind::Money => DataType::Decimal128(18, 2),
            Kind::Timestamp => utc_micros(),
            Kind::Date => DataType::Date32,
        }
    }

    /// Human description of the accepted physical types, for errors.
    pub fn expected(self) -> &'static str {
        match self {
            Kind::Str => "string (Utf8, LargeUtf8, Utf8View)",
            Kind::Int => "integer (Int8..Int64, UInt8..UInt64)",
            Kind::Number | Kind::Money => "number (integer, float or decimal)",
            Kind::Timestamp => "timestamp (any unit, with or without time zone)",
            Kind::Date => "date (Date32, Date64 or timestamp)",
        }
    }

    /// Whether a physical type is accepted for this kind.
    pub fn accepts(self, dt: &DataType) -> bool {
        if let DataType::Dictionary(_, value) = dt {
            return self == Kind::Str && Kind::Str.accepts(value);
        }
        match self {
            Kind::Str => matches!(
                dt,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ),
            Kind::Int => dt.is_integer(),
            Kind::Number | Kind::Money => {
                dt.is_integer()
                    || dt.is_floating()
                    || matches!(
                        dt,
                        DataType::Decimal32(..)
                            | DataType::Decimal64(..)
                            | DataType::Decimal128(..)
                            | DataType::Decimal256(..)
                    )
            }
            Kind::Timestamp => matches!(dt, DataType::Timestamp(..)),
            Kind::Date => matches!(
                dt,
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
            ),
        }
    }
}

/// Timestamp(µs, "UTC"): the canonical timestamp type.
pub fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// Which partitions a table reads, relative to the snapshot date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Exactly D; a missing partition is an error.
    Snapshot,
    /// D-(mentions_days-1) … D.
    Mentions,
    /// D-(nps_days-1) … D.
    Surveys,
    /// D-(influence_max_age_days-1) … D.
    Influence,
}

/// One input table of the contract.
#[derive(Debug)]
pub struct TableSpec {
    /// Table (and folder) name.
    pub name: &'static str,
    /// The key column (`null_key` rule).
    pub key: &'static str,
    /// Contract columns in contract order.
    pub columns: &'static [(&'static str, Kind)],
    /// Partitions read.
    pub window: Window,
    /// SQL step applying the row rules (reads `raw_<name>`, produces `checked_<name>`).
    pub check_sql: (&'static str, &'static str),
    /// Tables whose `checked_<table>` the check step also reads; the checks
    /// of independent tables run at the same time.
    pub reads_checked: &'static [&'static str],
}

/// accounts (docs/SPEC.md §2).
pub const ACCOUNTS: TableSpec = TableSpec {
    name: "accounts",
    key: "account_id",
    columns: &[
        ("account_id", Kind::Str),
        ("segment", Kind::Str),
        ("region", Kind::Str),
        ("plan", Kind::Str),
        ("status", Kind::Str),
        ("signup_date", Kind::Date),
        ("monthly_spend", Kind::Money),
        ("services_count", Kind::Int),
        ("invoices_due_12m", Kind::Int),
        ("invoices_paid_on_time_12m", Kind::Int),
        ("social_handle", Kind::Str),
    ],
    window: Window::Snapshot,
    check_sql: (
        "01_check_accounts.sql",
        include_str!("../sql/01_check_accounts.sql"),
    ),
    reads_checked: &[],
};

/// mentions (docs/SPEC.md §2).
pub const MENTIONS: TableSpec = TableSpec {
    name: "mentions",
    key: "mention_id",
    columns: &[
        ("mention_id", Kind::Str),
        ("platform", Kind::Str),
        ("author_handle", Kind::Str),
        ("posted_at", Kind::Timestamp),
        ("sentiment", Kind::Number),
        ("text", Kind::Str),
    ],
    window: Window::Mentions,
    check_sql: (
        "02_check_mentions.sql",
        include_str!("../sql/02_check_mentions.sql"),
    ),
    reads_checked: &[],
};

/// surveys (docs/SPEC.md §2).
pub const SURVEYS: TableSpec = TableSpec {
    name: "surveys",
    key: "response_id",
    columns: &[
        ("response_id", Kind::Str),
        ("account_id", Kind::Str),
        ("responded_at", Kind::Timestamp),
        ("score", Kind::Int),
        ("channel", Kind::Str),
    ],
    window: Window::Surveys,
    check_sql: (
        "03_check_surveys.sql",
        include_str!("../sql/03_check_surveys.sql"),
    ),
    reads_checked: &["accounts"],
};

/// influence_scores (docs/SPEC.md §2).
pub const INFLUENCE: TableSpec = TableSpec {
    name: "influence_scores",
    key: "handle",
    columns: &[
        ("handle", Kind::Str),
        ("provider", Kind::Str),
        ("score", Kind::Number),
        ("scored_at", Kind::Timestamp),
    ],
    window: Window::Influence,
    check_sql: (
        "04_check_influence_scores.sql",
        include_str!("../sql/04_check_influence_scores.sql"),
    ),
    reads_checked: &[],
};

/// The four input tables in contract order (surveys after accounts: the
/// survey check reads the checked accounts).
pub const TABLES: [&TableSpec; 4] = [&ACCOUNTS, &MENTIONS, &SURVEYS, &INFLUENCE];

impl TableSpec {
    /// Schema of `_rejects/<table>`: contract columns in canonical types,
    /// then `reject_reason` and `source_file`.
    pub fn reject_schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = self
            .columns
            .iter()
            .map(|(name, kind)| Field::new(*name, kind.canonical(), true))
            .collect();
        fields.push(Field::new("reject_reason", DataType::Utf8, true));
        fields.push(Field::new("source_file", DataType::Utf8, true));
        Arc::new(Schema::new(fields))
    }

    /// Schema of `raw_<table>`: what the typed view of one file yields.
    pub fn raw_schema(&self) -> SchemaRef {
        let mut fields = Vec::new();
        for (name, kind) in self.columns {
            fields.push(Field::new(*name, kind.canonical(), true));
            if *kind == Kind::Money {
                fields.push(Field::new(format!("{name}_f64"), DataType::Float64, true));
            }
        }
        fields.push(Field::new("file_id", DataType::Int32, true));
        fields.push(Field::new("snapshot_date", DataType::Date32, true));
        Arc::new(Schema::new(fields))
    }
}

/// Read a file's Arrow schema from its Parquet footer. A file that is not
/// readable Parquet is a contract violation naming the file.
#[allow(deprecated)] // ParquetObjectReader: still the simplest footer reader over object_store
pub async fn file_schema(loc: &Location, table: &str, file: &InputFile) -> Result<SchemaRef> {
    let reader =
        ParquetObjectReader::new(loc.store.clone(), file.path.clone()).with_file_size(file.size);
    match ParquetRecordBatchStreamBuilder::new(reader).await {
        Ok(builder) => Ok(builder.schema().clone()),
        Err(e) => Err(Error::UnreadableFile {
            table: table.into(),
            file: crate::storage::redact(&file.url),
            message: e.to_string(),
        }),
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
pub fn check_schema(spec: &TableSpec, file_url: &str, schema: &Schema) -> Result<()> {
    for (name, kind) in spec.columns {
        let mismatch = |found: String| Error::SchemaMismatch {
            table: spec.name.into(),
            file: crate::storage::redact(file_url),
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
        .map_err(|e| Error::engine(format!("{}: read {}", spec.name, redact(&file.url)), e))?;
    let mut exprs: Vec<Expr> = Vec::new();
    for (name, kind) in spec.columns {
        let field = find_field(schema, name).ok_or_else(|| {
            Error::Internal(format!("column {name} vanished from {}", redact(&file.url)))
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
            format!("{}: typed view of {}", spec.name, redact(&file.url)),
            e,
        )
    })
}

/// Days since 1970-01-01 of a date (Date32's representation).
pub fn days_since_epoch(d: chrono::NaiveDate) -> i32 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (d - epoch).num_days() as i32
}

/// A table's files with their checked schemas.
#[derive(Debug, Clone)]
pub struct CheckedFiles {
    /// The files, sorted by URL.
    pub files: Vec<(InputFile, SchemaRef)>,
}

/// Check every file of a table against the contract (footer reads only).
pub async fn check_files(
    loc: &Location,
    spec: &TableSpec,
    files: Vec<InputFile>,
) -> Result<CheckedFiles> {
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let schema = file_schema(loc, spec.name, &file).await?;
        check_schema(spec, &file.url, &schema)?;
        out.push((file, schema));
    }
    Ok(CheckedFiles { files: out })
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
            return Some(Error::UnreadableFile {
                table: spec.name.into(),
                file: crate::storage::redact(&file.url),
                message: e.to_string(),
            });
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
        names.push(vec![lit(id), lit(redact(&file.url))]);
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
        None => {
            let schema = datafusion::common::DFSchema::try_from(spec.raw_schema().as_ref().clone())
                .map_err(|e| Error::engine(spec.name, e))?;
            let plan = datafusion::logical_expr::LogicalPlan::EmptyRelation(
                datafusion::logical_expr::EmptyRelation {
                    produce_one_row: false,
                    schema: Arc::new(schema),
                },
            );
            DataFrame::new(ctx.state(), plan)
        }
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
    let plan = if rows.is_empty() {
        let schema = Schema::new(vec![
            Field::new("file_id", DataType::Int32, false),
            Field::new("source_file", DataType::Utf8, false),
        ]);
        let schema = datafusion::common::DFSchema::try_from(schema).map_err(err)?;
        datafusion::logical_expr::LogicalPlan::EmptyRelation(
            datafusion::logical_expr::EmptyRelation {
                produce_one_row: false,
                schema: Arc::new(schema),
            },
        )
    } else {
        datafusion::logical_expr::LogicalPlanBuilder::values(rows)
            .and_then(|b| {
                b.project(vec![
                    Expr::Column(Column::from_name("column1")).alias("file_id"),
                    Expr::Column(Column::from_name("column2")).alias("source_file"),
                ])
            })
            .and_then(|b| b.build())
            .map_err(err)?
    };
    ctx.register_table(name.as_str(), DataFrame::new(ctx.state(), plan).into_view())
        .map_err(|e| Error::engine(name, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_types_follow_the_contract() {
        assert!(Kind::Str.accepts(&DataType::LargeUtf8));
        assert!(Kind::Str.accepts(&DataType::Dictionary(
            Box::new(DataType::Int32),
            Box::new(DataType::Utf8)
        )));
        assert!(!Kind::Str.accepts(&DataType::Int64));
        assert!(Kind::Int.accepts(&DataType::UInt16));
        assert!(!Kind::Int.accepts(&DataType::Float64));
        assert!(Kind::Number.accepts(&DataType::Decimal128(10, 4)));
        assert!(Kind::Money.accepts(&DataType::Float32));
        assert!(Kind::Timestamp.accepts(&DataType::Timestamp(
            TimeUnit::Nanosecond,
            Some("+02:00".into())
        )));
        assert!(!Kind::Timestamp.accepts(&DataType::Date32));
        assert!(Kind::Date.accepts(&DataType::Date64));
    }

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
