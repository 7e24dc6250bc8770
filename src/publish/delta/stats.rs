//! The statistics of a Delta add action, from a data file's Parquet footer
//! (no row is read): which columns get them (the table's
//! `delta.dataSkipping*` settings) and the bounds that are safe to skip
//! files by.

use std::collections::HashMap;

use chrono::NaiveDate;

use parquet::basic::{ConvertedType, LogicalType, TimeUnit};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;
use parquet::schema::types::ColumnDescriptor;

/// Which columns get statistics in an add action: the table's
/// `delta.dataSkippingStatsColumns`, else its first
/// `delta.dataSkippingNumIndexedCols` columns (default 32, -1 for all).
pub(super) struct StatsColumns {
    named: Option<Vec<String>>,
    first: Option<usize>,
}

impl StatsColumns {
    /// From the table's configuration (`delta.dataSkippingStatsColumns`,
    /// `delta.dataSkippingNumIndexedCols`); none: the defaults.
    pub(super) fn of(config: &HashMap<String, String>) -> StatsColumns {
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
pub(super) fn file_stats(meta: &ParquetMetaData, which: &StatsColumns) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        ArrayRef, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
        TimestampMicrosecondArray,
    };
    use arrow::datatypes::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use parquet::file::reader::FileReader;
    use parquet::file::serialized_reader::SerializedFileReader;
    use serde_json::json;
    use std::sync::Arc;

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
