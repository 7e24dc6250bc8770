//! The small queries of `explain-account` (`sql/explain_account/*.sql`),
//! run against a transformed session and read back as typed rows: each
//! result row becomes a JSON object (strings, integers, doubles, booleans;
//! decimals, dates and timestamps as their Arrow text, e.g. `88.80`,
//! `2019-01-15`, `2026-02-01T00:00:00Z`) and is deserialized into the row
//! type the caller asks for.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::prelude::SessionContext;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use crate::engine::plan_sql;
use crate::error::{Error, Result};

/// One query: its file name (for errors) and SQL text.
pub(super) type Query = (&'static str, &'static str);

/// Every row of `query` with `params` bound, as `T`s.
pub(super) async fn rows<T: DeserializeOwned>(
    ctx: &SessionContext,
    query: Query,
    params: &ParamValues,
) -> Result<Vec<T>> {
    let (file, sql) = query;
    let batches = plan_sql(ctx, file, sql, params)
        .await?
        .collect()
        .await
        .map_err(|e| Error::engine(file, e))?;
    let mut out = Vec::new();
    for object in objects(&batches)? {
        let row = serde_json::from_value(Value::Object(object))
            .map_err(|e| Error::Internal(format!("{file}: unexpected row: {e}")))?;
        out.push(row);
    }
    Ok(out)
}

/// At most one row of `query` (an error if there are more).
pub(super) async fn one<T: DeserializeOwned>(
    ctx: &SessionContext,
    query: Query,
    params: &ParamValues,
) -> Result<Option<T>> {
    let mut found = rows(ctx, query, params).await?;
    if found.len() > 1 {
        return Err(Error::Internal(format!(
            "{}: {} rows where at most one was expected",
            query.0,
            found.len()
        )));
    }
    Ok(found.pop())
}

/// The rows of `batches` as JSON objects, column name → value.
fn objects(batches: &[RecordBatch]) -> Result<Vec<Map<String, Value>>> {
    let mut out = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        let mut columns = Vec::new();
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            columns.push((field.name().clone(), values(array)?));
        }
        for r in 0..batch.num_rows() {
            let object = columns
                .iter()
                .map(|(name, values)| (name.clone(), values[r].clone()))
                .collect();
            out.push(object);
        }
    }
    Ok(out)
}

/// One column as JSON values (null stays null).
fn values(array: &ArrayRef) -> Result<Vec<Value>> {
    let n = array.len();
    let null_or = |i: usize, v: Value| if array.is_null(i) { Value::Null } else { v };
    let cast = |to: &DataType| arrow::compute::cast(array, to);
    Ok(match array.data_type() {
        DataType::Boolean => {
            let a = array.as_boolean();
            (0..n)
                .map(|i| null_or(i, Value::Bool(a.value(i))))
                .collect()
        }
        t if t.is_integer() => {
            let a = cast(&DataType::Int64)?;
            let a = a.as_primitive::<Int64Type>();
            (0..n)
                .map(|i| null_or(i, Value::from(a.value(i))))
                .collect()
        }
        t if t.is_floating() => {
            let a = cast(&DataType::Float64)?;
            let a = a.as_primitive::<Float64Type>();
            (0..n)
                .map(|i| {
                    let v = Number::from_f64(a.value(i)).map_or(Value::Null, Value::Number);
                    null_or(i, v)
                })
                .collect()
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => {
            let a = cast(&DataType::Utf8)?;
            let a = a.as_string::<i32>();
            (0..n)
                .map(|i| null_or(i, Value::String(a.value(i).to_string())))
                .collect()
        }
        _ => {
            let f = ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())?;
            (0..n)
                .map(|i| null_or(i, Value::String(f.value(i).to_string())))
                .collect()
        }
    })
}

/// `params` with `$account_id` bound too.
pub(super) fn with_account(params: &ParamValues, account: &str) -> ParamValues {
    let mut params = params.clone();
    if let ParamValues::Map(map) = &mut params {
        map.insert(
            "account_id".into(),
            ScalarValue::Utf8(Some(account.to_string())).into(),
        );
    }
    params
}

/// A bound parameter of the run, as it was bound.
fn param<'a>(params: &'a ParamValues, name: &str) -> Result<&'a ScalarValue> {
    match params {
        ParamValues::Map(map) => map.get(name).map(|p| &p.value),
        ParamValues::List(_) => None,
    }
    .ok_or_else(|| Error::Internal(format!("explain-account: no parameter ${name}")))
}

/// A timestamp parameter (a window bound) as RFC 3339 text.
pub(super) fn param_time(params: &ParamValues, name: &str) -> Result<String> {
    let v = param(params, name)?;
    let array = v.to_array().map_err(|e| Error::engine(name, e))?;
    let text = ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())?
        .value(0)
        .to_string();
    Ok(text)
}
