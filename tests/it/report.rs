//! The HTML run report (docs/report.md) as a scheduler and a backfill see
//! it: written after every committed date with `--report`, rewritten
//! byte-identically by `pulsetier report` (every number comes from the
//! published outputs and manifests, none from the run's clock), refused for
//! a date that is not committed, never written by a failed run, and
//! self-contained (no script, no reference to fetch). Its numbers are
//! compared with the Parquet outputs in tests/report (headless Chromium and
//! DuckDB); here the same page is built from Delta outputs and must show
//! the numbers it shows for Hive.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::*;

const DATES: [&str; 3] = ["2026-03-08", "2026-03-09", "2026-03-10"];

fn page(out: &Path, date: &str) -> PathBuf {
    out.join(format!("_reports/snapshot_date={date}/report.html"))
}

/// `backfill` of the three fixture dates into `out` with the report on.
fn backfill_with_report(out: &Path, extra: &[&str]) {
    let mut args = vec![
        "backfill",
        "--from",
        DATES[0],
        "--to",
        DATES[2],
        "--output",
        out.to_str().unwrap(),
        "--report",
    ];
    args.extend_from_slice(extra);
    assert_exit(&pulsetier(&args), 0);
}

/// `pulsetier report` of `date` under `out`.
fn report_of(out: &Path, date: &str) -> std::process::Output {
    pulsetier(&["report", "--output", out.to_str().unwrap(), "--date", date])
}

/// The `<table data-table="NAME">…</table>` markup of a page.
fn data_table(html: &str, name: &str) -> String {
    let open = format!("<table data-table=\"{name}\">");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("no table {name} in the page"));
    let end = html[start..].find("</table>").unwrap() + start;
    html[start..end].to_string()
}

#[test]
fn every_committed_date_gets_a_self_contained_page_that_report_rewrites_identically() {
    let out = temp_dir("report-backfill");
    backfill_with_report(&out, &[]);
    for date in DATES {
        let html = fs::read_to_string(page(&out, date)).unwrap();
        assert!(html.contains(&format!("<body data-snapshot-date=\"{date}\">")));
        for table in [
            "outputs",
            "tier_counts",
            "value_score_histogram",
            "nps_aggregates",
            "social_pulse",
            "rejects",
            "timings",
            "tier_migration",
            "trends",
            "headline_rejects",
            "care_lanes",
            "care_topics",
            "care_queue_first",
        ] {
            data_table(&html, table);
        }
        // the headline band comes first, before any section of the night
        let band = html
            .find("<section id=\"headline\">")
            .expect("no headline band");
        assert!(band < html.find("<main>").unwrap(), "{date}");
        // nothing to fetch: no script, no link, no external source
        for banned in [
            "<script", " src=", " href=", "url(", "@import", "<link", "<iframe", "<img",
        ] {
            assert!(!html.contains(banned), "{banned} in the page of {date}");
        }
    }
    // the three dates are committed: 2026-03-10's tier history has all of them
    let html = fs::read_to_string(page(&out, DATES[2])).unwrap();
    let tiers = data_table(&html, "tier_counts");
    for date in DATES {
        assert_eq!(
            tiers.matches(&format!("data-date=\"{date}\"")).count(),
            4,
            "{date}"
        );
    }
    let before = fs::read(page(&out, DATES[2])).unwrap();
    let o = report_of(&out, DATES[2]);
    assert_exit(&o, 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("report.html"));
    assert!(
        fs::read(page(&out, DATES[2])).unwrap() == before,
        "the report of a committed date changed when rewritten"
    );
    // without --date: the newest date with a manifest
    fs::remove_file(page(&out, DATES[2])).unwrap();
    assert_exit(
        &pulsetier(&["report", "--output", out.to_str().unwrap()]),
        0,
    );
    assert!(fs::read(page(&out, DATES[2])).unwrap() == before);
}

#[test]
fn a_date_that_is_not_committed_gets_no_page() {
    let out = temp_dir("report-refused");
    let o = report_of(&out, "2026-03-10");
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("2026-03-10"), "{}", stderr(&o));
    // a run stopped by the quality gate: exit 4 as without --report, no page
    let o = run(&fixtures(), &out, &["--report", "--max-reject-ratio", "0"]);
    assert_exit(&o, 4);
    assert!(!page(&out, "2026-03-10").exists());
    let o = report_of(&out, "2026-03-10");
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("quality_gate_failed"), "{}", stderr(&o));
}

/// The page of Delta outputs shows the numbers the page of Hive outputs
/// shows (only the run's own id, times and timings differ).
#[cfg(feature = "delta")]
#[test]
fn delta_outputs_give_the_same_numbers() {
    let hive = temp_dir("report-hive");
    let delta = temp_dir("report-delta");
    backfill_with_report(&hive, &[]);
    backfill_with_report(&delta, &["--table-format", "delta"]);
    let (h, d) = (
        fs::read_to_string(page(&hive, DATES[2])).unwrap(),
        fs::read_to_string(page(&delta, DATES[2])).unwrap(),
    );
    for table in [
        "tier_counts",
        "value_score_histogram",
        "nps_aggregates",
        "social_pulse",
        "tier_migration",
        "care_lanes",
        "care_topics",
        "care_queue_first",
    ] {
        assert_eq!(data_table(&h, table), data_table(&d, table), "{table}");
    }
}

/// The row of `table` whose `data-<key>` is `value`.
fn row_of(table: &str, key: &str, value: &str) -> String {
    let open = format!("<tr data-{key}=\"{value}\"");
    let start = table
        .find(&open)
        .unwrap_or_else(|| panic!("no row {key}={value}"));
    let end = table[start..].find("</tr>").unwrap() + start;
    table[start..end].to_string()
}

/// The care queue of the fixtures' 2026-03-10 alone (tests/expected/
/// care_queue.csv, worked out by hand in WORKINGS.md §13) is one shout:
/// M-L2, customer_p2 (120 minutes), posted 2026-03-10T23:59:59Z, so due
/// 2026-03-11T01:59:59Z: after D ends (day_start(D + 1) = 2026-03-11
/// 00:00:00Z), hence not past due. Every other lane shows 0.
#[test]
fn the_care_section_counts_lanes_and_past_due_at_the_end_of_d() {
    let out = temp_dir("report-care");
    assert_exit(&run(&fixtures(), &out, &["--report"]), 0);
    let html = fs::read_to_string(page(&out, DATES[2])).unwrap();
    let lanes = data_table(&html, "care_lanes");
    for lane in [
        "customer_p1",
        "customer_p3",
        "customer_p4",
        "influencer_prospect",
        "public",
    ] {
        let row = row_of(&lanes, "lane", lane);
        assert!(
            row.contains(r#"data-field="shouts" data-value="0""#),
            "{row}"
        );
    }
    let row = row_of(&lanes, "lane", "customer_p2");
    assert!(
        row.contains(r#"data-field="shouts" data-value="1""#),
        "{row}"
    );
    assert!(
        row.contains(r#"data-field="past_due" data-value="0""#),
        "{row}"
    );
    let first = data_table(&html, "care_queue_first");
    let row = row_of(&first, "queue-rank", "1");
    assert!(row.contains(r#"data-past-due="false""#), "{row}");
    assert!(
        row.contains(r#"data-field="mention_id" data-value="M-L2""#),
        "{row}"
    );
    assert!(
        row.contains(r#"data-field="due_at" data-value="2026-03-11T01:59:59Z">11 Mar 01:59 UTC<"#),
        "{row}"
    );
    assert_eq!(first.matches("<tr data-queue-rank").count(), 1);
    // the headline: one shout, none past due, none with churn intent
    for (field, value) in [("shouts", "1"), ("past_due", "0"), ("churn_intent", "0")] {
        let want = format!(r#"<span data-field="{field}" data-value="{value}">"#);
        let band = &html[html.find("data-kpi=\"care\"").unwrap()..];
        assert!(
            band[..band.find("</article>").unwrap()].contains(&want),
            "{field}"
        );
    }
}
