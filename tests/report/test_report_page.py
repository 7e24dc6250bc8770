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
- the customer's circle section (issue #23): the fixtures have no
  @-mention and no `connections`, so their circle is empty (every account
  of size 0, nobody in the graph, no prospect); a run over `pulsetier
  generate` data fills it, and its circle sizes, network × vendor influence
  grid, first 20 prospects (in the published file order, read by pyarrow)
  and facts are compared with the Parquet partitions too.

A 1280x2000 screenshot is kept in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import struct
from collections import Counter
from pathlib import Path

import pytest

import pulsetier_cli as P

DATE = P.DATE
REPORT_DAYS = 14  # the default window of the tables over time
TIERS = ("platinum", "gold", "silver", "bronze")
HIST_BINS = 20
HIST_WIDTH = 5
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
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
CIRCLE_TABLES = ("circle_sizes", "circle_influence", "circle_prospects_top")
EMPTY_IN_FIXTURES = ("circle_influence", "circle_prospects_top")  # nobody in the fixtures' graph
# docs/report.md: circle_size buckets (label, smallest, largest or None) and
# influence bands [from, to) of width 20, the last one holding 100 too
CIRCLE_BUCKETS = (("0", 0, 0), ("1", 1, 1), ("2–4", 2, 4), ("5–9", 5, 9), ("10–19", 10, 19),
                  ("20–49", 20, 49), ("50+", 50, None))
BANDS = tuple((f"{lo}–{lo + 20}", lo, lo + 20) for lo in range(0, 100, 20))
PROSPECT_ROWS = 20
GENERATED_ACCOUNTS = "2000"
LANES = ("customer_p1", "customer_p2", "customer_p3", "customer_p4", "influencer_prospect", "public")
NPS_FIELDS = ("responses", "promoters", "passives", "detractors", "nps",
              "margin_of_error_95", "low_sample")
PULSE_FIELDS = ("mentions", "with_sentiment", "positive", "neutral", "negative",
                "unique_authors", "matched_mentions", "match_rate", "avg_sentiment",
                "social_nps")
NO_CHART_SECTIONS = {"outputs"}  # docs/report.md: "Outputs of this run" has no chart

# Every table of the page as the browser parsed it: row attributes, <th>
# texts and each value cell's text and null marker.
EXTRACT_TABLES_JS = """
const out = {};
for (const table of document.querySelectorAll('table[data-table]')) {
  const name = table.getAttribute('data-table');
  const rows = [];
  for (const tr of table.querySelectorAll('tbody tr')) {
    const attrs = {};
    for (const a of tr.attributes) {
      if (a.name.startsWith('data-')) attrs[a.name.slice(5)] = a.value;
    }
    const cells = {};
    const unmarked = [];
    for (const td of tr.querySelectorAll('td')) {
      const field = td.getAttribute('data-field');
      if (field === null) { unmarked.push(td.textContent.trim()); continue; }
      cells[field] = {text: td.textContent.trim(), value: td.getAttribute('data-value'),
                      isNull: td.getAttribute('data-null') === 'true'};
    }
    rows.push({attrs: attrs, th: [...tr.querySelectorAll('th')].map(th => th.textContent.trim()),
               cells: cells, unmarked: unmarked});
  }
  (out[name] = out[name] || []).push(rows);
}
return out;
"""

SECTION_CHARTS_JS = """
return [...document.querySelectorAll('body section')].map(s => ({
  id: s.id,
  svgs: [...s.querySelectorAll('figure svg')].map(svg => ({
    role: svg.getAttribute('role'), label: svg.getAttribute('aria-label') || ''})),
  notes: [...s.querySelectorAll('p.note')].map(p => p.textContent.trim())
           .filter(t => t.startsWith('chart not drawn')),
}));
"""


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """The three fixture dates backfilled with `--report` into a fresh output."""
    root = tmp_path_factory.mktemp("report") / "out"
    P.run_ok("backfill", "--from", P.BACKFILL_DATES[0], "--to", P.BACKFILL_DATES[-1],
             "--input", str(P.FIXTURES), "--output", str(root), "--report")
    return root


@pytest.fixture(scope="module")
def circle_out(tmp_path_factory) -> Path:
    """D of `pulsetier generate` data (@-mentions, connections, vendor
    scores) run with `--report`: a circle that is not empty."""
    root = tmp_path_factory.mktemp("report-circle")
    P.run_ok("generate", "--output", str(root / "in"), "--date", DATE,
             "--accounts", GENERATED_ACCOUNTS, "--seed", "42")
    P.run_ok("run", "--input", str(root / "in"), "--output", str(root / "out"), "--date", DATE,
             "--report")
    return root / "out"


def report_path(out: Path, date: str = DATE) -> Path:
    return out / "_reports" / f"snapshot_date={date}" / "report.html"


@pytest.fixture(scope="module")
def page_as_written(out, tmp_path_factory) -> Path:
    """A copy of D's page as the backfill wrote it (later tests rewrite it)."""
    src = report_path(out)
    assert src.is_file(), f"the backfill with --report wrote no {src}"
    copy = tmp_path_factory.mktemp("written") / "report.html"
    shutil.copyfile(src, copy)
    return copy


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not (p.is_file() and p.stat().st_mode & 0o111)]
    if missing:
        pytest.fail(f"headless Chromium is needed for tests/report but {', '.join(missing)} "
                    "is missing: install Debian's `chromium` and `chromium-driver` packages "
                    "(scripts/test.sh does: apt-get install -y --no-install-recommends "
                    "chromium chromium-driver)")


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic",
                 f"--user-data-dir={profile}", f"--window-size={SCREEN_W},{SCREEN_H}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        drv.set_window_size(SCREEN_W, SCREEN_H)
        yield drv
    finally:
        drv.quit()


def open_page(driver, path: Path) -> None:
    """Load `path` and wait (10 s at most) until it has loaded: on a busy
    machine driver.get may return while the page is still "interactive"."""
    from selenium.webdriver.support.ui import WebDriverWait
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")


@pytest.fixture
def page(driver, out, page_as_written):
    """The driver with D's page freshly loaded (its console log emptied first)."""
    driver.get_log("browser")
    open_page(driver, report_path(out))
    return driver


# ----------------------------------------------------------------------------- reading the page


def page_tables(driver) -> dict[str, list[dict]]:
    """Each table's body rows; fails when a table name is used twice."""
    found = driver.execute_script(EXTRACT_TABLES_JS)
    doubled = sorted(name for name, copies in found.items() if len(copies) != 1)
    assert not doubled, f"tables present more than once: {doubled}"
    return {name: copies[0] for name, copies in found.items()}


def header_field(driver, field: str) -> str:
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, f'header dd[data-field="{field}"]').text.strip()


def cell_problem(cell: dict, expected) -> str | None:
    """Why a value cell does not hold `expected` (None when it does). The
    text is rounded for people; the exact value is its `data-value`
    (docs/report.md): floats must parse back to exactly the Parquet value;
    strings (such as the 2-decimal shares) must match character for
    character."""
    value, is_null = cell["value"], cell["isNull"]
    if expected is None:
        ok = is_null and cell["text"] == "–" and value is None
        return None if ok else f"{cell['text']!r} (data-null={is_null}, data-value={value!r}), expected null"
    if is_null or value is None:
        return f"null or no data-value, expected {expected!r}"
    text = value
    if isinstance(expected, bool):
        return None if text == ("true" if expected else "false") else f"{text!r}, expected {expected}"
    if isinstance(expected, int):
        return None if text == str(expected) else f"{text!r}, expected {expected}"
    if isinstance(expected, float):
        try:
            shown = float(text)
        except ValueError:
            return f"{text!r} is not a number, expected {expected!r}"
        same = shown == expected or (math.isnan(shown) and math.isnan(expected))
        return None if same else f"{text!r} = {shown!r}, expected {expected!r}"
    return None if text == str(expected) else f"{text!r}, expected {expected!r}"


def table_problems(name: str, rows: list[dict], expected: dict[tuple, dict]) -> list[str]:
    """Differences between a page table and the expected {keys: {field: value}}."""
    keys = TABLE_KEYS[name]
    problems = []
    seen = set()
    for row in rows:
        key = tuple(row["attrs"].get(k) for k in keys)
        if key in seen:
            problems.append(f"{name}: row {key} twice")
        seen.add(key)
        if row["th"] != list(key):
            problems.append(f"{name} {key}: <th> cells {row['th']}, expected the keys")
        if row["unmarked"]:
            problems.append(f"{name} {key}: value cells without data-field: {row['unmarked']}")
        want = expected.get(key)
        if want is None:
            problems.append(f"{name}: unexpected row {key}")
            continue
        if set(row["cells"]) != set(want):
            problems.append(f"{name} {key}: fields {sorted(row['cells'])}, expected {sorted(want)}")
        for field, value in want.items():
            if field in row["cells"]:
                why = cell_problem(row["cells"][field], value)
                if why:
                    problems.append(f"{name} {key} {field}: {why}")
    for key in sorted(set(expected) - seen):
        problems.append(f"{name}: row {key} missing")
    return problems


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


def expected_circle_sizes(out: Path) -> dict[tuple, dict]:
    """Scored accounts (rows of social_circle) per circle_size bucket, and
    those with another scored customer in their circle."""
    rows = P.parquet_rows(out, "social_circle", DATE, "circle_size, circle_customers")
    expected = {}
    for label, lo, hi in CIRCLE_BUCKETS:
        inside = [r for r in rows if lo <= r["circle_size"] and (hi is None or r["circle_size"] <= hi)]
        expected[(label,)] = {"accounts": len(inside),
                              "with_customers": sum(1 for r in inside if r["circle_customers"] > 0)}
    return expected


def band_of(v: float | None) -> str:
    if v is None:
        return "none"
    return next(label for label, lo, hi in BANDS if lo <= v < hi or (hi == 100 and v == 100))


def expected_circle_influence(out: Path) -> dict[tuple, dict]:
    """Scored accounts in the graph per network_influence band and the band
    of their vendor influence_norm in customer_tiers (none: no score)."""
    vendor = {r["account_id"]: r["influence_norm"]
              for r in P.parquet_rows(out, "customer_tiers", DATE, "account_id, influence_norm")}
    expected = {(n, v): {"accounts": 0} for n, _, _ in BANDS for v in ("none", *(b[0] for b in BANDS))}
    for r in P.parquet_rows(out, "social_circle", DATE, "account_id, network_influence"):
        if r["network_influence"] is not None:
            expected[(band_of(r["network_influence"]), band_of(vendor[r["account_id"]]))]["accounts"] += 1
    return expected


def published_prospects(out: Path) -> list[dict]:
    """circle_prospects of D in the order of its files (pyarrow, part files by name)."""
    import pyarrow.parquet as pq
    files = sorted(P.partition(out, "circle_prospects", DATE).glob("part-*.parquet"))
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def expected_circle_prospects_top(out: Path) -> dict[tuple, dict]:
    fields = ("handle", "customers_linked", "customers_value", "network_influence")
    return {(str(i),): {f: r[f] for f in fields}
            for i, r in enumerate(published_prospects(out)[:PROSPECT_ROWS], start=1)}


EXPECTED_CIRCLE = {"circle_sizes": expected_circle_sizes,
                   "circle_influence": expected_circle_influence,
                   "circle_prospects_top": expected_circle_prospects_top}


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


@pytest.mark.parametrize("name", [t for t in TABLE_KEYS if t not in EMPTY_IN_FIXTURES])
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
        "circle_sizes": lambda: expected_circle_sizes(out),
    }[name]()
    assert expected, f"nothing to compare {name} with: the fixtures should fill it"
    tables = page_tables(page)
    assert name in tables, f"no table[data-table={name}] (tables: {sorted(tables)})"
    problems = table_problems(name, tables[name], expected)
    assert problems == [], "\n".join(problems)


def test_fixtures_circle_is_empty_and_said_so(page, out):
    """Nobody of the fixtures is in the graph: no grid, no prospect table."""
    assert P.parquet_rows(out, "social_circle", DATE, "count(network_influence) AS n")[0]["n"] == 0
    assert P.parquet_rows(out, "circle_prospects", DATE, "count(*) AS n")[0]["n"] == 0
    tables = page_tables(page)
    assert "circle_influence" not in tables and "circle_prospects_top" not in tables
    text = page.find_element("css selector", "section#circle").text
    assert "No scored account's handle is in D's interaction graph" in text
    assert "D has no prospect." in text


@pytest.mark.parametrize("name", CIRCLE_TABLES)
def test_circle_numbers_match_generated_outputs(driver, circle_out, name):
    expected = EXPECTED_CIRCLE[name](circle_out)
    assert any(v != 0 for e in expected.values() for v in e.values()), f"{name}: the generated circle is empty"
    open_page(driver, report_path(circle_out))
    tables = page_tables(driver)
    assert name in tables, f"no table[data-table={name}] (tables: {sorted(tables)})"
    problems = table_problems(name, tables[name], expected)
    assert problems == [], "\n".join(problems)
    if name == "circle_prospects_top":  # in the published order
        assert [r["attrs"]["prospect-rank"] for r in tables[name]] == [k[0] for k in expected]


def test_circle_facts_match_generated_outputs(driver, circle_out):
    circle = P.parquet_rows(circle_out, "social_circle", DATE)
    vendor = {r["account_id"]: r["influence_norm"]
              for r in P.parquet_rows(circle_out, "customer_tiers", DATE, "account_id, influence_norm")}
    in_graph = [r for r in circle if r["network_influence"] is not None]
    expected = {
        "scored": len(circle),
        "with_circle": sum(1 for r in circle if r["circle_size"] >= 1),
        "with_customers": sum(1 for r in circle if r["circle_customers"] >= 1),
        "in_graph": len(in_graph),
        "no_vendor_score": sum(1 for r in in_graph if vendor[r["account_id"]] is None),
        "prospects": len(published_prospects(circle_out)),
    }
    assert expected["no_vendor_score"] > 0, "the generated data should have accounts without a vendor score"
    open_page(driver, report_path(circle_out))
    shown = driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('[data-facts=circle] [data-field]')]"
        ".map(e => [e.getAttribute('data-field'), e.getAttribute('data-value')]))")
    assert shown == {k: str(v) for k, v in expected.items()}
    sections = {s["id"]: s for s in driver.execute_script(SECTION_CHARTS_JS)}
    assert len(sections["circle"]["svgs"]) == 2 and not sections["circle"]["notes"]


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
