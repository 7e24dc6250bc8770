//! Options of `_rejects/<table>` (`[rejects]`, docs/checks.md): a `run_id`
//! column saying which run wrote each row, and a cap on the rows written
//! per `reject_reason` (a broken delivery can reject millions of rows that
//! say the same thing; the manifest's counts stay exact). Both are off by
//! default: a `run_id` differs on every run, so reruns of a date would no
//! longer publish byte-identical files.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::dataframe::DataFrame;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{col, lit, ExprFunctionExt, SortExpr};

use super::spec::TableSpec;
use crate::config::RejectsSettings;
use crate::error::{Error, Result};

/// Name of the column the run id goes in.
pub const RUN_ID: &str = "run_id";

/// Schema of `_rejects/<table>`: the contract's, then `run_id` if asked.
pub fn schema(spec: &TableSpec, opts: &RejectsSettings) -> SchemaRef {
    let base = spec.reject_schema();
    if !opts.with_run_id {
        return base;
    }
    let mut fields: Vec<Field> = base.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(RUN_ID, DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// Apply the options to the rejects of a table (`order` is the order the
/// rows are written in: the cap keeps the first rows of each reason in it).
pub fn shape(
    rows: DataFrame,
    order: &[SortExpr],
    opts: &RejectsSettings,
    run_id: &str,
    what: &str,
) -> Result<DataFrame> {
    let err = |e| Error::engine(what, e);
    let mut rows = rows;
    if opts.max_per_reason > 0 {
        let n = row_number()
            .partition_by(vec![col("reject_reason")])
            .order_by(order.to_vec())
            .build()
            .map_err(err)?
            .alias("_reject_n");
        rows = rows
            .window(vec![n])
            .and_then(|df| df.filter(col("_reject_n").lt_eq(lit(opts.max_per_reason))))
            .and_then(|df| df.drop_columns(&["_reject_n"]))
            .map_err(err)?;
    }
    if opts.with_run_id {
        rows = rows.with_column(RUN_ID, lit(run_id)).map_err(err)?;
    }
    Ok(rows)
}
