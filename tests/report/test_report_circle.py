"""The customer's circle section of the run report (docs/report.md,
issue #23) on a filled circle, in headless Chromium: a run over `pulsetier
generate` data (@-mentions between customers and non-customers, a
`connections` table, vendor scores for some accounts) with `--report`.
Its circle sizes, network × vendor influence grid, first 20 prospects (in
the published file order, read by pyarrow) and facts are recomputed here
from the published Parquet partitions (DuckDB) and compared with every
value cell's exact `data-value`. (The fixtures' empty circle is checked by
test_report_page.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pulsetier_cli as P
import report_page as RP

DATE = P.DATE
GENERATED_ACCOUNTS = "2000"
PROSPECT_ROWS = 20
# data-table name -> the data-<key> attributes of its rows, in <th> order
TABLE_KEYS = {
    "circle_sizes": ("circle-size",),
    "circle_influence": ("network", "vendor"),
    "circle_prospects_top": ("prospect-rank",),
}
CIRCLE_TABLES = tuple(TABLE_KEYS)


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


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    yield from RP.chromium(tmp_path_factory, 1280, 2000)


# ----------------------------------------------------------------------------- expected values


def expected_circle_sizes(out: Path) -> dict[tuple, dict]:
    """Scored accounts (rows of social_circle) per circle_size bucket, and
    those with another scored customer in their circle."""
    rows = P.parquet_rows(out, "social_circle", DATE, "circle_size, circle_customers")
    expected = {}
    for label, lo, hi in RP.CIRCLE_BUCKETS:
        inside = [r for r in rows if lo <= r["circle_size"] and (hi is None or r["circle_size"] <= hi)]
        expected[(label,)] = {"accounts": len(inside),
                              "with_customers": sum(1 for r in inside if r["circle_customers"] > 0)}
    return expected


def band_of(v: float | None) -> str:
    if v is None:
        return "none"
    return next(label for label, lo, hi in RP.BANDS if lo <= v < hi or (hi == 100 and v == 100))


def expected_circle_influence(out: Path) -> dict[tuple, dict]:
    """Scored accounts in the graph per network_influence band and the band
    of their vendor influence_norm in customer_tiers (none: no score)."""
    vendor = {r["account_id"]: r["influence_norm"]
              for r in P.parquet_rows(out, "customer_tiers", DATE, "account_id, influence_norm")}
    expected = {(n, v): {"accounts": 0} for n, _, _ in RP.BANDS for v in ("none", *(b[0] for b in RP.BANDS))}
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


@pytest.mark.parametrize("name", CIRCLE_TABLES)
def test_circle_numbers_match_generated_outputs(driver, circle_out, name):
    expected = EXPECTED_CIRCLE[name](circle_out)
    assert any(v != 0 for e in expected.values() for v in e.values()), f"{name}: the generated circle is empty"
    RP.open_page(driver, RP.report_path(circle_out, DATE))
    tables = RP.page_tables(driver)
    assert name in tables, f"no table[data-table={name}] (tables: {sorted(tables)})"
    problems = RP.table_problems(name, TABLE_KEYS[name], tables[name], expected)
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
    RP.open_page(driver, RP.report_path(circle_out, DATE))
    shown = driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('[data-facts=circle] [data-field]')]"
        ".map(e => [e.getAttribute('data-field'), e.getAttribute('data-value')]))")
    assert shown == {k: str(v) for k, v in expected.items()}
    sections = {s["id"]: s for s in driver.execute_script(RP.SECTION_CHARTS_JS)}
    assert len(sections["circle"]["svgs"]) == 2 and not sections["circle"]["notes"]
