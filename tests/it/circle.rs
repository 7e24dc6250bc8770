//! The customer's circle (docs/SPEC.md §9) end to end, on a small input
//! the test writes itself, with @-mentions (the bundled fixtures' graph is
//! made of `connections` only: tests/expected/WORKINGS.md §14, checked in
//! tests/it/expected.rs).
//!
//! The planted input for D = 2026-03-10, every row posted or observed on D:
//! - accounts A (ann, spend 10), B (bob, 20), C (carl, 30), D (dan, 40),
//!   all active, no other figure (payment 0.5, services 0, tenure 0, no
//!   vendor influence); E (eve) closed.
//! - mentions: m1 by ann "@bob and @Pro!", m2 by carl "thanks @bob, cc
//!   @pro.", m3 by dan "hi @BOB (mail dan@example.com)", m4 by ann
//!   "@acme @ACME help" (own handle), m5 by bob "@bob" (self).
//! - connections: fan1 follows bob (delivered on D-1 and D), fan1 retweets
//!   bob; one row with an unknown kind (rejected).
//!
//! Worked by hand (SPEC §3, §9), `[circle] own_handles = ["@Acme"]`:
//! - edges: ann→bob 1, ann→pro 1, carl→bob 1, carl→pro 1, dan→bob 1
//!   (mention weight 1 each), fan1→bob 2 (follows + retweet, mentions 0).
//!   Handles: ann, bob, carl, dan, fan1, pro (N = 6).
//! - PageRank: ann, carl, dan, fan1 have no in-edge: the same units L at
//!   every round. bob gets ⌊L/2⌋ from ann and carl each, L from dan and
//!   fan1; pro ⌊L/2⌋ from ann and carl. So bob > pro > the four, which tie:
//!   network_influence bob 100·5/5 = 100, pro 100·4/5 = 80, the rest 0.
//! - value_score = round(100·(0.35·spend_score + 0.2·0.5), 2) with
//!   spend_score 0, 1/3, 2/3, 1: A 10, B 21.67, C 33.33, D 45.
//! - social_circle: A {bob, pro}: 2, 1 customer, 21.67; B {ann, carl, dan,
//!   fan1}: 4, 3, 10 + 33.33 + 45 = 88.33, mentions_received 3 (m1, m2,
//!   m3; fan1's links are no mentions); C {bob, pro}: 2, 1, 21.67; D {bob}:
//!   1, 1, 21.67. circle_rank: B 1 (100), then A, C, D (0 and 21.67 each)
//!   by account_id.
//! - circle_prospects: pro is linked to ann and carl: 2 customers,
//!   10 + 33.33 = 43.33, 80. fan1 is linked to bob only (1 < 2).
//! - with `[influence] network_provider = true`: influence_norm = the
//!   network provider alone: B 100, A, C, D 0 (a 0 is a score, not null).
//!   B: round(100·(0.35/3 + 0.1 + 0.2·1), 2) = 41.67, silver, influencer,
//!   care_priority 3; A, C, D unchanged (0.2·0 adds nothing).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Decimal128Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use parquet::arrow::ArrowWriter;

use crate::common::*;
use crate::expected::rows_of;

/// 2026-03-10T10:00:00Z and 2026-03-09T10:00:00Z in µs.
const ON_D: i64 = 1_773_136_800_000_000;
const ON_D1: i64 = ON_D - 86_400_000_000;

fn strs(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(values.iter().copied().collect::<StringArray>())
}

fn stamps(values: &[i64]) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(values.to_vec()).with_timezone("UTC"))
}

/// Write `columns` as `<input>/<table>/snapshot_date=<date>/<file>`.
fn write(input: &Path, table: &str, date: &str, file: &str, columns: Vec<(&str, ArrayRef)>) {
    let dir = input.join(table).join(format!("snapshot_date={date}"));
    fs::create_dir_all(&dir).unwrap();
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut w = ArrowWriter::try_new(
        fs::File::create(dir.join(file)).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// The planted input of the module header, with a config naming the own
/// handle; returns (input, config file).
pub(crate) fn planted(name: &str) -> (PathBuf, PathBuf) {
    let root = temp_dir(name);
    let input = root.join("input");
    let ids = ["A", "B", "C", "D", "E"];
    let spend = Decimal128Array::from(vec![1000, 2000, 3000, 4000, 5000])
        .with_precision_and_scale(18, 2)
        .unwrap();
    let none = |n: usize| -> ArrayRef { Arc::new(Int64Array::from(vec![None::<i64>; n])) };
    write(
        &input,
        "accounts",
        DATE,
        "part-0.parquet",
        vec![
            ("account_id", strs(&ids.map(Some))),
            ("segment", strs(&[None; 5])),
            ("region", strs(&[None; 5])),
            ("plan", strs(&[None; 5])),
            (
                "status",
                strs(&[
                    Some("active"),
                    Some("active"),
                    Some("active"),
                    Some("active"),
                    Some("closed"),
                ]),
            ),
            (
                "signup_date",
                Arc::new(arrow::array::Date32Array::from(vec![None; 5])),
            ),
            ("monthly_spend", Arc::new(spend)),
            ("services_count", none(5)),
            ("invoices_due_12m", none(5)),
            ("invoices_paid_on_time_12m", none(5)),
            (
                "social_handle",
                strs(&[
                    Some("@Ann"),
                    Some("bob"),
                    Some("carl"),
                    Some("dan"),
                    Some("eve"),
                ]),
            ),
        ],
    );
    let texts = [
        "@bob and @Pro!",
        "thanks @bob, cc @pro.",
        "hi @BOB (mail dan@example.com)",
        "@acme @ACME help",
        "@bob",
    ];
    write(
        &input,
        "mentions",
        DATE,
        "part-0.parquet",
        vec![
            (
                "mention_id",
                strs(&["m1", "m2", "m3", "m4", "m5"].map(Some)),
            ),
            ("platform", strs(&[Some("twitter"); 5])),
            (
                "author_handle",
                strs(&["ann", "carl", "dan", "ann", "bob"].map(Some)),
            ),
            ("posted_at", stamps(&[ON_D; 5])),
            (
                "sentiment",
                Arc::new(arrow::array::Float64Array::from(vec![0.0; 5])),
            ),
            ("text", strs(&texts.map(Some))),
        ],
    );
    let connections = |kinds: &[&str], at: i64| {
        let n = kinds.len();
        vec![
            ("handle", strs(&vec![Some("@Fan1"); n])),
            ("connected_handle", strs(&vec![Some("bob"); n])),
            (
                "kind",
                strs(&kinds.iter().map(|k| Some(*k)).collect::<Vec<_>>()),
            ),
            ("observed_at", stamps(&vec![at; n])),
        ]
    };
    let yesterday = "2026-03-09";
    write(
        &input,
        "connections",
        yesterday,
        "part-0.parquet",
        connections(&["follows"], ON_D1),
    );
    write(
        &input,
        "connections",
        DATE,
        "part-0.parquet",
        connections(&["Follows", "retweet", "likes"], ON_D),
    );
    let config = root.join("circle.toml");
    fs::write(&config, config_text(false)).unwrap();
    (input, config)
}

/// The planted input's settings: the own handle; one connection of four
/// is rejected, so `[quality.connections]` allows it; the network provider
/// on or off.
fn config_text(network_provider: bool) -> String {
    format!(
        "[circle]\nown_handles = [\"@Acme\"]\n\
         [influence]\nnetwork_provider = {network_provider}\n\
         [quality.connections]\nmax_reject_ratio = 0.5\n"
    )
}

pub(crate) fn table_rows(out: &Path, table: &str) -> Vec<Vec<String>> {
    let dir = out.join(table).join(format!("snapshot_date={DATE}"));
    rows_of(&read_partition(&dir)).2
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

#[test]
fn the_planted_graph_gives_the_hand_computed_circle() {
    let (input, config) = planted("circle-planted");
    let out = input.parent().unwrap().join("out");
    let cfg = config.to_str().unwrap();
    assert_exit(&run(&input, &out, &["--config", cfg]), 0);
    assert_eq!(
        table_rows(&out, "social_circle"),
        [
            row(&["A", "ann", "2", "1", "21.67", "0", "0.0", "2"]),
            row(&["B", "bob", "4", "3", "88.33", "3", "100.0", "1"]),
            row(&["C", "carl", "2", "1", "21.67", "0", "0.0", "3"]),
            row(&["D", "dan", "1", "1", "21.67", "0", "0.0", "4"]),
        ]
    );
    assert_eq!(
        table_rows(&out, "circle_prospects"),
        [row(&["pro", "2", "43.33", "80.0"])]
    );
    // the rejected connection, in _rejects/connections with its reason
    let rejects = table_rows(&out, "_rejects/connections");
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0][2], "likes");
    assert_eq!(rejects[0][4], "invalid_value:kind");
    let m = manifests(&out).pop().unwrap();
    assert_eq!(m["inputs"]["connections"]["rows_read"], 4);
    assert_eq!(m["inputs"]["connections"]["rejected"], 1);
    assert_eq!(m["outputs"]["social_circle"]["rows"], 4);
    assert_eq!(m["outputs"]["circle_prospects"]["rows"], 1);
    for table in ["social_circle", "circle_prospects", "_rejects/connections"] {
        let success = out
            .join(table)
            .join(format!("snapshot_date={DATE}/_SUCCESS"));
        assert!(success.exists(), "{table} not committed");
    }
}

#[test]
fn network_provider_feeds_influence_as_hand_computed() {
    let (input, config) = planted("circle-provider");
    let root = input.parent().unwrap().to_path_buf();
    fs::write(&config, config_text(true)).unwrap();
    let out = root.join("out");
    assert_exit(
        &run(&input, &out, &["--config", config.to_str().unwrap()]),
        0,
    );
    let mut tiers = table_rows(&out, "customer_tiers");
    // account_id, influence_score, influence_norm, is_influencer,
    // value_score, tier, care_priority
    tiers.sort();
    let picked: Vec<Vec<String>> = tiers
        .iter()
        .map(|r| {
            [0, 10, 11, 12, 13, 14, 21]
                .iter()
                .map(|i| r[*i].clone())
                .collect()
        })
        .collect();
    assert_eq!(
        picked,
        [
            row(&["A", "0.0", "0.0", "false", "10.0", "bronze", "4"]),
            row(&["B", "1.0", "100.0", "true", "41.67", "silver", "3"]),
            row(&["C", "0.0", "0.0", "false", "33.33", "bronze", "4"]),
            row(&["D", "0.0", "0.0", "false", "45.0", "silver", "3"]),
        ]
    );
    // off (the default): no influence at all, B stays bronze at 21.67
    let off = root.join("off");
    fs::write(&config, config_text(false)).unwrap();
    assert_exit(
        &run(&input, &off, &["--config", config.to_str().unwrap()]),
        0,
    );
    let b = table_rows(&off, "customer_tiers")
        .into_iter()
        .find(|r| r[0] == "B")
        .unwrap();
    assert_eq!([&b[11], &b[13], &b[14]], ["", "21.67", "bronze"]);
}

#[test]
fn reruns_are_byte_identical_with_any_target_partitions() {
    let (input, config) = planted("circle-partitions");
    let root = input.parent().unwrap().to_path_buf();
    let cfg = config.to_str().unwrap();
    let trees: Vec<_> = ["1", "2", "8"]
        .iter()
        .map(|n| {
            let out = root.join(format!("out-{n}"));
            assert_exit(
                &run(&input, &out, &["--config", cfg, "--target-partitions", n]),
                0,
            );
            snapshot_tree(&out)
        })
        .collect();
    assert!(trees[0]
        .iter()
        .any(|(p, _)| p.starts_with("social_circle/")));
    assert_eq!(trees[0], trees[1], "target_partitions 1 vs 2");
    assert_eq!(trees[0], trees[2], "target_partitions 1 vs 8");
}

#[test]
fn a_bad_connections_file_is_a_contract_violation_naming_it() {
    let (input, _) = planted("circle-bad");
    let root = input.parent().unwrap().to_path_buf();
    let bad = input.join(format!("connections/snapshot_date={DATE}/part-9.parquet"));
    let text = |v: &str| strs(&[Some(v)]);
    for (i, (what, names)) in [
        ("missing column", "kind"),
        ("wrong type", "observed_at"),
        ("corrupt", "part-9.parquet"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut columns = vec![("handle", text("x")), ("connected_handle", text("y"))];
        match what {
            "missing column" => columns.push(("observed_at", stamps(&[ON_D]))),
            "wrong type" => {
                columns.push(("kind", text("follows")));
                columns.push(("observed_at", text("2026-03-10")));
            }
            _ => {}
        }
        if what == "corrupt" {
            fs::write(&bad, b"PAR1 this is not parquet").unwrap();
        } else {
            write(&input, "connections", DATE, "part-9.parquet", columns);
        }
        let out = root.join(format!("out-{i}"));
        let o = run(&input, &out, &[]);
        assert_exit(&o, 3);
        let err = stderr(&o);
        for part in ["connections", "part-9.parquet", names] {
            assert!(err.contains(part), "{what}: {err} lacks {part}");
        }
        assert!(!out.join("social_circle").exists(), "{what}: wrote outputs");
    }
}

/// The same on generated data, whose graph has thousands of handles and
/// heavy-tailed degrees (`pulsetier generate`): every published file,
/// the circle's included, has the same bytes with 1, 2 and 8 partitions.
#[test]
fn generated_circles_are_byte_identical_with_any_target_partitions() {
    let root = temp_dir("circle-generated");
    let input = root.join("input");
    assert_exit(&generate_input(&input, 1_500, 7), 0);
    let trees: Vec<_> = ["1", "2", "8"]
        .iter()
        .map(|n| {
            let out = root.join(format!("out-{n}"));
            assert_exit(&run(&input, &out, &["--target-partitions", n]), 0);
            snapshot_tree(&out)
        })
        .collect();
    let prospects = root.join(format!("out-1/circle_prospects/snapshot_date={DATE}"));
    let rows: usize = read_partition(&prospects)
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert!(rows > 0, "generated data has prospects");
    assert_eq!(trees[0], trees[1], "target_partitions 1 vs 2");
    assert_eq!(trees[0], trees[2], "target_partitions 1 vs 8");
}

/// explain-account shows the account's circle (docs/explain-account.md).
/// By hand (module header): bob's circle is ann, carl, dan (one mention
/// each into bob) and fan1 (a follow and a retweet: weight 2); bob names
/// nobody, so every weight_out is 0. Top linked: fan1 (2), then ann, carl,
/// dan (1 each, network_influence 0 all, so by handle).
#[test]
fn explain_account_shows_the_circle() {
    let (input, config) = planted("circle-explain");
    let out = input.parent().unwrap().join("o");
    let args = |json: bool| {
        let mut a = vec![
            "explain-account",
            "--date",
            DATE,
            "--input",
            input.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--account",
            "B",
        ];
        if json {
            a.push("--json");
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let json = args(true);
    let o = pulsetier(&json.iter().map(String::as_str).collect::<Vec<_>>());
    assert_exit(&o, 0);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let c = &doc["circle"];
    assert_eq!(c["handle"], "bob");
    assert_eq!(c["circle_size"], 4);
    assert_eq!(c["circle_customers"], 3);
    assert_eq!(c["circle_value"], 88.33);
    assert_eq!(c["mentions_received"], 3);
    assert_eq!(c["network_influence"], 100.0);
    assert_eq!(c["circle_rank"], 1);
    let top: Vec<(String, i64, i64, Option<String>)> = c["top_linked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["handle"].as_str().unwrap().to_string(),
                l["weight_out"].as_i64().unwrap(),
                l["weight_in"].as_i64().unwrap(),
                l["account_id"].as_str().map(String::from),
            )
        })
        .collect();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        top,
        [
            ("fan1".to_string(), 0, 2, None),
            ("ann".to_string(), 0, 1, some("A")),
            ("carl".to_string(), 0, 1, some("C")),
            ("dan".to_string(), 0, 1, some("D")),
        ]
    );
    let text = args(false);
    let o = pulsetier(&text.iter().map(String::as_str).collect::<Vec<_>>());
    assert_exit(&o, 0);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("Circle (docs/SPEC.md §9): handle bob"),
        "{text}"
    );
    assert!(
        text.contains("4 handles linked, 3 of them customers"),
        "{text}"
    );
}
