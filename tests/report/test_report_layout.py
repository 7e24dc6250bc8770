"""The run report as people read it (issue #24, docs/report.md): the
report of three dates of generated data, opened in headless Chromium.

`pulsetier generate` writes the inputs of 2026-03-08, 2026-03-09 and
2026-03-10 (and of 2025-12-10, D's NPS baseline B = D - 90 days, so the
NPS change and its significance are not all null), each into its own input
folder; `pulsetier run --report` commits each date into one output, oldest
first, so each date compares with the one before. The tests check that:

- at 1400 px the headline band ends within the first 800 px; at 375 px the
  page does not scroll sideways (wide tables scroll inside their box); no
  console error, no request; screenshots of both widths and a PDF of the
  print layout go to test-artifacts/;
- every figure of the headline band (`[data-kpi] [data-field]`, its exact
  `data-value`) equals the value recomputed here from the published
  Parquet partitions (DuckDB) and the manifests, and every figure is
  checked;
- the care queue section lists the first 20 shouts as published, texts
  cut to 140 characters;
- numbers are formatted for people (separators, decimals, percentages),
  the exact value kept in `data-value`;
- the page has no script, rewriting it gives the same bytes;
- each chart has `<title>`/`<desc>` and its table collapsed under it; NPS
  groups share one axis with a title, tiers run platinum -> bronze,
  timings in pipeline order, rejects in colours of their own, the
  impossible migration cell is marked, headings count the dates found.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

import pulsetier_cli as P
import report_page as RP

DATES = ("2026-03-08", "2026-03-09", "2026-03-10")
BASELINE = "2025-12-10"  # D - nps_days (90)
D = DATES[-1]
ACCOUNTS = "5000"
TIERS = ("platinum", "gold", "silver", "bronze")
LANES = ("customer_p1", "customer_p2", "customer_p3", "customer_p4", "influencer_prospect", "public")
TIER_COLOURS = ("#4F6D8C", "#D4A017", "#A3ADB8", "#B06A2C")
STAGES = ("list_and_check_files", "check_rows", "count_rejects", "transform", "write_staging",
          "audit", "publish")
ARTIFACTS = P.REPO_ROOT / "test-artifacts"
FIRST_SCREEN = 800


# ----------------------------------------------------------------------------- the data


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("layout")
    output = root / "out"
    for date in (BASELINE, *DATES):
        gen = root / f"in-{date}"
        P.run_ok("generate", "--output", str(gen), "--date", date, "--accounts", ACCOUNTS,
                 "--seed", "42")
        P.run_ok("run", "--input", str(gen), "--output", str(output), "--date", date, "--report")
    return output


def page_file(out: Path, date: str = D) -> Path:
    return out / "_reports" / f"snapshot_date={date}" / "report.html"


def rows(out: Path, table: str, date: str, columns: str = "*") -> list[dict]:
    return P.parquet_rows(out, table, date, columns)


def count(out: Path, table: str, date: str | None, where: str = "true") -> int | None:
    if date is None or not P.is_committed(out, table, date):
        return None
    return rows(out, table, date, f"count(*) FILTER (WHERE {where}) AS n")[0]["n"]


def day_end_us(date: str) -> int:
    end = dt.datetime.fromisoformat(date).replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=1)
    return int(end.timestamp()) * 1_000_000


def duration_ms(m: dict) -> int:
    t = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return round((t(m["finished_at"]) - t(m["started_at"])).total_seconds() * 1000)


def diff(a, b):
    return None if a is None or b is None else a - b


# ----------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    yield from RP.chromium(tmp_path_factory, 1400, 900, "--hide-scrollbars")


def show(driver, out: Path, width: int, height: int, mobile: bool = False) -> None:
    """D's page in a viewport of `width` x `height` CSS pixels (its console emptied first)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    driver.get_log("browser")
    RP.open_page(driver, page_file(out))
    assert driver.execute_script("return window.innerWidth") == width


def screenshot(driver, name: str, full: bool) -> Path:
    """The viewport (or the whole page) as test-artifacts/<name>.png."""
    params = {"format": "png", "captureBeyondViewport": full}
    if full:
        w, h = driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        params["clip"] = {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}
    png = base64.b64decode(driver.execute_cdp_cmd("Page.captureScreenshot", params)["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(png)
    return path


def problems_in_console_and_network(driver) -> list[str]:
    severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    requested = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    return [f"console: {e}" for e in severe] + [f"request: {r}" for r in requested]


# ----------------------------------------------------------------------------- layout


def test_desktop_headline_first(driver, out):
    show(driver, out, 1400, 900)
    box = driver.execute_script(
        "const r = document.getElementById('headline').getBoundingClientRect();"
        "return [r.top + window.scrollY, r.bottom + window.scrollY, r.width];")
    screenshot(driver, f"report-{D}-1400-first-screen", full=False)
    screenshot(driver, f"report-{D}-1400-full", full=True)
    assert box[1] <= FIRST_SCREEN, f"the headline band ends at {box[1]} px, after the first {FIRST_SCREEN}"
    assert problems_in_console_and_network(driver) == []
    # charts take the page's width: each main chart is as wide as its section
    widths = driver.execute_script(
        "return [...document.querySelectorAll('main section figure:not(.spark) svg')].map("
        "s => [s.getAttribute('aria-label'), s.getBoundingClientRect().width,"
        " s.closest('section').getBoundingClientRect().width])")
    assert widths, "no chart"
    narrow = [w for w in widths if w[1] < 0.95 * w[2]]
    assert narrow == [], f"charts narrower than the page: {narrow}"


def test_phone_no_sideways_scroll(driver, out):
    show(driver, out, 375, 812, mobile=True)
    screenshot(driver, f"report-{D}-375-first-screen", full=False)
    screenshot(driver, f"report-{D}-375-full", full=True)
    page_w = driver.execute_script("return document.documentElement.scrollWidth")
    assert page_w <= 375, f"the page is {page_w} px wide at 375 px: it scrolls sideways"
    overflowing = driver.execute_script("""
        return [...document.querySelectorAll('body *')].filter(e => {
          const r = e.getBoundingClientRect();
          return r.width > 0 && r.right > window.innerWidth + 0.5 && !e.closest('.scroll');
        }).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className).slice(0, 10)""")
    assert overflowing == [], f"elements past the right edge: {overflowing}"
    # the wide table of the first shouts scrolls inside its box
    box = driver.execute_script("""
        const t = document.querySelector('table[data-table=care_queue_first]');
        const s = t.closest('.scroll');
        return [t.scrollWidth, s.clientWidth, getComputedStyle(s).overflowX]""")
    assert box[0] > box[1] and box[1] <= 375 and box[2] == "auto", box
    assert problems_in_console_and_network(driver) == []


def test_print_layout(driver, out):
    show(driver, out, 1400, 900)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        styles = driver.execute_script("""
            return [...document.querySelectorAll('figure, .kpi')].map(e => {
              const s = getComputedStyle(e); return s.breakInside || s.pageBreakInside; })""")
        assert styles and set(styles) == {"avoid"}, f"charts may be cut across pages: {set(styles)}"
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})["data"])
    assert pdf[:5] == b"%PDF-"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"report-{D}-print.pdf").write_bytes(pdf)


# ----------------------------------------------------------------------------- the headline's figures


def expected_headline(out: Path) -> dict[str, dict]:
    """Every figure of the band, worked out from the outputs and manifests."""
    m = P.newest_manifest(out, D)
    p = m["previous_snapshot_date"]
    pm = P.newest_manifest(out, p) if p else None
    tiers_of = lambda date: Counter(r["tier"] for r in rows(out, "customer_tiers", date, "tier")) if date else None
    now_t, was_t = tiers_of(D), tiers_of(p)
    scored, before = sum(now_t.values()), (sum(was_t.values()) if was_t is not None else None)
    moves = Counter(r["movement"] for r in rows(out, "tier_movements", D, "movement"))
    accounts = {"scored": scored, "previous_date": p, "previous_scored": before,
                "change": diff(scored, before)}
    tiers = {}
    for t in TIERS:
        tiers[f"tier_{t}"] = now_t[t]
        tiers[f"tier_{t}_change"] = diff(now_t[t], was_t[t] if was_t is not None else None)
    tiers.update({mv: moves[mv] for mv in ("up", "down", "new", "gone", "same")})

    overall = [r for r in rows(out, "nps_aggregates", D) if r["dimension"] == "all"][0]
    change = [r for r in rows(out, "nps_changes", D) if r["dimension"] == "all"][0]
    base = change["baseline_snapshot_date"]
    nps = {"nps": overall["nps"], "margin_of_error_95": overall["margin_of_error_95"],
           "responses": overall["responses"], "baseline_date": base.isoformat() if base else None,
           "nps_before": change["nps_before"], "change": change["change"],
           "margin_of_error_95_change": change["margin_of_error_95_change"],
           "significant": change["significant"]}

    end = day_end_us(D)
    queue = rows(out, "care_queue", D, "lane, churn_intent, epoch_us(due_at) AS due_us")
    care = {"shouts": len(queue), "past_due": sum(r["due_us"] < end for r in queue),
            "churn_intent": sum(bool(r["churn_intent"]) for r in queue),
            "previous_date": p, "previous_shouts": count(out, "care_queue", p),
            "shouts_change": diff(len(queue), count(out, "care_queue", p))}
    for lane in LANES:
        care[f"lane_{lane}"] = sum(r["lane"] == lane for r in queue)
        care[f"past_due_{lane}"] = sum(r["lane"] == lane and r["due_us"] < end for r in queue)

    rejected = lambda man: sum(s["rejected"] for s in man["inputs"].values()) if man else None
    rejects = {"rejected": rejected(m), "previous_date": p, "previous_rejected": rejected(pm),
               "rejected_change": diff(rejected(m), rejected(pm))}
    run = {"status": m["status"], "duration_ms": duration_ms(m), "previous_date": p,
           "previous_duration_ms": duration_ms(pm) if pm else None}
    return {"accounts": {**accounts}, "tiers": tiers, "nps": nps, "care": care,
            "rejects": rejects, "run": run}


def same(shown: str | None, want) -> bool:
    if want is None:
        return shown is None
    if shown is None:
        return False
    if isinstance(want, bool):
        return shown == ("true" if want else "false")
    if isinstance(want, int):
        return int(shown) == want
    if isinstance(want, float):
        return float(shown) == want
    return shown == str(want)


def test_every_headline_figure_matches_the_outputs(driver, out):
    show(driver, out, 1400, 900)
    shown = driver.execute_script("""
        const out = {};
        for (const k of document.querySelectorAll('#headline [data-kpi]')) {
          const f = out[k.getAttribute('data-kpi')] = {};
          for (const e of k.querySelectorAll('span[data-field]')) {
            f[e.getAttribute('data-field')] = {value: e.getAttribute('data-value'),
              isNull: e.getAttribute('data-null') === 'true', text: e.textContent.trim()};
          }
        }
        return out;""")
    expected = expected_headline(out)
    assert set(shown) == set(expected), f"kpis {sorted(shown)}"
    problems = []
    for kpi, fields in expected.items():
        if set(shown[kpi]) != set(fields):
            problems.append(f"{kpi}: fields {sorted(shown[kpi])}, expected {sorted(fields)}")
        for field, want in fields.items():
            got = shown[kpi].get(field)
            if got is None:
                continue
            if want is None and not (got["isNull"] and got["value"] is None):
                problems.append(f"{kpi}.{field}: {got}, expected null")
            elif want is not None and not same(got["value"], want):
                problems.append(f"{kpi}.{field}: data-value {got['value']!r}, expected {want!r}")
    # the fixture must exercise the comparisons: a previous date and a baseline
    assert expected["accounts"]["previous_date"] == DATES[1]
    assert expected["nps"]["baseline_date"] == BASELINE
    assert problems == [], "\n".join(problems)


def page_table(driver, name: str) -> list[dict]:
    return RP.page_tables(driver).get(name, [])


def test_headline_rejects_against_the_gate(driver, out):
    show(driver, out, 1400, 900)
    m = P.newest_manifest(out, D)
    gate = {f["table"]: f for f in m["checks"]["results"]
            if f["check"] == "max_reject_ratio" and f["kind"] == "threshold"}
    shown = {r["attrs"]["table"]: r["cells"] for r in page_table(driver, "headline_rejects")}
    assert set(shown) == set(m["inputs"])
    for table, st in m["inputs"].items():
        c = shown[table]
        assert int(c["rejected"]["value"]) == st["rejected"], table
        assert float(c["reject_ratio"]["value"]) == st["reject_ratio"], table
        assert float(c["max_reject_ratio"]["value"]) == gate[table]["limit"], table
        assert c["within_gate"]["value"] == ("true" if gate[table]["outcome"] == "pass" else "false")
        assert c["reject_ratio"]["text"].endswith(" %"), c["reject_ratio"]


def test_trends_cover_the_three_dates(driver, out):
    show(driver, out, 1400, 900)
    end = {d: day_end_us(d) for d in DATES}
    shown = {r["attrs"]["date"]: r["cells"] for r in page_table(driver, "trends")}
    assert sorted(shown) == list(DATES)
    for date in DATES:
        m = P.newest_manifest(out, date)
        moves = Counter(r["movement"] for r in rows(out, "tier_movements", date, "movement"))
        overall = [r for r in rows(out, "nps_aggregates", date) if r["dimension"] == "all"][0]
        queue = rows(out, "care_queue", date, "epoch_us(due_at) AS due_us")
        want = {"status": m["status"], "accounts": count(out, "customer_tiers", date),
                "moved": moves["up"] + moves["down"], "nps": overall["nps"], "shouts": len(queue),
                "past_due": sum(r["due_us"] < end[date] for r in queue),
                "rejected": sum(s["rejected"] for s in m["inputs"].values()),
                "duration_ms": duration_ms(m)}
        for field, value in want.items():
            assert same(shown[date][field]["value"], value), (date, field, shown[date][field], value)
    # the trend lines: one small chart per figure, over the same dates
    sparks = driver.execute_script(
        "return [...document.querySelectorAll('#headline figure.spark svg')].map(s => s.getAttribute('aria-label'))")
    assert len(sparks) == 6 and all(s.endswith("over 3 dates") for s in sparks), sparks


# ----------------------------------------------------------------------------- the care queue section


def test_care_queue_first_rows_as_published(driver, out):
    show(driver, out, 1400, 900)
    published = rows(out, "care_queue", D,
                     "queue_rank, lane, mention_id, text, topic, route, churn_intent, "
                     "epoch_us(due_at) AS due_us")
    published = sorted(published, key=lambda r: r["queue_rank"])[:20]
    shown = page_table(driver, "care_queue_first")
    assert len(shown) == len(published) == 20, "the generated queue should have 20+ shouts"
    cut_seen = 0
    for r, want in zip(shown, published):
        c = r["cells"]
        assert int(r["attrs"]["queue-rank"]) == want["queue_rank"]
        assert (c["lane"]["value"], c["mention_id"]["value"], c["topic"]["value"], c["route"]["value"]) == \
            (want["lane"], want["mention_id"], want["topic"], want["route"])
        due = dt.datetime.fromisoformat(c["due_at"]["value"])
        assert round(due.timestamp() * 1_000_000) == want["due_us"], (c["due_at"], want["due_us"])
        assert r["attrs"]["past-due"] == ("true" if want["due_us"] < day_end_us(D) else "false")
        text = want["text"]
        if text is None:
            assert c["text"]["isNull"]
            continue
        assert int(c["text_chars"]["value"]) == len(text)
        if len(text) > 140:
            cut_seen += 1
            assert c["text"]["value"] == text[:140] and c["text"]["text"] == text[:140] + "…"
        else:
            assert c["text"]["value"] == text
    heading = driver.execute_script("return document.querySelector('#care-queue h2').textContent")
    total = count(out, "care_queue", D)
    assert f"{total:,} shouts" in heading, heading


# ----------------------------------------------------------------------------- formatting and charts


def test_numbers_are_for_people_with_exact_values_kept(driver, out):
    show(driver, out, 1400, 900)
    pulse = {(r["attrs"]["dimension"], r["attrs"]["dimension-value"]): r["cells"]
             for r in page_table(driver, "social_pulse")}
    published = {(r["dimension"], r["dimension_value"]): r for r in rows(out, "social_pulse", D)}
    for key, r in published.items():
        c = pulse[key]
        assert float(c["match_rate"]["value"]) == r["match_rate"]
        assert re.fullmatch(r"\d{1,3}\.\d %", c["match_rate"]["text"]), c["match_rate"]
        if r["avg_sentiment"] is not None:
            assert re.fullmatch(r"−?\d\.\d\d", c["avg_sentiment"]["text"]), c["avg_sentiment"]
        assert int(c["mentions"]["value"]) == r["mentions"]
        assert c["mentions"]["text"] == f"{r['mentions']:,}"
    for r in page_table(driver, "nps_aggregates"):
        assert re.fullmatch(r"−?\d{1,3}\.\d", r["cells"]["nps"]["text"]), r["cells"]["nps"]
    big = [r for r in page_table(driver, "tier_counts") if int(r["cells"]["accounts"]["value"]) >= 1000]
    assert all("," in r["cells"]["accounts"]["text"] for r in big)


def test_charts_have_alternatives_and_tables_under_them(driver, out):
    show(driver, out, 1400, 900)
    charts = driver.execute_script("""
        return [...document.querySelectorAll('svg[role=img]')].map(s => ({
          label: s.getAttribute('aria-label'),
          title: (s.querySelector(':scope > title') || {}).textContent || '',
          desc: (s.querySelector(':scope > desc') || {}).textContent || '',
          spark: !!s.closest('figure.spark'),
          next: s.closest('figure').nextElementSibling ? s.closest('figure').nextElementSibling.tagName : '',
          open: s.closest('figure').nextElementSibling ? s.closest('figure').nextElementSibling.open : null,
          tables: s.closest('figure').nextElementSibling ?
            s.closest('figure').nextElementSibling.querySelectorAll('table').length : 0}))""")
    assert len([c for c in charts if not c["spark"]]) >= 9, charts
    for c in charts:
        assert c["title"].strip() and c["desc"].strip(), c
        if not c["spark"]:
            assert c["next"] == "DETAILS" and c["open"] is False and c["tables"] == 1, c


def test_charts_compare(driver, out):
    show(driver, out, 1400, 900)
    # one NPS chart for every group, with its axis title
    nps = driver.execute_script(
        "return [...document.querySelectorAll('#nps figure svg')].map(s => s.textContent)")
    assert len(nps) == 1 and "NPS, −100 … 100" in nps[0]
    tiers = [r["attrs"]["dimension-value"] for r in page_table(driver, "nps_aggregates")
             if r["attrs"]["dimension"] == "tier"]
    assert [t for t in tiers if t in TIERS] == [t for t in TIERS if t in tiers]
    stages = [r["attrs"]["stage"] for r in page_table(driver, "timings")]
    assert stages == [s for s in STAGES if s in stages] and len(stages) == len(STAGES)
    rejects_svg = driver.execute_script("return document.querySelector('#rejects figure svg').outerHTML")
    assert not any(c in rejects_svg.upper() for c in TIER_COLOURS), "rejects drawn in tier colours"
    migration = driver.execute_script("return document.querySelector('#migration figure svg').textContent")
    assert "impossible" in migration
    headings = driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('section')].map(s => "
        "[s.id, s.querySelector('h2').textContent]))")
    assert "3 of the last 14 dates found" in headings["tiers"], headings["tiers"]
    assert "3 of the last 14 dates found" in headings["rejects"], headings["rejects"]


def test_no_script_and_same_bytes_on_rewrite(out):
    written = page_file(out).read_bytes()
    html = written.decode()
    for banned in ("<script", " src=", " href=", "url(", "@import", "<link", "<iframe", "<img"):
        assert banned not in html, banned
    P.run_ok("report", "--output", str(out), "--date", D)
    assert page_file(out).read_bytes() == written, "rewriting the page changed its bytes"
