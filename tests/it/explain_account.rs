//! `pulsetier explain-account` on the fixtures (D = 2026-03-10, default
//! configuration). The expected values are worked out by hand from
//! docs/SPEC.md §3 and tests/expected/WORKINGS.md (§3 handles, §4
//! influence, §5 mentions, §6 surveys, §7 customer_tiers and care_priority),
//! with the arithmetic beside them; they are not copied from the program.
//! One test also checks, for every scored account, that the `--json`
//! numbers equal the row a run publishes.
//!
//! Accounts and what they show: care_priority rule 1 A02 (platinum and a
//! negative mention), A03 (gold and detractor); rule 2 A01 (the tier
//! alone), A08 (bronze influencer with a negative mention, three
//! providers, kred ÷ 10); rule 3 A06 (silver), A09 (a negative mention,
//! 59.5 is no influencer), A10 (detractor); rule 4 A15; ambiguous handle
//! A11; closed A20; rejected A90, A91 (and A04's rejected second row);
//! unknown NOPE, `a01`, A95.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::{json, Value};

use crate::common::*;

/// Run `explain-account` for `account` on the fixtures; checks that nothing
/// was written under the output.
fn explain(account: &str, extra: &[&str]) -> std::process::Output {
    let out = temp_dir("explain-account").join("o");
    let input = fixtures();
    let mut args = vec![
        "explain-account",
        "--date",
        DATE,
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--account",
        account,
    ];
    args.extend_from_slice(extra);
    let o = pulsetier(&args);
    assert!(!out.exists(), "explain-account wrote under its output");
    o
}

/// The `--json` document for `account`.
fn doc(account: &str) -> Value {
    let o = explain(account, &["--json"]);
    assert_exit(&o, 0);
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The URL of a fixture file, as `source_file` holds it.
fn file(rel: &str) -> String {
    format!("file://{}/{rel}", fixtures().display())
}

/// A double equal to `want` within 1e-9.
#[track_caller]
fn close(got: &Value, want: f64) {
    let g = got
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {got}"));
    assert!((g - want).abs() < 1e-9, "got {g}, expected {want}");
}

/// Each component's score and weighted term, and the value arithmetic:
/// `scores` are spend, payment, services, tenure, influence; weights
/// 0.35, 0.20, 0.15, 0.10, 0.20 (Σ = 1.0).
#[track_caller]
fn assert_value(d: &Value, scores: [f64; 5], unrounded: f64, value_score: f64, tier: &str) {
    let weights = [0.35, 0.20, 0.15, 0.10, 0.20];
    let names = ["spend", "payment", "services", "tenure", "influence"];
    for ((name, s), w) in names.iter().zip(scores).zip(weights) {
        let c = &d["components"][name];
        close(&c["score"], s);
        close(&c["weight"], w);
        close(&c["weighted"], w * s);
    }
    let v = &d["value"];
    close(&v["weight_total"], 1.0);
    close(&v["weighted_sum"], unrounded / 100.0);
    close(&v["unrounded"], unrounded);
    close(&v["value_score"], value_score);
    assert_eq!(v["tier"], tier);
    assert_eq!(
        v["tier_thresholds"],
        json!({"platinum": 80.0, "gold": 60.0, "silver": 40.0})
    );
}

#[track_caller]
fn assert_care(d: &Value, priority: i64, rule_starts: &str) {
    let c = &d["care_priority"];
    assert_eq!(c["priority"], priority);
    assert!(c["rule"].as_str().unwrap().starts_with(rule_starts), "{c}");
    assert_eq!(d["customer_tiers"]["care_priority"], priority);
}

#[test]
fn a02_platinum_with_a_negative_mention_is_rule_1() {
    let d = doc("A02");
    assert_eq!(d["outcome"], "scored");
    assert_eq!(d["rejected_rows"], json!([]));
    // spend 88.80 is the 14th of 15 spends: (14 − 1) / (15 − 1) = 13/14
    let c = &d["components"];
    assert_eq!(c["spend"]["monthly_spend"], "88.80");
    assert_eq!(
        (c["spend"]["rank"].clone(), c["spend"]["n"].clone()),
        (json!(14), json!(15))
    );
    // payment 6/6 = 1; services 5 → 5/5 = 1
    assert_eq!(c["payment"]["invoices_paid_on_time_12m"], 6);
    assert_eq!(c["payment"]["invoices_due_12m"], 6);
    assert_eq!(c["services"]["services_count"], 5);
    // 2019-01-15 → 2026-03-10 is 2611 days, capped at 1826 → 1
    assert_eq!(c["tenure"]["signup_date"], "2019-01-15");
    assert_eq!(c["tenure"]["tenure_days"], 2611);
    // handle "@Foo" → foo; closed A20 also holds foo but is not scored,
    // so foo is not ambiguous and maps to A02
    assert_eq!(
        d["handle"],
        json!({"handle": "foo", "mapped_to": "A02", "ambiguous": false,
               "held_by": [{"account_id": "A20", "status": "closed", "scored": false}]})
    );
    // klout: 60 on 01-05 loses to the later 80 on 02-01 (the 10 on 03-11
    // is outside the window); peerindex 70. norm = (80 + 70) / 2 = 75
    let rows = d["influence_rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["provider"], "klout");
    close(&rows[0]["norm"], 80.0);
    assert_eq!(rows[0]["scored_at"], "2026-02-01T00:00:00Z");
    assert_eq!(
        rows[0]["source_file"],
        file("influence_scores/snapshot_date=2026-03-10/part-1.parquet")
    );
    assert_eq!(rows[1]["provider"], "peerindex");
    close(&rows[1]["score"], 70.0);
    close(&rows[1]["divisor"], 1.0);
    assert_eq!(
        rows[1]["source_file"],
        file("influence_scores/snapshot_date=2026-01-20/part-0.parquet")
    );
    assert!(rows.iter().all(|r| r["used"] == true));
    close(&c["influence"]["influence_norm"], 75.0);
    assert_eq!(c["influence"]["providers"], 2);
    assert_eq!(c["influence"]["is_influencer"], true); // 75 ≥ 60
                                                       // 35·13/14 + 20·1 + 15·1 + 10·1 + 20·0.75 = 32.5 + 20 + 15 + 10 + 15 = 92.5
    assert_value(
        &d,
        [13.0 / 14.0, 1.0, 1.0, 1.0, 0.75],
        92.5,
        92.5,
        "platinum",
    );
    assert_eq!(d["value"]["value_rank"], 1);
    // M-X1 (0.25, the 2026-03-10 copy wins) and M-W1 (−0.5, the later
    // posted_at wins): 2 mentions, 1 negative, (0.25 − 0.5) / 2 = −0.125
    let m = &d["mentions"];
    assert_eq!(m["mentions_30d"], 2);
    assert_eq!(m["negative_mentions_30d"], 1);
    close(&m["avg_sentiment_30d"], -0.125);
    close(&m["negative_sentiment"], -0.3);
    let ids: Vec<&str> = m["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["mention_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["M-X1", "M-W1"]);
    assert_eq!(m["matched"][0]["posted_at"], "2026-02-28T08:00:00Z");
    close(&m["matched"][0]["sentiment"], 0.25);
    assert_eq!(
        m["matched"][0]["source_file"],
        file("mentions/snapshot_date=2026-03-10/part-0.parquet")
    );
    // R-02 (account " A02 " trimmed): 7 → passive
    assert_eq!(
        d["survey"],
        json!({"response_id": "R-02", "responded_at": "2026-03-02T11:00:00Z", "score": 7,
               "channel": "web", "nps_category": "passive",
               "source_file": file("surveys/snapshot_date=2026-03-10/part-0.parquet")})
    );
    // platinum and 1 negative mention → rule 1
    assert_care(&d, 1, "tier in (platinum, gold) and");
    assert_eq!(d["care_priority"]["negative_mentions_30d"], 1);
    assert_eq!(
        d["windows"]["mentions"],
        json!({"from": "2026-02-09T00:00:00Z", "until": "2026-03-11T00:00:00Z"})
    );
}

#[test]
fn a03_gold_detractor_is_rule_1_with_kred_divided_by_10() {
    let d = doc("A03");
    // goldie kred: 150 and 249.5 both at 2026-02-15T00:00 → the higher,
    // 249.5, from the float file; ÷ 10 = 24.95. goldie peerindex 100 is
    // 1 ms before the window: no row
    let rows = d["influence_rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["provider"], "kred");
    close(&rows[0]["score"], 249.5);
    close(&rows[0]["divisor"], 10.0);
    close(&rows[0]["norm"], 24.95);
    assert_eq!(rows[0]["scored_at"], "2026-02-15T00:00:00Z");
    assert_eq!(
        rows[0]["source_file"],
        file("influence_scores/snapshot_date=2026-03-10/part-1.parquet")
    );
    // signup 2021-03-10 is exactly 1826 days before D → 1
    assert_eq!(d["components"]["tenure"]["tenure_days"], 1826);
    // 35·12/14 + 20 + 15 + 10 + 20·0.2495 = 30 + 20 + 15 + 10 + 4.99 = 79.99 → gold
    assert_value(
        &d,
        [12.0 / 14.0, 1.0, 1.0, 1.0, 0.2495],
        79.99,
        79.99,
        "gold",
    );
    // M-V1 0.5, M-W3 0.5, M-G2 0.3: 3, none ≤ −0.3, 1.3 / 3
    assert_eq!(d["mentions"]["mentions_30d"], 3);
    assert_eq!(d["mentions"]["negative_mentions_30d"], 0);
    close(&d["mentions"]["avg_sentiment_30d"], 1.3 / 3.0);
    // R-03b (03-01, 5) is later than R-03a (01-10, 10): detractor
    assert_eq!(d["survey"]["response_id"], "R-03b");
    assert_eq!(d["survey"]["score"], 5);
    assert_eq!(d["survey"]["nps_category"], "detractor");
    // gold and detractor → rule 1
    assert_care(&d, 1, "tier in (platinum, gold) and");
    assert_eq!(d["care_priority"]["nps_category"], "detractor");
}

#[test]
fn a01_the_tier_alone_is_rule_2() {
    let d = doc("A01");
    // top spend: (15 − 1) / (15 − 1) = 1; services 7 → min(7, 5)/5 = 1;
    // 5061 days → 1; no handle → no influence
    assert_eq!(d["components"]["spend"]["rank"], 15);
    assert_eq!(d["components"]["services"]["services_count"], 7);
    assert_eq!(d["components"]["tenure"]["tenure_days"], 5061);
    assert_eq!(d["handle"], Value::Null);
    assert_eq!(d["influence_rows"], json!([]));
    assert_eq!(d["components"]["influence"]["influence_norm"], Value::Null);
    // 35 + 20 + 15 + 10 + 0 = 80.00 → platinum (on the edge)
    assert_value(&d, [1.0, 1.0, 1.0, 1.0, 0.0], 80.0, 80.0, "platinum");
    // no negative mention, promoter (R-01: 9) → rule 1 fails; platinum → rule 2
    assert_eq!(d["survey"]["nps_category"], "promoter");
    assert_eq!(d["survey"]["channel"], Value::Null);
    assert_care(&d, 2, "tier in (platinum, gold), or");
}

#[test]
fn a08_bronze_influencer_with_a_negative_mention_is_rule_2_over_three_providers() {
    let d = doc("A08");
    // null spend = 0.00, tied with A10 at rank 1: (1 − 1) / 14 = 0
    assert_eq!(d["components"]["spend"]["monthly_spend"], "0.00");
    assert_eq!(d["components"]["spend"]["rank"], 1);
    // due null → 0 → payment 0.5; services 1 → 0.2; signup null → 0
    assert_eq!(d["components"]["payment"]["invoices_due_12m"], 0);
    assert_eq!(d["components"]["tenure"]["tenure_days"], Value::Null);
    // loud: klout 70 (at the window start, inside), kred 500 ÷ 10 = 50,
    // peerindex 60 → (70 + 50 + 60) / 3 = 60
    let rows = d["influence_rows"].as_array().unwrap();
    let got: Vec<(String, f64, f64, f64, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["provider"].as_str().unwrap().to_string(),
                r["score"].as_f64().unwrap(),
                r["divisor"].as_f64().unwrap(),
                r["norm"].as_f64().unwrap(),
                r["scored_at"].as_str().unwrap().to_string(),
                r["source_file"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let row = |p: &str, s: f64, div: f64, n: f64, at: &str, f: &str| {
        (p.to_string(), s, div, n, at.to_string(), file(f))
    };
    assert_eq!(
        got,
        [
            row(
                "klout",
                70.0,
                1.0,
                70.0,
                "2025-12-11T00:00:00Z",
                "influence_scores/snapshot_date=2025-12-11/part-0.parquet"
            ),
            row(
                "kred",
                500.0,
                10.0,
                50.0,
                "2026-01-15T00:00:00Z",
                "influence_scores/snapshot_date=2026-01-20/part-0.parquet"
            ),
            row(
                "peerindex",
                60.0,
                1.0,
                60.0,
                "2026-02-20T00:00:00Z",
                "influence_scores/snapshot_date=2026-03-10/part-1.parquet"
            ),
        ]
    );
    close(&d["components"]["influence"]["influence_norm"], 60.0);
    assert_eq!(d["components"]["influence"]["providers"], 3);
    assert_eq!(d["components"]["influence"]["is_influencer"], true); // 60 ≥ 60
                                                                     // 0 + 20·0.5 + 15·0.2 + 0 + 20·0.6 = 10 + 3 + 12 = 25.00 → bronze
    assert_value(&d, [0.0, 0.5, 0.2, 0.0, 0.6], 25.0, 25.0, "bronze");
    // M-E1 0.75, M-W2 −0.25, M-L2 −1.0: 3, 1 negative, −0.5 / 3
    assert_eq!(d["mentions"]["mentions_30d"], 3);
    assert_eq!(d["mentions"]["negative_mentions_30d"], 1);
    close(&d["mentions"]["avg_sentiment_30d"], -0.5 / 3.0);
    assert_eq!(d["survey"], Value::Null);
    // bronze fails rule 1; influencer and 1 negative → rule 2
    assert_care(&d, 2, "tier in (platinum, gold), or");
    assert_eq!(d["care_priority"]["is_influencer"], true);
}

#[test]
fn a06_a09_a10_are_rule_3_silver_negative_and_detractor() {
    // A06: 35·4/14 + 20·0.5 (no invoices due) + 15 + 10·913/1826 + 0 = 10 + 10 + 15 + 5 = 40.00 → silver
    let d = doc("A06");
    assert_eq!(d["components"]["payment"]["invoices_due_12m"], 0);
    assert_eq!(d["components"]["tenure"]["tenure_days"], 913);
    assert_value(&d, [4.0 / 14.0, 0.5, 1.0, 0.5, 0.0], 40.0, 40.0, "silver");
    // M-S6 has no sentiment: counted, no average
    assert_eq!(d["mentions"]["mentions_30d"], 1);
    assert_eq!(d["mentions"]["avg_sentiment_30d"], Value::Null);
    assert_care(&d, 3, "tier = silver");

    // A09: 35·2/14 + 0 (0 of 10 paid) + 0 + 0 (signup = D) + 20·0.595 = 5 + 11.9 = 16.90
    let d = doc("A09");
    assert_eq!(d["components"]["tenure"]["tenure_days"], 0);
    assert_value(&d, [2.0 / 14.0, 0.0, 0.0, 0.0, 0.595], 16.9, 16.9, "bronze");
    // nancy peerindex 59.5 < 60: no influencer, so rule 2 fails; M-N1 at
    // exactly −0.3 is negative → rule 3
    assert_eq!(d["components"]["influence"]["is_influencer"], false);
    assert_eq!(d["mentions"]["negative_mentions_30d"], 1);
    close(&d["mentions"]["avg_sentiment_30d"], -0.295); // (−0.3 − 0.29) / 2
    assert_care(&d, 3, "tier = silver");

    // A10 (suspended): 0 + 20·3/4 + 15·2/5 + 10·365/1826 + 0 = 15 + 6 + 1.9989… = 22.9989… → 23.00
    let d = doc("A10");
    assert_eq!(d["account"]["status"], "suspended");
    assert_eq!(d["components"]["tenure"]["tenure_days"], 365);
    let t = 365.0 / 1826.0;
    assert_value(
        &d,
        [0.0, 0.75, 0.4, t, 0.0],
        15.0 + 6.0 + 10.0 * t,
        23.0,
        "bronze",
    );
    // 6 → detractor → rule 3
    assert_eq!(d["survey"]["score"], 6);
    assert_eq!(d["survey"]["nps_category"], "detractor");
    assert_eq!(
        d["survey"]["source_file"],
        file("surveys/snapshot_date=2026-03-10/part-1.parquet")
    );
    assert_care(&d, 3, "tier = silver");
}

#[test]
fn a15_is_rule_4() {
    let d = doc("A15");
    // spend 52.00 rank 11: 10/14; 6 due, paid null → 0 → 0/6 = 0;
    // services 1 → 0.2; 250 days → 250/1826
    assert_eq!(d["components"]["spend"]["rank"], 11);
    assert_eq!(d["components"]["payment"]["invoices_paid_on_time_12m"], 0);
    assert_eq!(d["components"]["payment"]["invoices_due_12m"], 6);
    let t = 250.0 / 1826.0;
    // 25 + 0 + 3 + 1.3691… = 29.3691… → 29.37
    assert_value(
        &d,
        [10.0 / 14.0, 0.0, 0.2, t, 0.0],
        28.0 + 10.0 * t,
        29.37,
        "bronze",
    );
    // its only response (R-E2) is 1 s before the window: none
    assert_eq!(d["survey"], Value::Null);
    // bronze, no mention, no survey: rules 1–3 fail
    assert_care(&d, 4, "otherwise");
}

#[test]
fn a11_ambiguous_handle_gets_no_mentions_and_no_influence() {
    let d = doc("A11");
    // "@twin" (A11) and "TWIN " (A12) both normalize to twin: ambiguous
    assert_eq!(
        d["handle"],
        json!({"handle": "twin", "mapped_to": null, "ambiguous": true,
               "held_by": [{"account_id": "A12", "status": "active", "scored": true}]})
    );
    // twin's klout 90 is valid but used by nobody
    let rows = d["influence_rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["provider"], "klout");
    close(&rows[0]["norm"], 90.0);
    assert_eq!(rows[0]["used"], false);
    assert_eq!(d["components"]["influence"]["influence_norm"], Value::Null);
    assert_eq!(d["components"]["influence"]["providers"], 0);
    // M-T1 by "Twin" is matched to nobody
    assert_eq!(d["mentions"]["mentions_30d"], 0);
    assert_eq!(d["mentions"]["matched"], json!([]));
    // 35·3/14 + 20·9/12 + 15·3/5 + 10·700/1826 = 7.5 + 15 + 9 + 3.8335… = 35.3335… → 35.33
    let t = 700.0 / 1826.0;
    assert_value(
        &d,
        [3.0 / 14.0, 0.75, 0.6, t, 0.0],
        31.5 + 10.0 * t,
        35.33,
        "bronze",
    );
    assert_care(&d, 4, "otherwise");
}

#[test]
fn rejected_accounts_show_reason_and_file() {
    let part = |n: u8| file(&format!("accounts/snapshot_date={DATE}/part-{n}.parquet"));
    // A91: status '' → null_value:status; its survey R-U3 is unknown_account
    let d = doc("A91");
    assert_eq!(d["outcome"], "rejected");
    assert_eq!(
        d["rejected_rows"],
        json!([{"reject_reason": "null_value:status", "source_file": part(0)}])
    );
    for section in [
        "account",
        "customer_tiers",
        "components",
        "value",
        "care_priority",
        "survey",
    ] {
        assert_eq!(d[section], Value::Null, "{section}");
    }
    // A90: valid in both files → both rejected as duplicate_key
    let d = doc("A90");
    assert_eq!(
        d["rejected_rows"],
        json!([{"reject_reason": "duplicate_key", "source_file": part(0)},
               {"reject_reason": "duplicate_key", "source_file": part(1)}])
    );
    // A04: valid in part-0 and scored; its part-1 row (status "deleted")
    // is rejected and does not make it a duplicate
    let d = doc("A04");
    assert_eq!(d["outcome"], "scored");
    assert_eq!(
        d["rejected_rows"],
        json!([{"reject_reason": "invalid_value:status", "source_file": part(1)}])
    );
    // 35·8/14 + 20 + 15 + 10·913/1826 = 20 + 20 + 15 + 5 = 60.00 → gold; rule 2
    assert_value(&d, [8.0 / 14.0, 1.0, 1.0, 0.5, 0.0], 60.0, 60.0, "gold");
    assert_care(&d, 2, "tier in (platinum, gold), or");
    // text: the reason and the file
    let o = explain("A91", &[]);
    assert_exit(&o, 0);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("A91 on snapshot 2026-03-10: rejected"),
        "{text}"
    );
    assert!(text.contains("null_value:status"), "{text}");
    assert!(text.contains(&part(0)), "{text}");
}

#[test]
fn a20_closed_is_valid_but_not_scored() {
    let d = doc("A20");
    assert_eq!(d["outcome"], "not_scored");
    assert_eq!(d["account"]["status"], "closed");
    for section in [
        "customer_tiers",
        "components",
        "value",
        "care_priority",
        "mentions",
    ] {
        assert_eq!(d[section], Value::Null, "{section}");
    }
    // foo belongs to the scored A02; for A20 it is no ambiguity question
    assert_eq!(d["handle"]["mapped_to"], "A02");
    assert_eq!(d["handle"]["ambiguous"], Value::Null);
    assert!(d["influence_rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["used"] == false));
    // R-D3: both copies at 03-06 12:00 with 10; the later file (part-1, web) wins
    assert_eq!(d["survey"]["response_id"], "R-D3");
    assert_eq!(d["survey"]["channel"], "web");
    assert_eq!(
        d["survey"]["source_file"],
        file("surveys/snapshot_date=2026-03-10/part-1.parquet")
    );
}

#[test]
fn an_unknown_account_is_exit_6_naming_it() {
    // NOPE exists nowhere; ids compare case-sensitively (a01 ≠ A01); A95
    // is only in the 2026-03-09 snapshot
    for account in ["NOPE", "a01", "A95"] {
        let o = explain(account, &["--json"]);
        assert_exit(&o, 6);
        assert!(o.stdout.is_empty());
        let err = stderr(&o);
        assert!(
            err.contains(&format!(
                "account {account} is not in the accounts snapshot of {DATE}"
            )),
            "{err}"
        );
    }
    // an empty id is a usage error
    assert_exit(&explain(" ", &[]), 2);
}

#[test]
fn text_is_aligned_for_a_care_agent() {
    let o = explain("A02", &[]);
    assert_exit(&o, 0);
    let text = String::from_utf8_lossy(&o.stdout);
    for line in [
        "Account A02 on snapshot 2026-03-10: scored",
        "value_score = round(100 × 0.9250 / 1.00, 2) = round(92.5000, 2) = 92.50",
        "tier platinum (platinum ≥ 80.00, gold ≥ 60.00, silver ≥ 40.00, else bronze), value_rank 1 of 15",
        "Care priority 1 (1 = served first)",
        "rule 1: tier in (platinum, gold) and (negative_mentions_30d ≥ 1 or detractor)",
        "Social handle foo: maps to A02",
        "also held by A20 (closed, not scored)",
        "influence_norm 75.00 (mean over 2 providers used), is_influencer true (influence_norm ≥ 60.00)",
        "mentions_30d 2, negative_mentions_30d 1 (sentiment ≤ -0.30), avg_sentiment_30d -0.125",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    // the component table: every score starts in the same column
    let col = |name: &str, score: &str| {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line in:\n{text}"));
        line.find(score)
            .unwrap_or_else(|| panic!("{score} not in {line:?}"))
    };
    let spend = col("spend ", "0.9286");
    assert_eq!(col("payment ", "1.0000"), spend);
    assert_eq!(col("influence ", "0.7500"), spend);
    assert_eq!(col("component ", "score"), spend);
}

#[test]
fn under_a_memory_limit_the_explanation_is_the_same() {
    // results kept as scratch files instead of in memory (handle_scores,
    // spend_ranks written and read back): the same document
    for account in ["A03", "A08"] {
        let o = explain(account, &["--json", "--memory-limit", "256m"]);
        assert_exit(&o, 0);
        let limited: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(limited, doc(account), "{account}");
    }
}

/// The published customer_tiers of the fixtures, one JSON object per row
/// (decimals as their text, e.g. `88.80`), by account_id.
fn published_rows(out: &Path) -> BTreeMap<String, serde_json::Map<String, Value>> {
    let dir = out
        .join("customer_tiers")
        .join(format!("snapshot_date={DATE}"));
    let mut rows = BTreeMap::new();
    for b in read_partition(&dir) {
        let schema = b.schema();
        for r in 0..b.num_rows() {
            let mut row = serde_json::Map::new();
            for (f, c) in schema.fields().iter().zip(b.columns()) {
                let v = if c.is_null(r) {
                    Value::Null
                } else {
                    match c.data_type() {
                        DataType::Float64 => json!(c.as_primitive::<Float64Type>().value(r)),
                        DataType::Int64 => json!(c.as_primitive::<Int64Type>().value(r)),
                        DataType::Int32 => json!(c.as_primitive::<Int32Type>().value(r)),
                        DataType::Boolean => json!(c.as_boolean().value(r)),
                        _ => {
                            let fmt =
                                ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default())
                                    .unwrap();
                            json!(fmt.value(r).to_string())
                        }
                    }
                };
                row.insert(f.name().clone(), v);
            }
            rows.insert(row["account_id"].as_str().unwrap().to_string(), row);
        }
    }
    rows
}

#[test]
fn json_numbers_equal_the_published_row_for_every_account() {
    let out = temp_dir("explain-account-published");
    assert_exit(&run(&fixtures(), &out, &[]), 0);
    let published = published_rows(&out);
    assert_eq!(published.len(), 15); // A01–A15
    for (account, row) in &published {
        let d = doc(account);
        let at = |what: &str| format!("{account}: {what}");
        // the row itself, column by column, exactly
        let tiers = d["customer_tiers"].as_object().unwrap();
        assert_eq!(
            tiers.keys().collect::<Vec<_>>(),
            row.keys().collect::<Vec<_>>()
        );
        for (column, value) in row {
            assert_eq!(&tiers[column], value, "{}", at(column));
        }
        // and every section that shows a published value
        let c = &d["components"];
        let sections = [
            ("spend_score", &c["spend"]["score"]),
            ("monthly_spend", &c["spend"]["monthly_spend"]),
            ("payment_score", &c["payment"]["score"]),
            ("services_score", &c["services"]["score"]),
            ("tenure_score", &c["tenure"]["score"]),
            ("influence_score", &c["influence"]["score"]),
            ("influence_norm", &c["influence"]["influence_norm"]),
            ("is_influencer", &c["influence"]["is_influencer"]),
            ("value_score", &d["value"]["value_score"]),
            ("tier", &d["value"]["tier"]),
            ("value_rank", &d["value"]["value_rank"]),
            ("mentions_30d", &d["mentions"]["mentions_30d"]),
            (
                "negative_mentions_30d",
                &d["mentions"]["negative_mentions_30d"],
            ),
            ("avg_sentiment_30d", &d["mentions"]["avg_sentiment_30d"]),
            ("care_priority", &d["care_priority"]["priority"]),
            ("tier", &d["care_priority"]["tier"]),
            ("nps_category", &d["care_priority"]["nps_category"]),
        ];
        for (column, shown) in sections {
            assert_eq!(*shown, row[column], "{}", at(column));
        }
        match &row["last_nps_score"] {
            Value::Null => assert_eq!(d["survey"], Value::Null, "{}", at("survey")),
            score => {
                assert_eq!(&d["survey"]["score"], score, "{}", at("survey"));
                assert_eq!(d["survey"]["nps_category"], row["nps_category"]);
            }
        }
        // the displayed arithmetic agrees with the published value_score
        let unrounded = d["value"]["unrounded"].as_f64().unwrap();
        let value_score = row["value_score"].as_f64().unwrap();
        assert!(
            ((unrounded * 100.0).round() / 100.0 - value_score).abs() < 1e-9,
            "{}: {unrounded} vs {value_score}",
            account
        );
        let matched = d["mentions"]["matched"].as_array().unwrap().len();
        assert_eq!(json!(matched), row["mentions_30d"], "{}", at("matched"));
    }
}

/// explain-account's care rule text is tied to the SQL: on every
/// combination of what the rules read (each tier, 0–2 negative mentions,
/// no survey / detractor / passive / promoter, no influence / 59.99 / 60 /
/// 75), `sql/22_customer_tiers.sql`'s care_priority must be the priority
/// of the first rule of `explain_account::CARE_RULES` that holds. A rule
/// changed in the SQL and not in the text (or the other way) fails here,
/// naming the text.
#[tokio::test]
async fn care_rule_text_matches_sql_22() {
    use pulsetier::explain_account::{care_priority, CareFacts, CARE_RULES};
    use pulsetier::history::History;
    use pulsetier::transform::{params, STEPS};

    // spend_score = 1 for everyone (one spend, `below` = n − 1): value =
    // 35 + 20 p + 15 v + 10 t (influence_score 0, so influence_norm moves
    // is_influencer only): bronze 35, silver 40, gold 61, platinum 80
    let tiers = [
        ("bronze", 0.0, 0.0, 0.0),
        ("silver", 0.25, 0.0, 0.0),
        ("gold", 1.0, 0.4, 0.0),
        ("platinum", 1.0, 1.0, 1.0),
    ];
    let mut rows = Vec::new();
    for (tier, p, v, t) in tiers {
        for neg in [0, 1, 2] {
            for nps in ["NULL", "6", "8", "10"] {
                for infl in ["NULL", "59.99", "60.0", "75.0"] {
                    let id = format!("{tier}-n{neg}-s{nps}-i{infl}");
                    rows.push(format!(
                        "('{id}', 'x', 'x', 'x', 'active', 10.00, {p}, {v}, {t}, {infl}, 0.0, {neg}, {neg}, NULL, {nps})"
                    ));
                }
            }
        }
    }
    let ctx = datafusion::prelude::SessionContext::new();
    let create = format!(
        "CREATE TABLE account_features (
           account_id VARCHAR, segment VARCHAR, region VARCHAR, plan VARCHAR, status VARCHAR,
           monthly_spend DECIMAL(18, 2), payment_score DOUBLE, services_score DOUBLE,
           tenure_score DOUBLE, influence_norm DOUBLE, influence_score DOUBLE,
           mentions_30d BIGINT, negative_mentions_30d BIGINT, avg_sentiment_30d DOUBLE,
           last_nps_score BIGINT) AS VALUES {}",
        rows.join(", ")
    );
    ctx.sql(&create).await.unwrap().collect().await.unwrap();
    let ranks = format!(
        "CREATE TABLE spend_ranks (monthly_spend DECIMAL(18, 2), below BIGINT) AS VALUES (10.00, {})",
        rows.len() - 1
    );
    ctx.sql(&ranks).await.unwrap().collect().await.unwrap();
    let step = STEPS
        .iter()
        .find(|s| s.file == "22_customer_tiers.sql")
        .unwrap();
    let date = pulsetier::config::parse_date(DATE).unwrap();
    let settings = pulsetier::Settings::default();
    let batches = ctx
        .sql(step.sql)
        .await
        .unwrap()
        .with_param_values(params(date, &settings, &History::default()))
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut seen_priorities = std::collections::BTreeSet::new();
    let mut checked = 0;
    for b in &batches {
        let col = |name: &str| b.column_by_name(name).unwrap();
        // VARCHAR columns may come back as Utf8View: read them as Utf8
        let text = |name: &str| arrow::compute::cast(col(name), &DataType::Utf8).unwrap();
        let (ids, tier, cat) = (text("account_id"), text("tier"), text("nps_category"));
        let (ids, tier, cat) = (
            ids.as_string::<i32>(),
            tier.as_string::<i32>(),
            cat.as_string::<i32>(),
        );
        let neg = col("negative_mentions_30d").as_primitive::<Int64Type>();
        let infl = col("is_influencer").as_boolean();
        let prio = col("care_priority").as_primitive::<Int32Type>();
        for i in 0..b.num_rows() {
            let id = ids.value(i);
            assert!(
                id.starts_with(tier.value(i)),
                "{id} scored {}",
                tier.value(i)
            );
            let facts = CareFacts {
                tier: tier.value(i),
                negative_mentions_30d: neg.value(i),
                detractor: !cat.is_null(i) && cat.value(i) == "detractor",
                is_influencer: infl.value(i),
            };
            let by_text = care_priority(&facts);
            let by_sql = prio.value(i);
            assert_eq!(
                by_sql,
                by_text,
                "explain-account's care rule text (explain_account::CARE_RULES) no longer says what \
                 sql/22_customer_tiers.sql does: {id} ({facts:?}) gets care_priority {by_sql} from the SQL, \
                 {by_text} from the rule \"{}\"",
                CARE_RULES[(by_text - 1) as usize].text
            );
            seen_priorities.insert(by_sql);
            checked += 1;
        }
    }
    assert_eq!(checked, rows.len());
    assert_eq!(
        seen_priorities.into_iter().collect::<Vec<_>>(),
        [1, 2, 3, 4],
        "every rule must fire somewhere in the grid"
    );
}
