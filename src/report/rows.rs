//! The report's typed rows: each query of `sql/report/` decoded column by
//! column into a struct, the column found by name and checked for its type,
//! so a mistyped name or a foreign file is an error naming the table and
//! column, never a silent 0.

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType};
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

/// One result batch of a report query over a published `table`.
pub struct Columns<'a> {
    batch: &'a RecordBatch,
    table: &'a str,
}

impl<'a> Columns<'a> {
    /// The columns of `batch`, a result over `table`.
    pub fn new(batch: &'a RecordBatch, table: &'a str) -> Columns<'a> {
        Columns { batch, table }
    }

    fn column(&self, name: &str, want: &DataType) -> Result<&'a Arc<dyn Array>> {
        let col = self
            .batch
            .column_by_name(name)
            .ok_or_else(|| self.err(name, "no such column".into()))?;
        if col.data_type() != want {
            return Err(self.err(name, format!("expected {want}, found {}", col.data_type())));
        }
        Ok(col)
    }

    fn err(&self, column: &str, message: String) -> Error {
        Error::Published {
            table: self.table.to_string(),
            column: column.to_string(),
            message,
        }
    }

    fn required<T>(&self, column: &str, row: usize, v: Option<T>) -> Result<T> {
        v.ok_or_else(|| {
            self.err(
                column,
                format!("null in row {row}, which the contract forbids"),
            )
        })
    }

    /// A nullable text column's value in `row`.
    /// (Utf8, or Utf8View as a cast to text gives).
    pub fn text_opt(&self, name: &str, row: usize) -> Result<Option<String>> {
        let found = self.batch.column_by_name(name).map(|c| c.data_type());
        if found == Some(&DataType::Utf8View) {
            let a = self.column(name, &DataType::Utf8View)?.as_string_view();
            return Ok((!a.is_null(row)).then(|| a.value(row).to_string()));
        }
        let a = self.column(name, &DataType::Utf8)?.as_string::<i32>();
        Ok((!a.is_null(row)).then(|| a.value(row).to_string()))
    }

    /// A non-null text column's value in `row`.
    pub fn text(&self, name: &str, row: usize) -> Result<String> {
        let v = self.text_opt(name, row)?;
        self.required(name, row, v)
    }

    /// A nullable Int64 column's value in `row`.
    pub fn int_opt(&self, name: &str, row: usize) -> Result<Option<i64>> {
        let a = self
            .column(name, &DataType::Int64)?
            .as_primitive::<Int64Type>();
        Ok((!a.is_null(row)).then(|| a.value(row)))
    }

    /// A non-null Int64 column's value in `row`.
    pub fn int(&self, name: &str, row: usize) -> Result<i64> {
        let v = self.int_opt(name, row)?;
        self.required(name, row, v)
    }

    /// A nullable Float64 column's value in `row`.
    pub fn float_opt(&self, name: &str, row: usize) -> Result<Option<f64>> {
        let a = self
            .column(name, &DataType::Float64)?
            .as_primitive::<Float64Type>();
        Ok((!a.is_null(row)).then(|| a.value(row)))
    }

    /// A non-null Float64 column's value in `row`.
    pub fn float(&self, name: &str, row: usize) -> Result<f64> {
        let v = self.float_opt(name, row)?;
        self.required(name, row, v)
    }

    /// A nullable Boolean column's value in `row`.
    pub fn boolean_opt(&self, name: &str, row: usize) -> Result<Option<bool>> {
        let a = self.column(name, &DataType::Boolean)?.as_boolean();
        Ok((!a.is_null(row)).then(|| a.value(row)))
    }

    /// A non-null Boolean column's value in `row`.
    pub fn boolean(&self, name: &str, row: usize) -> Result<bool> {
        let v = self.boolean_opt(name, row)?;
        self.required(name, row, v)
    }

    /// A non-null timestamp (µs, UTC as the outputs write them) in `row`.
    pub fn timestamp(&self, name: &str, row: usize) -> Result<DateTime<Utc>> {
        let want = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let a = self
            .column(name, &want)?
            .as_primitive::<TimestampMicrosecondType>();
        let v = (!a.is_null(row)).then(|| a.value(row));
        let micros = self.required(name, row, v)?;
        DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| self.err(name, format!("timestamp {micros} µs out of range")))
    }
}

/// A row type a report query gives.
pub trait FromRow: Sized {
    /// Row `row` of `cols`.
    fn from_row(cols: &Columns<'_>, row: usize) -> Result<Self>;
}

/// Every row of `batches`, a result over `table`.
pub fn decode<T: FromRow>(table: &str, batches: &[RecordBatch]) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for batch in batches {
        let cols = Columns::new(batch, table);
        for row in 0..batch.num_rows() {
            out.push(T::from_row(&cols, row)?);
        }
    }
    Ok(out)
}

/// The text a cell shows: integers as they are, floating point numbers in
/// their shortest form that reads back exactly, booleans `true`/`false`.
pub fn cell<T: ToString>(v: T) -> Option<String> {
    Some(v.to_string())
}

/// A nullable cell ([`cell`], `None` for null).
pub fn cell_opt<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|v| v.to_string())
}

#[cfg(test)]
mod tests {
    use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    struct Row {
        f: Option<f64>,
        i: i64,
        b: bool,
        s: String,
    }

    impl FromRow for Row {
        fn from_row(c: &Columns<'_>, row: usize) -> Result<Row> {
            Ok(Row {
                f: c.float_opt("f", row)?,
                i: c.int("i", row)?,
                b: c.boolean("b", row)?,
                s: c.text("s", row)?,
            })
        }
    }

    fn batch(i: Vec<Option<i64>>) -> RecordBatch {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Float64Array::from(vec![Some(0.1 + 0.2), None])),
            Arc::new(Int64Array::from(i)),
            Arc::new(BooleanArray::from(vec![true, false])),
            Arc::new(StringArray::from(vec!["a", "(unknown)"])),
        ];
        let schema = Schema::new(
            ["f", "i", "b", "s"]
                .iter()
                .zip(&cols)
                .map(|(n, c)| Field::new(*n, c.data_type().clone(), true))
                .collect::<Vec<_>>(),
        );
        RecordBatch::try_new(Arc::new(schema), cols).unwrap()
    }

    #[test]
    fn rows_decode_by_name_and_type() {
        let rows: Vec<Row> = decode("x", &[batch(vec![Some(-5), Some(7)])]).unwrap();
        assert_eq!(rows[0].f, Some(0.1 + 0.2));
        // the shortest text that reads back to the same double
        assert_eq!(cell_opt(rows[0].f).as_deref(), Some("0.30000000000000004"));
        assert_eq!(cell_opt(rows[1].f), None);
        assert_eq!((rows[0].i, rows[1].i), (-5, 7));
        assert_eq!((rows[0].b, rows[1].b), (true, false));
        assert_eq!(cell(rows[1].b).as_deref(), Some("false"));
        assert_eq!(rows[1].s, "(unknown)");
    }

    #[test]
    fn a_null_where_none_may_be_or_a_wrong_column_names_it() {
        let err = decode::<Row>("nps_aggregates", &[batch(vec![Some(1), None])])
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("nps_aggregates") && err.contains("column i"),
            "{err}"
        );
        struct Wrong;
        impl FromRow for Wrong {
            fn from_row(c: &Columns<'_>, row: usize) -> Result<Wrong> {
                c.float("i", row)?;
                c.int("nps", row)?;
                Ok(Wrong)
            }
        }
        let err = decode::<Wrong>("t", &[batch(vec![Some(1), Some(2)])])
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("column i: expected Float64, found Int64"),
            "{err}"
        );
    }
}
