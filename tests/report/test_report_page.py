"""The HTML run report (docs/report.md), opened in a real browser.

A backfill of the three fixture dates with `--report` writes the page of
2026-03-10 with history (tiers and rejects over several dates) and a tier
migration matrix. Headless Chromium (Debian's, driven by selenium) opens it
from disk, which is how people read it, and the tests check that:

- it renders (title, `data-snapshot-date`) with no console error and no
  network request (the page must be self-contained; its CSP forbids any);
- every chart section draws an inline SVG chart;
- every number in every `table[data-table]` (its exact `data-value`; the
  text is rounded for people) equals the value recomputed here from the
  published Parquet partitions (read by DuckDB) and from the run manifests
  -- nothing is taken from the page to build an expectation;
- `pulsetier report` refuses a date that was never committed (exit 2) and,
  without `--date`, rewrites the newest page with the same tables;
- the customer's circle section (issue #23) shows the fixtures' small
  graph (tests/expected/WORKINGS.md §14) with the values worked out there
  by hand; a larger generated circle is test_report_circle.py's.

A 1280x2000 screenshot is kept in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import datetime as dt
import shutil
import struct
from collections import Counter
from pathlib import Path

import pytest

import pulsetier_cli as P
import report_page as RP
from report_page import SECTION_CHARTS_JS, open_page, page_tables

DATE = P.DATE
REPORT_DAYS = 14  # the default window of the tables over time
TIERS = ("platinum", "gold", "silver", "bronze")
HIST_BINS = 20
HIST_WIDTH = 5
SCREEN_W, SCREEN_H = 1280, 2000
ARTIFACTS = P.REPO_ROOT / "test-artifacts"
SCREENSHOT = ARTIFACTS / f"report-{DATE}-{SCREEN_W}x{SCREEN_H}.png"

# data-table name -> the data-<key> attributes of its rows, in <th> order
TABLE_KEYS = {
    "outputs": ("output",),
    "tier_counts": ("date", "tier"),
    "value_score_histogram": ("from", "to"),
    "nps_aggregates": ("dimension", "dimension-value"),
    "social_pulse": ("dimension", "dimension-value"),
    "rejects": ("date", "table", "reason"),
    "timings": ("stage",),
    "tier_migration": ("from", "to"),
    "care_lanes": ("lane",),
    "care_topics": ("topic", "route"),
    "circle_sizes": ("circle-size",),
    "circle_influence": ("network", "vendor"),
    "circle_prospects_top": ("prospect-rank",),
}
# tests/expected/WORKINGS.md §14: the fixtures' circle, by hand. Scored
# accounts per circle_size bucket (A02 5, A03 2, A07 and A08 1, eleven 0;
# each of the four has a customer in its circle); the four accounts in the
# graph by network band x vendor influence_norm band (A02 100 / 75.0, A03
# 80 / 24.95, A07 0 / none, A08 0 / 60.0); the one prospect, fan1.
FIXTURE_CIRCLE_SIZES = {"0": (11, 0), "1": (2, 2), "2–4": (1, 1), "5–9": (1, 1)}
FIXTURE_CIRCLE_GRID = {("80–100", "60–80"): 1, ("80–100", "20–40"): 1, ("0–20", "none"): 1,
                       ("0–20", "60–80"): 1}
FIXTURE_PROSPECTS = {("1",): {"handle": "fan1", "customers_linked": 2, "customers_value": 172.49,
                              "network_influence": 0.0}}
FIXTURE_CIRCLE_FACTS = {"scored": 15, "with_circle": 4, "with_customers": 4, "in_graph": 4,
                        "no_vendor_score": 1, "prospects": 1}
LANES = ("customer_p1", "customer_p2", "customer_p3", "customer_p4", "influencer_prospect", "public")
NPS_FIELDS = ("responses", "promoters", "passives", "detractors", "nps",
              "margin_of_error_95", "low_sample")
PULSE_FIELDS = ("mentions", "with_sentiment", "positive", "neutral", "negative",
                "unique_authors", "matched_mentions", "match_rate", "avg_sentiment",
                "social_nps")
NO_CHART_SECTIONS = {"outputs"}  # docs/report.md: "Outputs of this run" has no chart

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """The three fixture dates backfilled with `--report` into a fresh output."""
    root = tmp_path_factory.mktemp("report") / "out"
    P.run_ok("backfill", "--from", P.BACKFILL_DATES[0], "--to", P.BACKFILL_DATES[-1],
             "--input", str(P.FIXTURES), "--output", str(root), "--report")
    return root


def report_path(out: Path, date: str = DATE) -> Path:
    return RP.report_path(out, date)


@pytest.fixture(scope="module")
def page_as_written(out, tmp_path_factory) -> Path:
    """A copy of D's page as the backfill wrote it (later tests rewrite it)."""
    src = report_path(out)
    assert src.is_file(), f"the backfill with --report wrote no {src}"
    copy = tmp_path_factory.mktemp("written") / "report.html"
    shutil.copyfile(src, copy)
    return copy


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    yield from RP.chromium(tmp_path_factory, SCREEN_W, SCREEN_H, "--disable-quic")


@pytest.fixture
def page(driver, out, page_as_written):
    """The driver with D's page freshly loaded (its console log emptied first)."""
    driver.get_log("browser")
    open_page(driver, report_path(out))
    return driver


# ----------------------------------------------------------------------------- reading the page


def header_field(driver, field: str) -> str:
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, f'header dd[data-field="{field}"]').text.strip()


def table_problems(name: str, rows: list[dict], expected: dict[tuple, dict]) -> list[str]:
    return RP.table_problems(name, TABLE_KEYS[name], rows, expected)


# ----------------------------------------------------------------------------- expected values


def window(date: str, days: int = REPORT_DAYS) -> list[str]:
    end = dt.date.fromisoformat(date)
    return [(end - dt.timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]


def expected_outputs(manifest: dict) -> dict[tuple, dict]:
    return {(t,): {"rows": o["rows"], "files": len(o["files"])} for t, o in manifest["outputs"].items()}


def expected_tier_counts(out: Path) -> dict[tuple, dict]:
    expected = {}
    for date in window(DATE):
        if not P.is_committed(out, "customer_tiers", date):
            continue
        tiers = [r["tier"] for r in P.parquet_rows(out, "customer_tiers", date, "tier")]
        counts = Counter(tiers)
        for tier in TIERS:
            share = 100 * counts[tier] / len(tiers)
            expected[(date, tier)] = {"accounts": counts[tier], "share_pct": f"{share:.2f}"}
    return expected


def expected_histogram(out: Path) -> dict[tuple, dict]:
    scores = [r["value_score"] for r in P.parquet_rows(out, "customer_tiers", DATE, "value_score")]
    expected = {}
    for i in range(HIST_BINS):
        lo, hi = i * HIST_WIDTH, (i + 1) * HIST_WIDTH
        last = i == HIST_BINS - 1
        n = sum(1 for s in scores if s is not None and (lo <= s < hi or (last and s == hi)))
        expected[(str(lo), str(hi))] = {"accounts": n}
    return expected


def expected_by_dimension(out: Path, table: str, fields: tuple[str, ...]) -> dict[tuple, dict]:
    return {(r["dimension"], r["dimension_value"]): {f: r[f] for f in fields}
            for r in P.parquet_rows(out, table, DATE)}


def expected_rejects(out: Path) -> dict[tuple, dict]:
    expected = {}
    for date in window(DATE):
        if not P.manifest_paths(out, date):
            continue
        m = P.newest_manifest(out, date)
        for table, stats in m["inputs"].items():
            for reason, n in stats.get("rejected_by_reason", {}).items():
                expected[(date, table, reason)] = {"rows": n, "run_id": m["run_id"], "status": m["status"]}
    return expected


def expected_timings(manifest: dict) -> dict[tuple, dict]:
    return {(stage,): {"ms": ms} for stage, ms in manifest["timings_ms"].items()}


def care_rows(out: Path, date: str) -> list[dict]:
    """D's care_queue with due_at as microseconds since the epoch (UTC)."""
    return P.parquet_rows(out, "care_queue", date,
                          "lane, topic, route, churn_intent, epoch_us(due_at) AS due_us")


def day_end_us(date: str) -> int:
    """day_start(D + 1) in microseconds since the epoch (UTC)."""
    end = dt.datetime.fromisoformat(date).replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=1)
    return int(end.timestamp()) * 1_000_000


def expected_care(out: Path, keys: tuple[str, ...], every: tuple[tuple, ...] = ()) -> dict[tuple, dict]:
    """Shouts, past due when D ends (due_at < day_start(D + 1)) and churn
    intent per `keys`; `every` lists keys shown even without a shout."""
    end = day_end_us(DATE)
    expected = {k: {"shouts": 0, "past_due": 0, "churn_intent": 0} for k in every}
    for r in care_rows(out, DATE):
        e = expected.setdefault(tuple(r[k] for k in keys), {"shouts": 0, "past_due": 0, "churn_intent": 0})
        e["shouts"] += 1
        e["past_due"] += r["due_us"] < end
        e["churn_intent"] += bool(r["churn_intent"])
    return expected


def expected_migration(out: Path) -> dict[tuple, dict]:
    return {(r["from_tier"], r["to_tier"]): {"movement": r["movement"], "accounts": r["accounts"]}
            for r in P.parquet_rows(out, "tier_migration", DATE)}


# ----------------------------------------------------------------------------- the page in the browser


def test_page_renders(page):
    assert DATE in page.title, f"title {page.title!r} does not name {DATE}"
    body = page.find_element("tag name", "body")
    assert body.get_attribute("data-snapshot-date") == DATE
    assert body.size["height"] > 0 and body.text.strip(), "the page shows nothing"


def test_no_console_error(page):
    severe = [e for e in page.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == [], f"console errors: {severe}"


def test_no_network_request(page):
    requested = page.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert requested == [], f"the page requested {requested}"


def test_every_chart_section_draws_svg(page):
    sections = page.execute_script(SECTION_CHARTS_JS)
    ids = [s["id"] for s in sections]
    assert set(ids) >= {"headline", "care-queue", "circle", "tiers", "value-score", "nps", "social-pulse", "rejects",
                        "timings", "migration"}, f"sections: {ids}"
    problems = []
    for s in sections:
        if s["id"] in NO_CHART_SECTIONS:
            continue
        if not s["svgs"]:
            problems.append(f"section #{s['id']}: no <figure><svg>")
        for note in s["notes"]:
            problems.append(f"section #{s['id']}: placeholder instead of a chart: {note!r}")
        for svg in s["svgs"]:
            if svg["role"] != "img" or not svg["label"].strip():
                problems.append(f"section #{s['id']}: svg role={svg['role']!r} aria-label={svg['label']!r}")
    assert problems == [], "\n".join(problems)


def test_header_names_the_run(page, out):
    m = P.newest_manifest(out, DATE)
    assert header_field(page, "run_id") == m["run_id"]
    assert header_field(page, "status") == m["status"]


@pytest.mark.parametrize("name", list(TABLE_KEYS))
def test_table_numbers_match_outputs_and_manifests(page, out, name):
    manifest = P.newest_manifest(out, DATE)
    expected = {
        "outputs": lambda: expected_outputs(manifest),
        "tier_counts": lambda: expected_tier_counts(out),
        "value_score_histogram": lambda: expected_histogram(out),
        "nps_aggregates": lambda: expected_by_dimension(out, "nps_aggregates", NPS_FIELDS),
        "social_pulse": lambda: expected_by_dimension(out, "social_pulse", PULSE_FIELDS),
        "rejects": lambda: expected_rejects(out),
        "timings": lambda: expected_timings(manifest),
        "tier_migration": lambda: expected_migration(out),
        "care_lanes": lambda: expected_care(out, ("lane",), tuple((lane,) for lane in LANES)),
        "care_topics": lambda: expected_care(out, ("topic", "route")),
        "circle_sizes": lambda: {(label,): dict(zip(("accounts", "with_customers"),
                                                    FIXTURE_CIRCLE_SIZES.get(label, (0, 0))))
                                 for label, _, _ in RP.CIRCLE_BUCKETS},
        "circle_influence": lambda: {(n, v): {"accounts": FIXTURE_CIRCLE_GRID.get((n, v), 0)}
                                     for n, _, _ in RP.BANDS
                                     for v in ("none", *(b[0] for b in RP.BANDS))},
        "circle_prospects_top": lambda: FIXTURE_PROSPECTS,
    }[name]()
    assert expected, f"nothing to compare {name} with: the fixtures should fill it"
    tables = page_tables(page)
    assert name in tables, f"no table[data-table={name}] (tables: {sorted(tables)})"
    problems = table_problems(name, tables[name], expected)
    assert problems == [], "\n".join(problems)


def test_fixtures_circle_facts_are_the_hand_worked_ones(page):
    shown = page.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('[data-facts=circle] [data-field]')]"
        ".map(e => [e.getAttribute('data-field'), e.getAttribute('data-value')]))")
    assert shown == {k: str(v) for k, v in FIXTURE_CIRCLE_FACTS.items()}


def test_tier_counts_cover_every_backfilled_date(page):
    dates = {row["attrs"]["date"] for row in page_tables(page)["tier_counts"]}
    assert dates == set(P.BACKFILL_DATES)


def test_histogram_bins_in_order(page):
    shown = [(r["attrs"]["from"], r["attrs"]["to"]) for r in page_tables(page)["value_score_histogram"]]
    assert shown == [(str(i * HIST_WIDTH), str((i + 1) * HIST_WIDTH)) for i in range(HIST_BINS)]


def test_low_sample_attribute_matches_parquet(page, out):
    low = {(r["dimension"], r["dimension_value"]): r["low_sample"]
           for r in P.parquet_rows(out, "nps_aggregates", DATE)}
    shown = {(r["attrs"]["dimension"], r["attrs"]["dimension-value"]): r["attrs"].get("low-sample")
             for r in page_tables(page)["nps_aggregates"]}
    assert shown == {k: ("true" if v else "false") for k, v in low.items()}


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR", "not a PNG"
    return struct.unpack(">II", png[16:24])


def test_screenshot_1280x2000(page):
    viewport = page.execute_script("return [window.innerWidth, window.innerHeight]")
    if viewport != [SCREEN_W, SCREEN_H]:
        page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": SCREEN_W, "height": SCREEN_H, "deviceScaleFactor": 1, "mobile": False})
    try:
        png = page.get_screenshot_as_png()
    finally:
        if viewport != [SCREEN_W, SCREEN_H]:
            page.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    ARTIFACTS.mkdir(exist_ok=True)
    SCREENSHOT.write_bytes(png)
    assert png_size(SCREENSHOT.read_bytes()) == (SCREEN_W, SCREEN_H)


# ----------------------------------------------------------------------------- `pulsetier report`


def test_report_refuses_a_date_never_committed(out):
    r = P.run("report", "--output", str(out), "--date", "2026-03-07")
    assert r.returncode == 2, P.describe(r)
    assert "2026-03-07" in r.stderr, P.describe(r)
    assert not report_path(out, "2026-03-07").exists()


def test_report_without_date_rewrites_newest_page_with_same_tables(driver, out, page_as_written):
    page_file = report_path(out)
    page_file.unlink()
    P.run_ok("report", "--output", str(out), "--input", str(P.FIXTURES))
    assert page_file.is_file(), f"`pulsetier report` without --date did not write {page_file}"

    def tables_and_header(path: Path):
        open_page(driver, path)
        return page_tables(driver), header_field(driver, "run_id"), header_field(driver, "status")

    before = tables_and_header(page_as_written)
    assert before[0], "the page as written has no table"
    assert tables_and_header(page_file) == before
