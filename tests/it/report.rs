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
            "circle_sizes",
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
        "circle_sizes",
    ] {
        assert_eq!(data_table(&h, table), data_table(&d, table), "{table}");
    }
    assert_eq!(section_of(&h, "circle"), section_of(&d, "circle"));
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

/// The `<section id="ID">…</section>` markup of a page.
fn section_of(html: &str, id: &str) -> String {
    let open = format!("<section id=\"{id}\">");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("no section {id} in the page"));
    let end = html[start..].find("</section>").unwrap() + start;
    html[start..end].to_string()
}

/// `cell` (`data-field="F" data-value="V"`) is in `row`.
fn has(row: &str, field: &str, value: &str) -> bool {
    row.contains(&format!(r#"data-field="{field}" data-value="{value}""#))
}

/// The circle section on the planted input of tests/it/circle.rs, worked
/// by hand in its header: scored A (circle ann: {bob, pro}, size 2), B
/// (bob: {ann, carl, dan, fan1}, 4), C (carl: {bob, pro}, 2), D (dan:
/// {bob}, 1), each with at least one other customer in it; all four in
/// the graph, none with a vendor score; network_influence B 100 (band
/// 80–100), A, C, D 0 (band 0–20); one prospect, pro (2 customers,
/// 10 + 33.33 = 43.33, network_influence 80). With the network provider
/// on, influence_norm holds network_influence and the comparison is left
/// out.
#[test]
fn the_circle_section_shows_the_hand_computed_circle() {
    let (input, config) = crate::circle::planted("report-circle");
    let out = input.parent().unwrap().join("out");
    let cfg = config.to_str().unwrap();
    assert_exit(&run(&input, &out, &["--config", cfg, "--report"]), 0);
    let html = fs::read_to_string(page(&out, DATES[2])).unwrap();
    let circle = section_of(&html, "circle");
    // after the care queue, before the tables of the night
    let at = html.find("<section id=\"circle\">").unwrap();
    assert!(html.find("<section id=\"care-queue\">").unwrap() < at);
    assert!(at < html.find("<section id=\"outputs\">").unwrap());
    for (field, value) in [
        ("scored", "4"),
        ("with_circle", "4"),
        ("with_customers", "4"),
        ("in_graph", "4"),
        ("no_vendor_score", "4"),
        ("prospects", "1"),
    ] {
        let want = format!(r#"<span data-field="{field}" data-value="{value}">"#);
        assert!(circle.contains(&want), "{field}");
    }
    let sizes = data_table(&circle, "circle_sizes");
    for (bucket, accounts) in [
        ("0", "0"),
        ("1", "1"),
        ("2–4", "3"),
        ("5–9", "0"),
        ("10–19", "0"),
        ("20–49", "0"),
        ("50+", "0"),
    ] {
        let row = row_of(&sizes, "circle-size", bucket);
        assert!(has(&row, "accounts", accounts), "{row}");
        assert!(has(&row, "with_customers", accounts), "{row}");
    }
    let grid = data_table(&circle, "circle_influence");
    assert_eq!(grid.matches("<tr ").count(), 30);
    let cell = |network: &str, vendor: &str| {
        let key = format!(r#"<tr data-network="{network}" data-vendor="{vendor}">"#);
        let start = grid.find(&key).unwrap_or_else(|| panic!("{key}"));
        grid[start..start + grid[start..].find("</tr>").unwrap()].to_string()
    };
    assert!(has(&cell("80–100", "none"), "accounts", "1"));
    assert!(has(&cell("0–20", "none"), "accounts", "3"));
    assert!(has(&cell("40–60", "none"), "accounts", "0"));
    assert!(has(&cell("80–100", "80–100"), "accounts", "0"));
    let top = data_table(&circle, "circle_prospects_top");
    let row = row_of(&top, "prospect-rank", "1");
    assert!(has(&row, "handle", "pro"), "{row}");
    assert!(has(&row, "customers_linked", "2"), "{row}");
    assert!(
        row.contains(r#"data-field="customers_value" data-value="43.33">43.33<"#),
        "{row}"
    );
    assert!(
        row.contains(r#"data-field="network_influence" data-value="80">80.0<"#),
        "{row}"
    );
    assert_eq!(top.matches("<tr data-prospect-rank").count(), 1);

    // the network provider on: the vendors' influence is not told apart
    let text = fs::read_to_string(&config).unwrap();
    let on = text.replace("network_provider = false", "network_provider = true");
    assert_ne!(on, text, "the planted config names network_provider");
    fs::write(&config, on).unwrap();
    let out = input.parent().unwrap().join("out-provider");
    assert_exit(&run(&input, &out, &["--config", cfg, "--report"]), 0);
    let html = fs::read_to_string(page(&out, DATES[2])).unwrap();
    let circle = section_of(&html, "circle");
    assert!(circle.contains("data-note=\"network_provider\""));
    assert!(!circle.contains("data-table=\"circle_influence\""));
    assert!(!circle.contains("no_vendor_score"));
    assert!(circle.contains(r#"<span data-field="in_graph" data-value="4">"#));
}

/// A date published before the circle existed: its manifest lists no
/// `social_circle` or `circle_prospects` and neither table has a partition.
/// The date is still committed (with the outputs it has): the page is
/// written and its circle section says the circle was not published.
#[test]
fn a_date_from_before_the_circle_gets_a_page_saying_so() {
    let out = temp_dir("report-before-circle");
    assert_exit(&run(&fixtures(), &out, &[]), 0);
    for table in ["social_circle", "circle_prospects"] {
        fs::remove_dir_all(out.join(table)).unwrap();
    }
    let dir = out.join(format!("_manifests/snapshot_date={}", DATES[2]));
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let mut m: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let outputs = m["outputs"].as_object_mut().unwrap();
        assert!(outputs.remove("social_circle").is_some());
        assert!(outputs.remove("circle_prospects").is_some());
        fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    }
    assert_exit(&report_of(&out, DATES[2]), 0);
    let html = fs::read_to_string(page(&out, DATES[2])).unwrap();
    let circle = section_of(&html, "circle");
    assert!(circle.contains("not published for this date"), "{circle}");
    assert!(!circle.contains("<table"), "{circle}");
    // the care queue and the other sections are there as before
    data_table(&html, "care_lanes");
    data_table(&html, "tier_counts");
}
