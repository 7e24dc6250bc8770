//! What the report shows, read back from what a run left: the published
//! partitions (through the [`Publisher`], so Hive and Delta alike) and the
//! manifests. Nothing is recomputed from the inputs; a table the report
//! shows has exactly the rows a BI tool reading that partition sees.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use chrono::{Days, NaiveDate};
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};
use crate::history::published;
use crate::manifest::{self, Manifest};
use crate::output::outputs;
use crate::publish::Publisher;
use crate::storage::Location;

/// The tiers in the order the report lists them.
pub const TIERS: [&str; 4] = ["platinum", "gold", "silver", "bronze"];
/// Width of a value_score histogram bin.
pub const BIN_WIDTH: f64 = 5.0;
/// Bins over 0 … 100; the last one holds 100 too.
pub const BINS: usize = 20;

/// One date of the charts over time.
#[derive(Debug, Clone)]
pub struct DateRow {
    /// The snapshot date.
    pub date: NaiveDate,
    /// The newest run of the date, if any ran.
    pub run: Option<Manifest>,
    /// Accounts per tier of its committed `customer_tiers` (`None`: not committed).
    pub tiers: Option<BTreeMap<String, u64>>,
}

/// Everything the report shows for snapshot date D.
#[derive(Debug, Clone)]
pub struct ReportData {
    /// D.
    pub date: NaiveDate,
    /// D's newest (successful) run.
    pub manifest: Manifest,
    /// D−days+1 … D, oldest first.
    pub dates: Vec<DateRow>,
    /// Accounts of D per value_score bin (`BINS` bins of `BIN_WIDTH`).
    pub histogram: Vec<u64>,
    /// D's `nps_aggregates`, as published.
    pub nps: Table,
    /// D's `social_pulse`, as published.
    pub pulse: Table,
    /// D's `tier_migration`, when that table is committed for D.
    pub migration: Option<Table>,
}

/// Rows of a published table, every value as the text the report prints
/// (`None` = null) with its column names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Column names.
    pub columns: Vec<String>,
    /// Values per row, in the published order.
    pub rows: Vec<Vec<Option<String>>>,
}

impl Table {
    /// Index of `column`.
    pub fn col(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == column)
    }

    /// The value of `column` in `row` parsed as a number (0 when null or absent).
    pub fn num(&self, row: &[Option<String>], column: &str) -> f64 {
        self.col(column)
            .and_then(|i| row.get(i).cloned().flatten())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    /// The text of `column` in `row` (empty when null or absent).
    pub fn text<'a>(&self, row: &'a [Option<String>], column: &str) -> &'a str {
        self.col(column)
            .and_then(|i| row.get(i))
            .and_then(|v| v.as_deref())
            .unwrap_or("")
    }
}

/// Snapshot date D of the report: `date`, or the newest date with a
/// manifest under the output. D's newest run must have succeeded.
pub async fn resolve_date(out: &Location, date: Option<NaiveDate>) -> Result<NaiveDate> {
    match date {
        Some(d) => Ok(d),
        None => out.newest_partition("_manifests").await?.ok_or_else(|| {
            Error::Usage(format!(
                "report: no run manifest under {}",
                out.display(&out.child(&["_manifests"]))
            ))
        }),
    }
}

/// Read what the report of D shows, over `days` dates ending on D.
pub async fn gather(
    publisher: &Publisher,
    out: &Location,
    date: NaiveDate,
    days: u32,
) -> Result<ReportData> {
    let manifest = match newest_run(out, date).await? {
        Some(m) if m.status == manifest::Status::Success && publisher.is_committed(date).await? => m,
        other => {
            return Err(Error::Usage(format!(
                "report: snapshot_date={date} is not committed under {} ({}); pass --date of a committed date",
                out.display(&out.prefix),
                other.map_or("no run".to_string(), |m| format!("newest run {} ended {}", m.run_id, m.status.as_str()))
            )))
        }
    };
    let ctx = SessionContext::new();
    out.register(&ctx);
    let mut dates = Vec::new();
    for back in (0..u64::from(days)).rev() {
        let Some(d) = date.checked_sub_days(Days::new(back)) else {
            continue;
        };
        let run = if d == date {
            Some(manifest.clone())
        } else {
            newest_run(out, d).await?
        };
        let tiers = if publisher.is_table_committed("customer_tiers", d).await? {
            let t = query(
                &ctx,
                publisher,
                "customer_tiers",
                d,
                "SELECT tier, COUNT(*) AS accounts FROM t GROUP BY tier ORDER BY tier",
            )
            .await?;
            Some(
                t.rows
                    .iter()
                    .map(|r| (t.text(r, "tier").to_string(), t.num(r, "accounts") as u64))
                    .collect(),
            )
        } else {
            None
        };
        dates.push(DateRow {
            date: d,
            run,
            tiers,
        });
    }
    let bins = query(&ctx, publisher, "customer_tiers", date, &format!(
        "SELECT LEAST(CAST(FLOOR(value_score / {BIN_WIDTH}) AS BIGINT), {last}) AS bin, COUNT(*) AS accounts \
         FROM t WHERE value_score IS NOT NULL GROUP BY 1 ORDER BY 1", last = BINS - 1)).await?;
    let mut histogram = vec![0; BINS];
    for r in &bins.rows {
        let bin = bins.num(r, "bin").clamp(0.0, (BINS - 1) as f64) as usize;
        histogram[bin] += bins.num(r, "accounts") as u64;
    }
    let nps = query(
        &ctx,
        publisher,
        "nps_aggregates",
        date,
        "SELECT * FROM t ORDER BY dimension, dimension_value",
    )
    .await?;
    let pulse = query(
        &ctx,
        publisher,
        "social_pulse",
        date,
        "SELECT * FROM t ORDER BY dimension, dimension_value",
    )
    .await?;
    // a date committed before tier_migration existed has no such table
    let migration = if publisher.is_table_committed("tier_migration", date).await? {
        Some(query(&ctx, publisher, "tier_migration", date, "SELECT * FROM t").await?)
            .filter(|t| !t.rows.is_empty())
    } else {
        None
    };
    Ok(ReportData {
        date,
        manifest,
        dates,
        histogram,
        nps,
        pulse,
        migration,
    })
}

/// The newest manifest of `date` that reads as this version's shape.
async fn newest_run(out: &Location, date: NaiveDate) -> Result<Option<Manifest>> {
    let Some(doc) = manifest::newest(out, date).await? else {
        return Ok(None);
    };
    match serde_json::from_value::<Manifest>(doc.json().clone()) {
        Ok(m) => Ok(Some(m)),
        Err(e) => {
            tracing::warn!(snapshot_date = %date, error = %e, "report: manifest of another shape, left out");
            Ok(None)
        }
    }
}

/// Run `sql` over partition `date` of the published `table`, registered as `t`.
async fn query(
    ctx: &SessionContext,
    publisher: &Publisher,
    table: &str,
    date: NaiveDate,
    sql: &str,
) -> Result<Table> {
    let schema = outputs()
        .into_iter()
        .find_map(|(name, schema)| (name == table).then_some(schema))
        .ok_or_else(|| Error::Internal(format!("report: no output table {table}")))?;
    let files = publisher.published_files(table, date).await?;
    let df = published(ctx, table, files, schema).await?;
    ctx.deregister_table("t")
        .map_err(|e| Error::engine(table, e))?;
    ctx.register_table("t", df.into_view())
        .map_err(|e| Error::engine(table, e))?;
    let batches = ctx
        .sql(sql)
        .await
        .map_err(|e| Error::engine(table, e))?
        .collect()
        .await
        .map_err(|e| Error::engine(table, e))?;
    to_table(table, &batches)
}

/// Every value as text: integers as they are, floating point numbers in
/// their shortest exact form, booleans `true`/`false`, decimals as written.
fn to_table(table: &str, batches: &[RecordBatch]) -> Result<Table> {
    let mut out = Table::default();
    for batch in batches {
        if out.columns.is_empty() {
            out.columns = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
        }
        let mut cols = Vec::new();
        for col in batch.columns() {
            cols.push(texts(col.as_ref()).map_err(|e| Error::engine(table, e.into()))?);
        }
        for i in 0..batch.num_rows() {
            out.rows.push(cols.iter().map(|c| c[i].clone()).collect());
        }
    }
    Ok(out)
}

fn texts(col: &dyn Array) -> std::result::Result<Vec<Option<String>>, arrow::error::ArrowError> {
    let n = col.len();
    let value = |i: usize, f: &dyn Fn(usize) -> String| (!col.is_null(i)).then(|| f(i));
    Ok(match col.data_type() {
        DataType::Float32 | DataType::Float64 => {
            let a = cast(col, &DataType::Float64)?;
            let a = a.as_primitive::<Float64Type>();
            (0..n)
                .map(|i| value(i, &|i| a.value(i).to_string()))
                .collect()
        }
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => {
            let a = cast(col, &DataType::Int64)?;
            let a = a.as_primitive::<Int64Type>();
            (0..n)
                .map(|i| value(i, &|i| a.value(i).to_string()))
                .collect()
        }
        DataType::Boolean => {
            let a = col.as_boolean();
            (0..n)
                .map(|i| value(i, &|i| a.value(i).to_string()))
                .collect()
        }
        _ => {
            let a = cast(col, &DataType::Utf8)?;
            let a = a.as_string::<i32>();
            (0..n)
                .map(|i| value(i, &|i| a.value(i).to_string()))
                .collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, BooleanArray, Decimal128Array, Float64Array, Int32Array, StringArray,
    };
    use arrow::datatypes::{Field, Schema};

    use super::*;

    #[test]
    fn values_print_as_written_and_parse_back() {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Float64Array::from(vec![Some(1.0), Some(0.1 + 0.2), None])),
            Arc::new(Int32Array::from(vec![Some(-5), None, Some(7)])),
            Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])),
            Arc::new(
                Decimal128Array::from(vec![Some(1230), Some(5), None])
                    .with_precision_and_scale(18, 2)
                    .unwrap(),
            ),
            Arc::new(StringArray::from(vec![Some("a"), None, Some("(unknown)")])),
        ];
        let schema = Schema::new(
            ["f", "i", "b", "d", "s"]
                .iter()
                .zip(&cols)
                .map(|(n, c)| Field::new(*n, c.data_type().clone(), true))
                .collect::<Vec<_>>(),
        );
        let batch = RecordBatch::try_new(Arc::new(schema), cols).unwrap();
        let t = to_table("x", &[batch]).unwrap();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(t.columns, ["f", "i", "b", "d", "s"]);
        assert_eq!(t.rows[0], [s("1"), s("-5"), s("true"), s("12.30"), s("a")]);
        // the shortest text that parses back to the same double
        assert_eq!(t.rows[1][0], s("0.30000000000000004"));
        assert_eq!(
            t.rows[1][0].as_deref().unwrap().parse::<f64>().unwrap(),
            0.1 + 0.2
        );
        assert_eq!(t.rows[2], [None, s("7"), None, None, s("(unknown)")]);
        assert_eq!(t.num(&t.rows[2], "i"), 7.0);
        assert_eq!(t.num(&t.rows[2], "f"), 0.0);
        assert_eq!(t.text(&t.rows[1], "s"), "");
    }
}
