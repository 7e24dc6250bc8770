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
        ] {
            data_table(&html, table);
        }
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
    ] {
        assert_eq!(data_table(&h, table), data_table(&d, table), "{table}");
    }
}
