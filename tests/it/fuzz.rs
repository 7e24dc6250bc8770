//! Property test over the input-contract layer (issue #5): files with random
//! schemas, physical types and values — extremes, NaN, ±inf, overflows,
//! empty and very long strings, missing columns, types the contract rejects —
//! never make pulsetier panic or fail with an internal error: every case
//! ends in success, a contract violation (3) or the quality gate (4).

use std::fs;
use std::sync::Arc;

use arrow::array::*;
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use proptest::prelude::*;
use pulsetier::config::{parse_date, RunConfig, Settings};
use pulsetier::contract::TABLES;
use pulsetier::pipeline;

use crate::common::*;

const TYPES: usize = 14;

/// A column of physical type `t` with `n` values picked by `seed` from a
/// pool of ordinary and extreme values (including NULL).
fn column(t: usize, n: usize, seed: u64) -> (DataType, ArrayRef) {
    let pick = |i: usize, len: usize| {
        ((seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(i as u64 * 1442695040888963407))
            >> 33) as usize
            % len
    };
    let strings = [
        "", "  ", " ACTIVE ", "@Foo", "ÜNÏ", "klout", "kred", "closed", "x",
    ];
    match t {
        0 | 1 => {
            let long = "y".repeat(100_000);
            let v: Vec<Option<&str>> = (0..n)
                .map(|i| match pick(i, 11) {
                    9 => None,
                    10 => Some(long.as_str()),
                    k => Some(strings[k]),
                })
                .collect();
            if t == 0 {
                (DataType::Utf8, Arc::new(StringArray::from(v)))
            } else {
                (DataType::LargeUtf8, Arc::new(LargeStringArray::from(v)))
            }
        }
        2 => {
            let pool = [
                Some(0i64),
                Some(-1),
                Some(10),
                Some(11),
                Some(i64::MAX),
                Some(i64::MIN),
                None,
            ];
            (
                DataType::Int64,
                Arc::new(Int64Array::from(
                    (0..n).map(|i| pool[pick(i, 7)]).collect::<Vec<_>>(),
                )),
            )
        }
        3 => {
            let pool = [Some(0i8), Some(-128), Some(127), None];
            (
                DataType::Int8,
                Arc::new(Int8Array::from(
                    (0..n).map(|i| pool[pick(i, 4)]).collect::<Vec<_>>(),
                )),
            )
        }
        4 => {
            let pool = [Some(0u64), Some(u64::MAX), Some(7), None];
            (
                DataType::UInt64,
                Arc::new(UInt64Array::from(
                    (0..n).map(|i| pool[pick(i, 4)]).collect::<Vec<_>>(),
                )),
            )
        }
        5 => {
            let pool = [
                Some(0.5f64),
                Some(-1.0),
                Some(f64::NAN),
                Some(f64::INFINITY),
                Some(f64::NEG_INFINITY),
                Some(1e300),
                Some(-0.0),
                None,
            ];
            (
                DataType::Float64,
                Arc::new(Float64Array::from(
                    (0..n).map(|i| pool[pick(i, 8)]).collect::<Vec<_>>(),
                )),
            )
        }
        6 => {
            let pool = [Some(0.25f32), Some(f32::NAN), Some(f32::MAX), None];
            (
                DataType::Float32,
                Arc::new(Float32Array::from(
                    (0..n).map(|i| pool[pick(i, 4)]).collect::<Vec<_>>(),
                )),
            )
        }
        7 => {
            let pool = [Some(0i128), Some(10i128.pow(37)), Some(-512_345i128), None];
            let a = Decimal128Array::from((0..n).map(|i| pool[pick(i, 4)]).collect::<Vec<_>>())
                .with_precision_and_scale(38, 5)
                .unwrap();
            (DataType::Decimal128(38, 5), Arc::new(a))
        }
        8 => (
            DataType::Boolean,
            Arc::new(BooleanArray::from(
                (0..n).map(|i| Some(pick(i, 2) == 0)).collect::<Vec<_>>(),
            )),
        ),
        9 => {
            let pool = [
                Some(0i32),
                Some(i32::MAX),
                Some(i32::MIN),
                Some(20_522),
                None,
            ];
            (
                DataType::Date32,
                Arc::new(Date32Array::from(
                    (0..n).map(|i| pool[pick(i, 5)]).collect::<Vec<_>>(),
                )),
            )
        }
        10 => {
            let pool = [
                Some(0i64),
                Some(i64::MAX),
                Some(i64::MIN),
                Some(1_772_712_000_000_000_000),
                None,
            ];
            (
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                Arc::new(TimestampNanosecondArray::from(
                    (0..n).map(|i| pool[pick(i, 5)]).collect::<Vec<_>>(),
                )),
            )
        }
        11 => {
            let pool = [Some(0i64), Some(i64::MAX / 2), Some(1_772_712_000), None];
            let a =
                TimestampSecondArray::from((0..n).map(|i| pool[pick(i, 4)]).collect::<Vec<_>>())
                    .with_timezone("+05:00");
            (
                DataType::Timestamp(TimeUnit::Second, Some("+05:00".into())),
                Arc::new(a),
            )
        }
        12 => {
            let v: Vec<Option<&str>> = (0..n).map(|i| Some(strings[pick(i, 9)])).collect();
            let a: DictionaryArray<arrow::datatypes::Int32Type> = v.into_iter().collect();
            (a.data_type().clone(), Arc::new(a))
        }
        _ => (
            DataType::Binary,
            Arc::new(BinaryArray::from(
                (0..n).map(|_| Some(&b"\x00\xff"[..])).collect::<Vec<_>>(),
            )),
        ),
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_files_never_panic_or_fail_internally(
        table in 0usize..4,
        // per contract column: a physical type, or TYPES = "leave the column out"
        types in proptest::collection::vec(0usize..=TYPES, 11),
        // per column: steer the type to one the contract accepts (most cases),
        // so the value rules are exercised and not only the schema check
        steer in proptest::collection::vec(proptest::bool::weighted(0.9), 11),
        rows in 0usize..7,
        seed in any::<u64>(),
    ) {
        let spec = TABLES[table];
        let input = fixture_copy("fuzz");
        let mut fields = Vec::new();
        let mut cols = Vec::new();
        for (i, (name, kind)) in spec.columns.iter().enumerate() {
            let mut t = types[i];
            if steer[i] {
                t = (0..TYPES)
                    .map(|k| (t + k) % TYPES)
                    .find(|k| kind.accepts(&column(*k, 0, 0).0))
                    .unwrap();
            }
            if t == TYPES {
                continue;
            }
            let (dt, col) = column(t, rows, seed ^ i as u64);
            fields.push(Field::new(*name, dt, true));
            cols.push(col);
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = if cols.is_empty() {
            RecordBatch::new_empty(schema.clone())
        } else {
            RecordBatch::try_new(schema.clone(), cols).unwrap()
        };
        let dir = input.join(spec.name).join(format!("snapshot_date={DATE}"));
        fs::create_dir_all(&dir).unwrap();
        let mut w = ArrowWriter::try_new(fs::File::create(dir.join("fuzz.parquet")).unwrap(), schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();

        let cfg = RunConfig::new(
            Some(parse_date(DATE).unwrap()),
            Settings {
                input: input.to_string_lossy().into_owned(),
                output: input.parent().unwrap().join("out").to_string_lossy().into_owned(),
                ..Settings::default()
            },
        )
        .unwrap();
        let result = runtime().block_on(pipeline::validate(&cfg));
        if types.iter().zip(&steer).all(|(t, s)| *s || *t != TYPES) && steer.iter().all(|s| *s) {
            // every column present with an accepted type: never a contract violation
            prop_assert!(!matches!(&result, Err(e) if e.exit_code() == 3), "{:?}: {:?}", batch.schema(), result.err());
        }
        if let Err(e) = &result {
            prop_assert!(matches!(e.exit_code(), 3 | 4), "internal error on {:?}: {e}", batch.schema());
        }
        let _ = fs::remove_dir_all(input.parent().unwrap());
    }
}
