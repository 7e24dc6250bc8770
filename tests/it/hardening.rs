//! Bad input never panics or loses data (issue #5): one test per kind of bad
//! input, each asserting the exit code, a message naming what is at fault,
//! no panic, and byte-identical published partitions afterwards; plus the
//! output side (unwritable output, bad URLs).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;

use crate::common::*;

/// A published baseline and a faulty copy of the fixtures next to it.
struct Case {
    input: PathBuf,
    out: PathBuf,
    before: Vec<(String, Vec<u8>)>,
}

fn case(name: &str) -> Case {
    let input = fixture_copy(name);
    let out = input.parent().unwrap().join("out");
    assert_exit(&run(&input, &out, &[]), 0);
    let before = snapshot_tree(&out);
    Case { input, out, before }
}

impl Case {
    /// Run on the damaged input, expect `code` and every `parts` in stderr,
    /// and the published tree unchanged.
    fn expect_failure(&self, code: i32, parts: &[&str]) {
        let o = run(&self.input, &self.out, &[]);
        assert_exit(&o, code);
        let err = stderr(&o);
        for p in parts {
            assert!(err.contains(p), "{p:?} not in stderr:\n{err}");
        }
        assert_eq!(
            snapshot_tree(&self.out),
            self.before,
            "published data changed"
        );
    }

    fn partition(&self, table: &str, date: &str) -> PathBuf {
        let p = self.input.join(table).join(format!("snapshot_date={date}"));
        fs::create_dir_all(&p).unwrap();
        p
    }
}

fn write_batch(path: &Path, batch: &RecordBatch) {
    let mut w =
        ArrowWriter::try_new(fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

/// One mention row: (id, platform, handle, posted_at ms, sentiment, text).
type MentionRow<'a> = (&'a str, &'a str, &'a str, i64, f64, &'a str);

/// A mentions file from rows.
fn mentions_file(path: &Path, rows: &[MentionRow]) {
    let s = |f: &dyn Fn(&MentionRow) -> String| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let schema = Schema::new(vec![
        Field::new("mention_id", DataType::Utf8, true),
        Field::new("platform", DataType::Utf8, true),
        Field::new("author_handle", DataType::Utf8, true),
        Field::new(
            "posted_at",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            true,
        ),
        Field::new("sentiment", DataType::Float64, true),
        Field::new("text", DataType::Utf8, true),
    ]);
    let cols: Vec<ArrayRef> = vec![
        s(&|r| r.0.to_string()),
        s(&|r| r.1.to_string()),
        s(&|r| r.2.to_string()),
        Arc::new(
            TimestampMillisecondArray::from(rows.iter().map(|r| r.3).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
        Arc::new(Float64Array::from(
            rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        )),
        s(&|r| r.5.to_string()),
    ];
    write_batch(path, &RecordBatch::try_new(Arc::new(schema), cols).unwrap());
}

/// 2026-03-05T12:00:00Z in ms: inside the mentions window of D.
const MAR5: i64 = 1_772_712_000_000;

fn published_rejects(out: &Path, table: &str) -> String {
    let dir = out
        .join("_rejects")
        .join(table)
        .join(format!("snapshot_date={DATE}"));
    arrow::util::pretty::pretty_format_batches(&read_partition(&dir))
        .unwrap()
        .to_string()
}

#[test]
fn truncated_parquet_names_the_file() {
    let c = case("hard-truncated");
    let src = c.partition("accounts", DATE).join("part-0.parquet");
    let bytes = fs::read(&src).unwrap();
    fs::write(
        c.partition("accounts", DATE).join("part-7.parquet"),
        &bytes[..bytes.len() / 2],
    )
    .unwrap();
    c.expect_failure(
        3,
        &["table accounts", "part-7.parquet", "not readable Parquet"],
    );
}

#[test]
fn corrupt_data_pages_name_the_file() {
    let c = case("hard-corrupt");
    let dir = c.partition("mentions", "2026-03-10");
    let mut bytes = fs::read(dir.join("part-0.parquet")).unwrap();
    // keep magic and footer intact, garble the column chunks
    let footer_len =
        u32::from_le_bytes(bytes[bytes.len() - 8..bytes.len() - 4].try_into().unwrap()) as usize;
    let end = bytes.len() - 8 - footer_len;
    for b in &mut bytes[4..end] {
        *b = 0xA5;
    }
    fs::write(dir.join("part-0.parquet"), &bytes).unwrap();
    c.expect_failure(
        3,
        &["table mentions", "part-0.parquet", "not readable Parquet"],
    );
}

#[test]
fn non_parquet_file_is_a_contract_violation() {
    let c = case("hard-text");
    fs::write(
        c.partition("surveys", "2026-03-10").join("notes.txt"),
        "hello\n",
    )
    .unwrap();
    c.expect_failure(3, &["table surveys", "notes.txt", "not readable Parquet"]);
}

#[test]
fn incompatible_type_names_column_and_types() {
    let c = case("hard-type");
    let schema = Schema::new(vec![
        Field::new("handle", DataType::Utf8, true),
        Field::new("provider", DataType::Utf8, true),
        Field::new("score", DataType::Float64, true),
        Field::new("scored_at", DataType::Utf8, true),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["x"])),
        Arc::new(StringArray::from(vec!["klout"])),
        Arc::new(Float64Array::from(vec![50.0])),
        Arc::new(StringArray::from(vec!["2026-03-01"])),
    ];
    write_batch(
        &c.partition("influence_scores", "2026-03-01")
            .join("x.parquet"),
        &RecordBatch::try_new(Arc::new(schema), cols).unwrap(),
    );
    c.expect_failure(
        3,
        &[
            "table influence_scores",
            "x.parquet",
            "column scored_at",
            "expected timestamp",
            "found Utf8",
        ],
    );
}

#[test]
fn missing_accounts_partition_leaves_outputs_alone() {
    let c = case("hard-missing");
    fs::remove_dir_all(c.input.join(format!("accounts/snapshot_date={DATE}"))).unwrap();
    c.expect_failure(
        3,
        &[
            "table accounts",
            "required partition",
            "snapshot_date=2026-03-10",
        ],
    );
}

#[test]
fn empty_partitions_and_zero_row_files_are_legal() {
    let c = case("hard-empty");
    // a mentions partition holding only a marker, and a zero-row file
    fs::write(c.partition("mentions", "2026-03-02").join("_SUCCESS"), b"").unwrap();
    mentions_file(
        &c.partition("mentions", "2026-03-03").join("empty.parquet"),
        &[],
    );
    let o = run(&c.input, &c.out, &[]);
    assert_exit(&o, 0);
    assert_eq!(snapshot_tree(&c.out), c.before, "empty inputs add nothing");
    // an accounts snapshot with zero rows: nothing scored, empty outputs
    let acc = c.input.join(format!("accounts/snapshot_date={DATE}"));
    fs::remove_dir_all(&acc).unwrap();
    fs::create_dir_all(&acc).unwrap();
    fs::write(acc.join("_SUCCESS"), b"").unwrap();
    let o = run(&c.input, &c.out, &["--max-reject-ratio", "1"]);
    assert_exit(&o, 0);
    let tiers = read_partition(&c.out.join(format!("customer_tiers/snapshot_date={DATE}")));
    assert_eq!(tiers.iter().map(|b| b.num_rows()).sum::<usize>(), 0);
}

#[test]
fn nan_infinity_long_strings_unicode_and_odd_codes() {
    let c = case("hard-values");
    let long = "x".repeat(1_000_000);
    mentions_file(
        &c.partition("mentions", "2026-03-06").join("odd.parquet"),
        &[
            (
                "H-NEGINF",
                "twitter",
                "loud",
                MAR5,
                f64::NEG_INFINITY,
                "neg inf",
            ),
            ("H-NAN", "twitter", "loud", MAR5, f64::NAN, "nan"),
            ("H-LONG", "  TikTok ", "@ÜNÏCÖDÉ ", MAR5, 0.5, &long),
            (
                "H-RANGE",
                "twitter",
                "loud",
                MAR5,
                -1.0000001,
                "just past -1",
            ),
        ],
    );
    let o = run(&c.input, &c.out, &["--max-reject-ratio", "1"]);
    assert_exit(&o, 0);
    let rejects = published_rejects(&c.out, "mentions");
    for id in ["H-NEGINF", "H-NAN", "H-RANGE"] {
        let line = rejects
            .lines()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("{id} not rejected"));
        assert!(line.contains("invalid_value:sentiment"), "{line}");
    }
    assert!(!rejects.contains("H-LONG"));
    // the odd platform is trimmed and lower-cased into its own group
    let pulse = read_partition(&c.out.join(format!("social_pulse/snapshot_date={DATE}")));
    let text = arrow::util::pretty::pretty_format_batches(&pulse)
        .unwrap()
        .to_string();
    assert!(text.contains("| platform  | tiktok "), "{text}");
}

#[test]
fn unknown_and_oddly_spelled_providers() {
    let c = case("hard-providers");
    let schema = Schema::new(vec![
        Field::new("handle", DataType::Utf8, true),
        Field::new("provider", DataType::Utf8, true),
        Field::new("score", DataType::Float64, true),
        Field::new(
            "scored_at",
            DataType::Timestamp(TimeUnit::Millisecond, None),
            true,
        ),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["h1", "h2", "h3"])),
        Arc::new(StringArray::from(vec![" KLOUT ", "Klout™", "peer index"])),
        Arc::new(Float64Array::from(vec![50.0, 50.0, 50.0])),
        Arc::new(TimestampMillisecondArray::from(vec![MAR5, MAR5, MAR5])),
    ];
    write_batch(
        &c.partition("influence_scores", "2026-03-05")
            .join("p.parquet"),
        &RecordBatch::try_new(Arc::new(schema), cols).unwrap(),
    );
    let o = run(&c.input, &c.out, &["--max-reject-ratio", "1"]);
    assert_exit(&o, 0);
    let rejects = published_rejects(&c.out, "influence_scores");
    assert!(!rejects.contains("| h1 "), "' KLOUT ' is klout:\n{rejects}");
    for h in ["| h2 ", "| h3 "] {
        let line = rejects.lines().find(|l| l.contains(h)).unwrap();
        assert!(line.contains("unknown_provider"), "{line}");
    }
}

#[test]
fn bad_command_line_values_are_usage_errors() {
    for (args, needle) in [
        (vec!["run", "--date", "2026-13-45"], "invalid date"),
        (vec!["run", "--date", "yesterday"], "invalid date"),
        (
            vec!["run", "--input", "ftp://example.invalid/x"],
            "ftp://example.invalid/x",
        ),
        (vec!["run", "--output", "http://[::1"], "invalid URL"),
        (vec!["run", "--memory-limit", "lots"], "invalid size"),
    ] {
        let o = pulsetier(&args);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn unwritable_output_fails_with_exit_1_naming_the_url() {
    let dir = temp_dir("hard-unwritable");
    let blocker = dir.join("not-a-dir");
    fs::write(&blocker, b"a file where the output folder should be").unwrap();
    let out = blocker.join("out");
    let o = run(&fixtures(), &out, &[]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("not-a-dir/out"), "{}", stderr(&o));
    assert_eq!(
        fs::read(&blocker).unwrap(),
        b"a file where the output folder should be"
    );
}
