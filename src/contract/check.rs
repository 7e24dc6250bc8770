//! Applying the row rules (docs/SPEC.md §2): each table's check step
//! (`sql/0*_check_*.sql`) turns `raw_<table>` into `checked_<table>` (every
//! row, with its `reject_reason` or none, and `is_duplicate`); then the rows
//! read, rejects by reason and dropped duplicates are counted (the quality
//! gate reads them: [`super::gate`]), and the rejects are shaped for
//! `_rejects/<table>`.

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use datafusion::common::ParamValues;
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::logical_expr::{case, col, lit, Expr, JoinType, SortExpr};
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};

use super::read::{diagnose, CheckedFiles};
use super::spec::TableSpec;
use crate::config::RejectsSettings;
use crate::engine::{plan_sql, Engine, Keep};
use crate::error::{Error, Result};
use crate::manifest::InputStats;

/// Run every table's check step: the checks that read no other checked
/// table first, then those that do (surveys reads checked_accounts); the
/// checks of one wave run `together` at a time. A failure while reading a
/// table names the damaged file when a data page (not the footer) is bad.
pub async fn run_checks(
    st: &super::Stage<'_>,
    checked: &[(&'static TableSpec, CheckedFiles)],
) -> Result<()> {
    let super::Stage {
        ctx,
        keep,
        params,
        input,
        together,
        ..
    } = *st;
    for dependent in [false, true] {
        // the futures are collected first: a lazy filter over borrowed
        // tables would make the future not `Send` for every lifetime
        let mut wave = Vec::new();
        for (spec, files) in checked
            .iter()
            .filter(|(spec, _)| spec.reads_checked.is_empty() != dependent)
        {
            wave.push(async move {
                match run_check(ctx, spec, params, keep).await {
                    Ok(()) => Ok(()),
                    Err(e) => Err(diagnose(input, spec, files).await.unwrap_or(e)),
                }
            });
        }
        futures::stream::iter(wave)
            .buffered(together)
            .try_collect::<Vec<()>>()
            .await?;
    }
    Ok(())
}

/// Run a table's check step into `checked_<table>`.
async fn run_check(
    ctx: &SessionContext,
    spec: &TableSpec,
    params: &ParamValues,
    keep: &Keep,
) -> Result<()> {
    let raw = format!("raw_{}", spec.name);
    let in_memory = matches!(keep, Keep::Memory);
    if in_memory {
        // the check reads its input several times (rules, repeated keys,
        // contested copies): read and cast the files once
        let df = ctx
            .table(raw.as_str())
            .await
            .map_err(|e| Error::engine(&raw, e))?;
        ctx.deregister_table(raw.as_str())
            .map_err(|e| Error::engine(&raw, e))?;
        keep.register(ctx, &raw, df).await?;
    }
    let (file, sql) = spec.check_sql;
    let df = plan_sql(ctx, file, sql, params).await?;
    keep.register(ctx, &format!("checked_{}", spec.name), df)
        .await?;
    if in_memory {
        // nothing reads it any more: free the memory
        ctx.deregister_table(raw.as_str())
            .map_err(|e| Error::engine(&raw, e))?;
    }
    Ok(())
}

/// Count rows read, rejects by reason and dropped duplicates of a checked table.
pub async fn count_rows(
    ctx: &SessionContext,
    spec: &TableSpec,
    stats: &mut InputStats,
) -> Result<()> {
    let name = format!("checked_{}", spec.name);
    let dup = case(col("is_duplicate"))
        .when(lit(true), lit(1i64))
        .otherwise(lit(0i64))
        .map_err(|e| Error::engine(&name, e))?;
    let batches = ctx
        .table(name.as_str())
        .await
        .and_then(|df| {
            df.aggregate(
                vec![col("reject_reason")],
                vec![count(lit(1)).alias("n"), sum(dup).alias("dups")],
            )
        })
        .map_err(|e| Error::engine(&name, e))?
        .collect()
        .await
        .map_err(|e| Error::engine(&name, e))?;
    for b in &batches {
        // Utf8 from memory, Utf8View when read back from Parquet files
        let reasons = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
        let reasons = reasons.as_string::<i32>();
        let n = b.column(1).as_primitive::<Int64Type>();
        let dups = b.column(2).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let rows = n.value(i) as u64;
            stats.rows_read += rows;
            if !dups.is_null(i) {
                stats.duplicates_dropped += dups.value(i) as u64;
            }
            if !reasons.is_null(i) {
                stats.rejected += rows;
                *stats
                    .rejected_by_reason
                    .entry(reasons.value(i).to_string())
                    .or_default() += rows;
            }
        }
    }
    stats.reject_ratio = if stats.rows_read == 0 {
        0.0
    } else {
        stats.rejected as f64 / stats.rows_read as f64
    };
    Ok(())
}

/// The rejects of a table, in `_rejects/<table>` shape and order: source
/// file, key, reason, then every other column.
/// `[rejects]` may cap the rows per reason and add a `run_id` column
/// ([`super::rejects`]).
pub async fn rejects_frame(
    ctx: &SessionContext,
    engine: &Engine,
    spec: &TableSpec,
    opts: &RejectsSettings,
    run_id: &str,
) -> Result<DataFrame> {
    let name = format!("checked_{}", spec.name);
    let mut cols: Vec<Expr> = spec.columns.iter().map(|(c, _)| col(*c)).collect();
    cols.push(col("reject_reason"));
    cols.push(col("source_file"));
    let mut order: Vec<SortExpr> = vec![
        col("source_file").sort(true, false),
        col(spec.key).sort(true, false),
        col("reject_reason").sort(true, false),
    ];
    order.extend(
        spec.columns
            .iter()
            .filter(|(c, _)| *c != spec.key)
            .map(|(c, _)| col(*c).sort(true, false)),
    );
    let what = format!("_rejects/{}", spec.name);
    let err = |e| Error::engine(&what, e);
    // file ids → URLs: the (few) files are the join's build side
    let files = ctx
        .table(format!("files_{}", spec.name).as_str())
        .await
        .map_err(err)?;
    let rows = ctx
        .table(name.as_str())
        .await
        .and_then(|df| df.filter(col("reject_reason").is_not_null()))
        .and_then(|df| files.join(df, JoinType::Inner, &["file_id"], &["file_id"], None))
        .and_then(|df| df.select(cols))
        .map_err(err)?;
    let rows = super::rejects::shape(rows, &order, opts, run_id, &what)?;
    engine.sorted(rows, order, &what).await
}
