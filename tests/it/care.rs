//! The care queue (docs/SPEC.md §8) end to end, on a hand-made input set
//! written here (the bundled fixtures and their expected outputs stay as
//! they are): three dates, D−1 = 2026-03-09, D = 2026-03-10, D+1 =
//! 2026-03-11, with the same accounts snapshot each day.
//!
//! Accounts (every one active but C4, suspended; no signup date, so tenure
//! 0; C1 and C2 pay 12 of 12 invoices, payment 1, the others owe none,
//! payment 0.5), spend ranks of the 6 scored accounts in fifths:
//!
//! | account | handle | spend | services | influence | value_score                              | tier   | care_priority |
//! |---------|--------|-------|----------|-----------|------------------------------------------|--------|---------------|
//! | C1      | c1     | 6 → 1 | 5 → 1    | —         | 100 (.35 + .2 + .15) = 70                | gold   | 1 (negative mentions) |
//! | C2      | c2     | 5 → .8| 5 → 1    | klout 50  | 100 (.28 + .2 + .15 + .2·.5) = 73        | gold   | 2 (no negative) |
//! | C3      | c3     | 4 → .6| 5 → 1    | —         | 100 (.21 + .1 + .15) = 46                | silver | 3             |
//! | C4      | c4     | 3 → .4| 0        | —         | 100 (.14 + .1) = 24                      | bronze | 4 (only a positive post) |
//! | T1, T2  | twin   | 1, 2  | 0        | (klout 90, ambiguous: unused) | 10, 17                | bronze | 4             |
//!
//! Other handles: `star` klout 70 + kred 500 (→ 50) = 60 (a prospect, on the
//! threshold), `almost` klout 59.99, `fan1` … `fan4` no score.
//!
//! The queue of D worked out by hand (sla 60/120/240/480/120/1440 minutes):
//!
//! | rank | mention | why, due (UTC) |
//! |------|---------|----------------|
//! | 1  | N1  | C1 −0.6 "No signal again", p1, 08:00 + 1 h = 09:00, network |
//! | 2  | CH1 | C2 +0.7 "…switching to RivalCo": churn overrides the positive sentiment, p2, 11:00 |
//! | 3  | L1  | C3 posted D−1 23:30, delivered in D's partition: p3, 03:30 (already due), billing |
//! | 4  | D1  | C3 −0.4 "sim card not working", p3, 14:00, devices |
//! | 5  | CH2 | C4 +0.5 "I will cancel tomorrow", p4, 09:30 + 8 h = 17:30, churn |
//! | 6  | S1  | star −0.5 "the agent was rude", influencer_prospect, 13:00, service |
//! | 7  | AL1 | almost 59.99 −0.9 "refund please", public, D+1 11:00, billing |
//! | 8  | AM1 | twin (ambiguous: no account, influence null) −0.9 "outage", same due, nulls last |
//! | 9  | TB2 | fan2 −0.9, D+1 12:00: lower sentiment first |
//! | 10 | TB1 | fan1 −0.5, same: mention_id TB1 < TB3 |
//! | 11 | TB3 | fan3 −0.5 |
//! | 12 | W1  | fan4 −0.7 "Réseau : no signal 📶", D+1 12:30, network |
//!
//! Not queued on D: Q1 (C1, posted D−1, queued on D−1: already queued), P1
//! (C1 +0.9). D−1's queue is Q1 alone; D+1's is N2 alone (every post of D
//! is in D's committed queue; L1 is outside D+1's window).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::DataType;
use parquet::arrow::ArrowWriter;
use serde_json::Value;

use crate::common::*;
use crate::expected::rows_of;

const DAYS: [&str; 3] = ["2026-03-09", "2026-03-10", "2026-03-11"];

fn write_parquet(dir: &Path, cols: Vec<(&str, ArrayRef)>) {
    fs::create_dir_all(dir).unwrap();
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let file = fs::File::create(dir.join("part-0.parquet")).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn strs(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(v.iter().copied().collect::<StringArray>())
}

fn micros(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .unwrap()
        .timestamp_micros()
}

fn stamps(v: &[&str]) -> ArrayRef {
    let a = arrow::array::TimestampMicrosecondArray::from(
        v.iter().map(|t| micros(t)).collect::<Vec<_>>(),
    )
    .with_timezone("UTC");
    Arc::new(a)
}

/// (mention_id, author, posted_at, sentiment, text)
type Post<'a> = (&'a str, Option<&'a str>, &'a str, f64, &'a str);

fn mentions(input: &Path, day: &str, posts: &[Post]) {
    let dir = input.join(format!("mentions/snapshot_date={day}"));
    write_parquet(
        &dir,
        vec![
            (
                "mention_id",
                strs(&posts.iter().map(|p| Some(p.0)).collect::<Vec<_>>()),
            ),
            ("platform", strs(&vec![Some("twitter"); posts.len()])),
            (
                "author_handle",
                strs(&posts.iter().map(|p| p.1).collect::<Vec<_>>()),
            ),
            (
                "posted_at",
                stamps(&posts.iter().map(|p| p.2).collect::<Vec<_>>()),
            ),
            (
                "sentiment",
                Arc::new(posts.iter().map(|p| p.3).collect::<Float64Array>()),
            ),
            (
                "text",
                strs(&posts.iter().map(|p| Some(p.4)).collect::<Vec<_>>()),
            ),
        ],
    );
}

/// The input set of the module header.
fn care_input(name: &str) -> PathBuf {
    let input = temp_dir(name).join("input");
    let ids = ["C1", "C2", "C3", "C4", "T1", "T2"];
    let handles = ["c1", "c2", "c3", "c4", "twin", "twin"];
    for day in DAYS {
        let n = ids.len();
        let status: Vec<Option<&str>> = ids
            .iter()
            .map(|i| Some(if *i == "C4" { "suspended" } else { "active" }))
            .collect();
        let nulls = vec![None::<&str>; n];
        write_parquet(
            &input.join(format!("accounts/snapshot_date={day}")),
            vec![
                ("account_id", strs(&ids.map(Some))),
                ("segment", strs(&nulls)),
                ("region", strs(&nulls)),
                ("plan", strs(&nulls)),
                ("status", strs(&status)),
                (
                    "signup_date",
                    Arc::new(arrow::array::Date32Array::from(vec![None; n])),
                ),
                (
                    "monthly_spend",
                    Arc::new(Float64Array::from(vec![6.0, 5.0, 4.0, 3.0, 1.0, 2.0])),
                ),
                (
                    "services_count",
                    Arc::new(Int64Array::from(vec![5, 5, 5, 0, 0, 0])),
                ),
                (
                    "invoices_due_12m",
                    Arc::new(Int64Array::from(vec![12, 12, 0, 0, 0, 0])),
                ),
                (
                    "invoices_paid_on_time_12m",
                    Arc::new(Int64Array::from(vec![12, 12, 0, 0, 0, 0])),
                ),
                ("social_handle", strs(&handles.map(Some))),
            ],
        );
    }
    let scores = [
        ("c2", "klout", 50.0),
        ("star", "klout", 70.0),
        ("star", "kred", 500.0),
        ("almost", "klout", 59.99),
        ("twin", "klout", 90.0),
    ];
    write_parquet(
        &input.join("influence_scores/snapshot_date=2026-03-09"),
        vec![
            ("handle", strs(&scores.map(|s| Some(s.0)))),
            ("provider", strs(&scores.map(|s| Some(s.1)))),
            (
                "score",
                Arc::new(scores.iter().map(|s| s.2).collect::<Float64Array>()),
            ),
            ("scored_at", stamps(&["2026-03-09T00:00:00Z"; 5])),
        ],
    );
    let h = Some;
    mentions(
        &input,
        DAYS[0],
        &[(
            "Q1",
            h("c1"),
            "2026-03-09T10:00:00Z",
            -0.8,
            "total outage downtown",
        )],
    );
    mentions(
        &input,
        DAYS[1],
        &[
            (
                "L1",
                h("c3"),
                "2026-03-09T23:30:00Z",
                -0.5,
                "my bill is wrong",
            ),
            (
                "N1",
                h("@C1"),
                "2026-03-10T08:00:00Z",
                -0.6,
                "No signal again",
            ),
            (
                "CH1",
                h("c2"),
                "2026-03-10T09:00:00Z",
                0.7,
                "great offer elsewhere, switching to RivalCo",
            ),
            (
                "CH2",
                h("c4"),
                "2026-03-10T09:30:00Z",
                0.5,
                "I will cancel tomorrow",
            ),
            (
                "D1",
                h("c3"),
                "2026-03-10T10:00:00Z",
                -0.4,
                "sim card not working",
            ),
            (
                "S1",
                h("star"),
                "2026-03-10T11:00:00Z",
                -0.5,
                "the agent was rude",
            ),
            ("AM1", h("twin"), "2026-03-10T11:00:00Z", -0.9, "outage"),
            (
                "AL1",
                h("almost"),
                "2026-03-10T11:00:00Z",
                -0.9,
                "refund please",
            ),
            ("TB3", h("fan3"), "2026-03-10T12:00:00Z", -0.5, "meh"),
            ("TB1", h("fan1"), "2026-03-10T12:00:00Z", -0.5, "meh"),
            ("TB2", h("fan2"), "2026-03-10T12:00:00Z", -0.9, "meh"),
            (
                "W1",
                h("fan4"),
                "2026-03-10T12:30:00Z",
                -0.7,
                "Réseau : no signal 📶",
            ),
            ("P1", h("c1"), "2026-03-10T13:00:00Z", 0.9, "love it"),
        ],
    );
    mentions(
        &input,
        DAYS[2],
        &[("N2", h("c1"), "2026-03-11T07:00:00Z", -0.5, "Dropped calls")],
    );
    input
}

/// The columns of a published care_queue compared here, per row.
const COLUMNS: [&str; 13] = [
    "queue_rank",
    "mention_id",
    "lane",
    "due_at",
    "topic",
    "route",
    "churn_intent",
    "account_id",
    "tier",
    "value_score",
    "care_priority",
    "influence_norm",
    "sentiment",
];

/// The queue of D, worked out by hand (module header), as `COLUMNS`.
const QUEUE_OF_D: &str = "\
1,N1,customer_p1,2026-03-10T09:00:00Z,network,network_ops,false,C1,gold,70,1,,-0.6
2,CH1,customer_p2,2026-03-10T11:00:00Z,churn,retention,true,C2,gold,73,2,50,0.7
3,L1,customer_p3,2026-03-10T03:30:00Z,billing,billing,false,C3,silver,46,3,,-0.5
4,D1,customer_p3,2026-03-10T14:00:00Z,devices,devices,false,C3,silver,46,3,,-0.4
5,CH2,customer_p4,2026-03-10T17:30:00Z,churn,retention,true,C4,bronze,24,4,,0.5
6,S1,influencer_prospect,2026-03-10T13:00:00Z,service,customer_service,false,,,,,60,-0.5
7,AL1,public,2026-03-11T11:00:00Z,billing,billing,false,,,,,59.99,-0.9
8,AM1,public,2026-03-11T11:00:00Z,network,network_ops,false,,,,,,-0.9
9,TB2,public,2026-03-11T12:00:00Z,other,care_desk,false,,,,,,-0.9
10,TB1,public,2026-03-11T12:00:00Z,other,care_desk,false,,,,,,-0.5
11,TB3,public,2026-03-11T12:00:00Z,other,care_desk,false,,,,,,-0.5
12,W1,public,2026-03-11T12:30:00Z,network,network_ops,false,,,,,,-0.7";

const QUEUE_OF_D_MINUS_1: &str =
    "1,Q1,customer_p1,2026-03-09T11:00:00Z,network,network_ops,false,C1,gold,70,1,,-0.8";

const QUEUE_OF_D_PLUS_1: &str =
    "1,N2,customer_p1,2026-03-11T08:00:00Z,network,network_ops,false,C1,gold,70,1,,-0.5";

fn queue_dir(out: &Path, day: &str) -> PathBuf {
    out.join(format!("care_queue/snapshot_date={day}"))
}

/// The published queue of `day` as `COLUMNS` rows (floats as numbers).
fn queue_rows(out: &Path, day: &str) -> Vec<Vec<String>> {
    let batches = read_partition(&queue_dir(out, day));
    if batches.iter().all(|b| b.num_rows() == 0) {
        return Vec::new();
    }
    let (names, types, rows) = rows_of(&batches);
    let idx: Vec<usize> = COLUMNS
        .iter()
        .map(|c| names.iter().position(|n| n == c).unwrap())
        .collect();
    rows.iter()
        .map(|r| {
            idx.iter()
                .map(|&i| match types[i] {
                    DataType::Float64 if !r[i].is_empty() => {
                        let v: f64 = r[i].parse().unwrap();
                        format!("{}", (v * 1e9).round() / 1e9)
                    }
                    _ => r[i].clone(),
                })
                .collect()
        })
        .collect()
}

fn expected(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn manifest_of(out: &Path, day: &str) -> Value {
    let dir = out.join(format!("_manifests/snapshot_date={day}"));
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    serde_json::from_slice(&fs::read(files.last().unwrap()).unwrap()).unwrap()
}

fn run_days(input: &Path, out: &Path, extra: &[&str]) {
    for day in DAYS {
        assert_exit(&run_on(input, out, day, extra), 0);
    }
}

/// Each lane, each default topic but devices' twin, churn over a positive
/// sentiment, the SLA, late delivery, the exclusion of D−1's queue, an
/// ambiguous handle, every tie-break; then D+1 queues only what is new,
/// and a rerun of D gives the same bytes.
#[test]
fn daily_runs_queue_each_shout_once_in_hand_worked_order() {
    let input = care_input("care-daily");
    let out = temp_dir("care-daily-out");
    run_days(&input, &out, &[]);
    assert_eq!(queue_rows(&out, DAYS[0]), expected(QUEUE_OF_D_MINUS_1));
    assert_eq!(queue_rows(&out, DAYS[1]), expected(QUEUE_OF_D));
    assert_eq!(queue_rows(&out, DAYS[2]), expected(QUEUE_OF_D_PLUS_1));
    assert!(queue_dir(&out, DAYS[1]).join("_SUCCESS").exists());
    let m = manifest_of(&out, DAYS[1]);
    assert_eq!(
        m["queued_snapshot_dates"],
        serde_json::json!(["2026-03-09"])
    );
    assert_eq!(m["outputs"]["care_queue"]["rows"], 12);
    assert_eq!(
        manifest_of(&out, DAYS[0])["queued_snapshot_dates"],
        serde_json::json!([])
    );
    // the text is published trimmed, whole, non-ASCII and emoji kept
    let batches = read_partition(&queue_dir(&out, DAYS[1]));
    let (names, _, rows) = rows_of(&batches);
    let text = names.iter().position(|n| n == "text").unwrap();
    assert_eq!(rows[11][text], "Réseau : no signal 📶");
    let handle = names.iter().position(|n| n == "author_handle").unwrap();
    assert_eq!(rows[0][handle], "c1", "normalized: @C1 → c1");

    // rerunning D (D+1 committed meanwhile) reads only D−1's queue: same bytes
    let before = snapshot_tree(&out);
    assert_exit(&run_on(&input, &out, DAYS[1], &[]), 0);
    assert!(
        before == snapshot_tree(&out),
        "a rerun of D is byte-identical"
    );

    // `pulsetier queue` reads the committed partition back
    let o = pulsetier(&[
        "queue",
        "--date",
        DAYS[1],
        "--output",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_exit(&o, 0);
    let d: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["total"], 12);
    let ids: Vec<&str> = d["shouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["mention_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["N1", "CH1", "L1", "D1", "CH2", "S1", "AL1", "AM1", "TB2", "TB1", "TB3", "W1"]
    );
    assert_eq!(d["shouts"][2]["due_at"], "2026-03-10T03:30:00Z");
    let filtered = |args: &[&str]| {
        let mut all = vec![
            "queue",
            "--date",
            DAYS[1],
            "--output",
            out.to_str().unwrap(),
            "--json",
        ];
        all.extend_from_slice(args);
        let o = pulsetier(&all);
        assert_exit(&o, 0);
        let d: Value = serde_json::from_slice(&o.stdout).unwrap();
        d["shouts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["mention_id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        filtered(&["--lane", "public", "--limit", "2"]),
        ["AL1", "AM1"]
    );
    assert_eq!(filtered(&["--route", "retention"]), ["CH1", "CH2"]);
    // text for a terminal: no line wider than 80 columns
    let o = pulsetier(&[
        "queue",
        "--date",
        DAYS[1],
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_exit(&o, 0);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.starts_with("care queue of 2026-03-10 · 12 of 12 shouts"),
        "{text}"
    );
    for line in text.lines() {
        assert!(
            unicode_width::UnicodeWidthStr::width(line) <= 80,
            "{line:?}"
        );
    }
    assert!(text.contains("customer_p1"), "{text}");
    // a date not committed, an unknown lane: usage errors
    let o = pulsetier(&[
        "queue",
        "--date",
        "2026-03-08",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("care_queue snapshot_date=2026-03-08"),
        "{}",
        stderr(&o)
    );
    let o = pulsetier(&[
        "queue",
        "--date",
        DAYS[1],
        "--output",
        out.to_str().unwrap(),
        "--lane",
        "vip",
    ]);
    assert_exit(&o, 2);

    // explain-account lists C3's shouts of D with lane and due time
    let o = pulsetier(&[
        "explain-account",
        "--account",
        "C3",
        "--date",
        DAYS[1],
        "--json",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_exit(&o, 0);
    let e: Value = serde_json::from_slice(&o.stdout).unwrap();
    let shouts: Vec<(String, String, String)> = e["shouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["mention_id"].as_str().unwrap().to_string(),
                s["lane"].as_str().unwrap().to_string(),
                s["due_at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        shouts,
        [
            (
                "L1".into(),
                "customer_p3".into(),
                "2026-03-10T03:30:00Z".into()
            ),
            (
                "D1".into(),
                "customer_p3".into(),
                "2026-03-10T14:00:00Z".into()
            ),
        ]
    );
}

/// A date whose earlier queue is not committed excludes nothing: run
/// alone, D queues Q1 (posted D−1) too, first in the p1 lane.
#[test]
fn without_a_committed_earlier_queue_nothing_is_excluded() {
    let input = care_input("care-alone");
    let out = temp_dir("care-alone-out");
    assert_exit(&run_on(&input, &out, DAYS[1], &[]), 0);
    let rows = queue_rows(&out, DAYS[1]);
    assert_eq!(rows.len(), 13);
    assert_eq!(
        rows[0],
        expected(
            "1,Q1,customer_p1,2026-03-09T11:00:00Z,network,network_ops,false,C1,gold,70,1,,-0.8"
        )[0]
    );
    assert_eq!(rows[1][1], "N1");
    assert_eq!(
        manifest_of(&out, DAYS[1])["queued_snapshot_dates"],
        serde_json::json!([])
    );
    // --queue-days 1: only posts of D, so L1 (posted D−1) and Q1 are out
    assert_exit(&run_on(&input, &out, DAYS[1], &["--queue-days", "1"]), 0);
    let rows = queue_rows(&out, DAYS[1]);
    assert_eq!(rows.len(), 11);
    assert!(rows.iter().all(|r| r[1] != "Q1" && r[1] != "L1"));
}

/// A backfill of the three dates, all at once allowed, gives the files of
/// the daily runs: each date waits for the queue it reads.
#[test]
fn backfill_gives_the_queues_of_daily_runs() {
    let input = care_input("care-backfill");
    let daily = temp_dir("care-backfill-daily");
    run_days(&input, &daily, &[]);
    let filled = temp_dir("care-backfill-out");
    let o = pulsetier(&[
        "backfill",
        "--from",
        DAYS[0],
        "--to",
        DAYS[2],
        "--concurrency",
        "3",
        "--input",
        input.to_str().unwrap(),
        "--output",
        filled.to_str().unwrap(),
    ]);
    assert_exit(&o, 0);
    assert!(
        snapshot_tree(&daily) == snapshot_tree(&filled),
        "backfill = daily runs"
    );
    assert_eq!(queue_rows(&filled, DAYS[1]), expected(QUEUE_OF_D));
}

/// Delta tables hold the same queue as Hive folders, read back through the
/// same `pulsetier queue`.
#[cfg(feature = "delta")]
#[test]
fn delta_queue_equals_hive_queue() {
    let input = care_input("care-delta");
    let hive = temp_dir("care-delta-hive");
    let delta = temp_dir("care-delta-delta");
    run_days(&input, &hive, &[]);
    run_days(&input, &delta, &["--table-format", "delta"]);
    for day in DAYS {
        let read = |out: &Path, extra: &[&str]| {
            let mut args = vec![
                "queue",
                "--date",
                day,
                "--json",
                "--output",
                out.to_str().unwrap(),
            ];
            args.extend_from_slice(extra);
            let o = pulsetier(&args);
            assert_exit(&o, 0);
            o.stdout
        };
        assert_eq!(
            read(&hive, &[]),
            read(&delta, &["--table-format", "delta"]),
            "{day}"
        );
    }
}

/// A bad rule is exit 2 naming the key, before anything is read.
#[test]
fn a_bad_rule_is_a_usage_error_naming_the_key() {
    let dir = temp_dir("care-config");
    let file = dir.join("c.toml");
    fs::write(
        &file,
        "[[care.topics]]\nname = \"network\"\nroute = \"noc\"\nkeywords = []\n",
    )
    .unwrap();
    let o = pulsetier(&["config", "--config", file.to_str().unwrap()]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("care.topics[0].keywords (network)"),
        "{}",
        stderr(&o)
    );
    // the defaults are printed
    let o = pulsetier(&["config"]);
    assert_exit(&o, 0);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("[[care.topics]]"), "{text}");
    assert!(text.contains("queue_days = 2"), "{text}");
}

/// The `<tr …>` row of a report table whose `data-<key>` is `value`.
fn report_row(html: &str, table: &str, key: &str, value: &str) -> String {
    let start = html
        .find(&format!("<table data-table=\"{table}\">"))
        .unwrap_or_else(|| panic!("no table {table}"));
    let end = html[start..].find("</table>").unwrap() + start;
    let t = &html[start..end];
    let row = t
        .find(&format!("<tr data-{key}=\"{value}\""))
        .unwrap_or_else(|| panic!("no row {key}={value} in {table}"));
    t[row..row + t[row..].find("</tr>").unwrap()].to_string()
}

/// The run report's care section (docs/SPEC.md §7, §8) on the queue of D
/// worked out by hand in the module header, plus LONG1: fan9 (no score,
/// public, 1440 min) −0.8, posted D 10:00, so due D+1 10:00 and first of
/// the public lane (rank 7), its text 150 × "é". Past due when D ends
/// (due_at < 2026-03-11T00:00Z): ranks 1–6 (N1 09:00, CH1 11:00, L1 03:30,
/// D1 14:00, CH2 17:30, S1 13:00, all on D); the public lane is due on
/// D+1. Churn intent: CH1, CH2.
#[test]
fn the_run_report_sums_the_hand_worked_queue_and_cuts_long_texts() {
    let input = care_input("care-report");
    let scratch = temp_dir("care-report-long");
    let long = "é".repeat(150);
    mentions(
        &scratch,
        DAYS[1],
        &[(
            "LONG1",
            Some("fan9"),
            "2026-03-10T10:00:00Z",
            -0.8,
            long.as_str(),
        )],
    );
    fs::rename(
        scratch.join(format!("mentions/snapshot_date={}/part-0.parquet", DAYS[1])),
        input.join(format!("mentions/snapshot_date={}/part-1.parquet", DAYS[1])),
    )
    .unwrap();
    let out = temp_dir("care-report").join("out");
    for day in &DAYS[..2] {
        assert_exit(&run_on(&input, &out, day, &["--report"]), 0);
    }
    let html =
        fs::read_to_string(out.join(format!("_reports/snapshot_date={}/report.html", DAYS[1])))
            .unwrap();
    let cell = |field: &str, v: &str| format!("data-field=\"{field}\" data-value=\"{v}\"");
    for (lane, shouts, past_due, churn) in [
        ("customer_p1", "1", "1", "0"),
        ("customer_p2", "1", "1", "1"),
        ("customer_p3", "2", "2", "0"),
        ("customer_p4", "1", "1", "1"),
        ("influencer_prospect", "1", "1", "0"),
        ("public", "7", "0", "0"),
    ] {
        let row = report_row(&html, "care_lanes", "lane", lane);
        assert!(row.contains(&cell("shouts", shouts)), "{row}");
        assert!(row.contains(&cell("past_due", past_due)), "{row}");
        assert!(row.contains(&cell("churn_intent", churn)), "{row}");
    }
    for (topic, route, shouts, past_due) in [
        ("network", "network_ops", "3", "1"),
        ("churn", "retention", "2", "2"),
        ("billing", "billing", "2", "1"),
        ("devices", "devices", "1", "1"),
        ("service", "customer_service", "1", "1"),
        ("other", "care_desk", "4", "0"),
    ] {
        let row = report_row(&html, "care_topics", "topic", topic);
        assert!(row.contains(&format!("data-route=\"{route}\"")), "{row}");
        assert!(row.contains(&cell("shouts", shouts)), "{row}");
        assert!(row.contains(&cell("past_due", past_due)), "{row}");
    }
    // the headline: 13 shouts, 6 past due, 2 with churn intent
    let band = &html[html.find("data-kpi=\"care\"").unwrap()..];
    let band = &band[..band.find("</article>").unwrap()];
    for (field, v) in [("shouts", "13"), ("past_due", "6"), ("churn_intent", "2")] {
        assert!(
            band.contains(&format!("<span {}>", cell(field, v))),
            "{field}"
        );
    }
    // the first 20 are all 13, in queue order; LONG1's text is cut to 140
    // characters (not bytes), marked with "…", its length kept
    for (rank, id) in [("1", "N1"), ("6", "S1"), ("7", "LONG1"), ("13", "W1")] {
        let row = report_row(&html, "care_queue_first", "queue-rank", rank);
        assert!(row.contains(&cell("mention_id", id)), "{row}");
        let past = if rank.parse::<u32>().unwrap() <= 6 {
            "true"
        } else {
            "false"
        };
        assert!(row.contains(&format!("data-past-due=\"{past}\"")), "{row}");
    }
    let row = report_row(&html, "care_queue_first", "queue-rank", "7");
    let cut = "é".repeat(140);
    assert!(
        row.contains(&format!("{}>{cut}…</td>", cell("text", &cut))),
        "{row}"
    );
    assert!(row.contains(&cell("text_chars", "150")), "{row}");
    assert!(!html.contains(&long));
}
