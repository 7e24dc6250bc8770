//! `pulsetier generate` (issue 7): the same seed gives byte-identical
//! inputs, another seed other inputs; the files mix physical types; a run on
//! generated data passes the quality gate and publishes every output, on
//! local files and on `memory://`.

use std::fs;
use std::path::Path;

use arrow::datatypes::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pulsetier::config::{RunConfig, Settings, Windows};
use pulsetier::generate::{generate, GenerateConfig};
use pulsetier::pipeline;

use crate::common::*;

/// The Arrow type of `column` in a generated file.
fn column_type(file: &Path, column: &str) -> DataType {
    let builder = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(file).unwrap()).unwrap();
    builder
        .schema()
        .field_with_name(column)
        .unwrap()
        .data_type()
        .clone()
}

#[test]
fn same_seed_gives_byte_identical_inputs_and_another_seed_does_not() {
    let a = temp_dir("gen-a");
    let b = temp_dir("gen-b");
    let c = temp_dir("gen-c");
    assert_exit(&generate_input(&a, 500, 7), 0);
    assert_exit(&generate_input(&b, 500, 7), 0);
    assert_exit(&generate_input(&c, 500, 8), 0);
    let (ta, tb, tc) = (snapshot_tree(&a), snapshot_tree(&b), snapshot_tree(&c));
    assert!(ta.len() > 250, "{} files", ta.len());
    assert_eq!(ta, tb, "same seed and arguments must give the same bytes");
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&ta),
        names(&tc),
        "the layout does not depend on the seed"
    );
    assert_ne!(ta, tc, "another seed gives other rows");

    // Regenerating into the same folder replaces the partitions it writes.
    assert_exit(&generate_input(&a, 500, 8), 0);
    assert_eq!(snapshot_tree(&a), tc);
}

#[test]
fn generated_layout_mixes_physical_types_and_marks_partitions() {
    let dir = temp_dir("gen-layout");
    let out = generate_input(&dir, 300, 42);
    assert_exit(&out, 0);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tables"]["accounts"]["partitions"], 1);
    assert_eq!(report["tables"]["mentions"]["partitions"], 29); // D-17 is an outage
    assert_eq!(report["tables"]["surveys"]["partitions"], 90);
    assert_eq!(report["tables"]["influence_scores"]["partitions"], 13);
    assert_eq!(report["tables"]["influence_scores"]["files"], 39);
    // weekly over the 90-day circle window: D, D-7, … D-84
    assert_eq!(report["tables"]["connections"]["partitions"], 13);
    assert_eq!(report["tables"]["connections"]["files"], 26);

    let accounts = dir.join("accounts/snapshot_date=2026-03-10");
    assert!(accounts.join("_SUCCESS").exists());
    assert_eq!(
        column_type(&accounts.join("part-00000.parquet"), "monthly_spend"),
        DataType::Decimal128(18, 2)
    );
    assert_eq!(
        column_type(&accounts.join("part-00001.parquet"), "monthly_spend"),
        DataType::Float64
    );
    assert_eq!(
        column_type(&accounts.join("part-00001.parquet"), "account_id"),
        DataType::LargeUtf8
    );
    let mentions = dir.join("mentions/snapshot_date=2026-03-09");
    assert_eq!(
        column_type(&mentions.join("part-00000.parquet"), "posted_at"),
        DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
    );
    assert_eq!(
        column_type(&mentions.join("part-00001.parquet"), "posted_at"),
        DataType::Timestamp(TimeUnit::Microsecond, None)
    );
    let surveys = dir.join("surveys/snapshot_date=2026-03-10");
    assert_eq!(
        column_type(&surveys.join("part-00000.parquet"), "score"),
        DataType::Int32
    );
    assert_eq!(
        column_type(&surveys.join("part-00001.parquet"), "score"),
        DataType::Int64
    );
    assert!(!dir.join("mentions/snapshot_date=2026-02-21").exists());
}

#[test]
fn run_on_generated_data_passes_the_quality_gate() {
    let root = temp_dir("gen-run");
    let input = root.join("input");
    let output = root.join("output");
    assert_exit(&generate_input(&input, 2_000, 42), 0);
    assert_exit(&run(&input, &output, &[]), 0);

    let m = &manifests(&output)[0];
    assert_eq!(m["status"], "success");
    for table in ["accounts", "mentions", "surveys", "influence_scores"] {
        let st = &m["inputs"][table];
        let ratio = st["reject_ratio"].as_f64().unwrap();
        assert!(
            st["rejected"].as_u64().unwrap() > 0,
            "{table}: some invalid rows"
        );
        assert!(
            ratio < 0.035,
            "{table}: reject ratio {ratio} leaves room under the gate"
        );
    }
    for table in ["mentions", "surveys"] {
        let dups = m["inputs"][table]["duplicates_dropped"].as_u64().unwrap();
        assert!(dups > 0, "{table}: redeliveries are dropped as duplicates");
    }
    let connections = &m["inputs"]["connections"];
    assert!(
        connections["rejected"].as_u64().unwrap() > 0,
        "unknown kinds"
    );
    assert!(connections["reject_ratio"].as_f64().unwrap() < 0.035);
    for table in [
        "customer_tiers",
        "nps_aggregates",
        "social_pulse",
        "social_circle",
        "circle_prospects",
    ] {
        let rows = m["outputs"][table]["rows"].as_u64().unwrap();
        assert!(rows > 0, "{table} is empty");
    }
    let tiers = read_partition(&output.join(format!("customer_tiers/snapshot_date={DATE}")));
    let rows: usize = tiers.iter().map(|b| b.num_rows()).sum();
    assert!((1_600..2_000).contains(&rows), "{rows} scored accounts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_and_run_on_memory_store() {
    let cfg = GenerateConfig {
        output: "memory://it-generate/in".into(),
        date: pulsetier::config::parse_date(DATE).unwrap(),
        accounts: 1_000,
        seed: 1,
        windows: Windows::default(),
    };
    let report = generate(&cfg).await.unwrap();
    assert!(report.rows() > 2_000, "{report:?}");
    let run = RunConfig::new(
        Some(cfg.date),
        Settings {
            input: "memory://it-generate/in".into(),
            output: "memory://it-generate/out".into(),
            ..Settings::default()
        },
    )
    .unwrap();
    let done = pipeline::run(&run).await.unwrap();
    assert_eq!(
        done.manifest.inputs["accounts"].rows_read,
        report.tables["accounts"].rows
    );
    assert!(done.manifest.outputs["customer_tiers"].rows > 800);
}
