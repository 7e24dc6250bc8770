"""The run report (docs/report.md) in headless Chromium, shared by the
tests under tests/report: the browser (Debian's chromium and
chromium-driver, driven by selenium), loading a page, and reading its
`table[data-table]` rows and value cells the way the browser parsed them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
COMMON_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run")

# docs/report.md, the circle section: circle_size buckets (label, smallest,
# largest or None) and influence bands [from, to) of width 20, the last one
# holding 100 too
CIRCLE_BUCKETS = (("0", 0, 0), ("1", 1, 1), ("2–4", 2, 4), ("5–9", 5, 9), ("10–19", 10, 19),
                  ("20–49", 20, 49), ("50+", 50, None))
BANDS = tuple((f"{lo}–{lo + 20}", lo, lo + 20) for lo in range(0, 100, 20))

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

# Each <section>: its id, the inline SVG charts of its figures, and the
# notes that stand in for a chart that could not be drawn.
SECTION_CHARTS_JS = """
return [...document.querySelectorAll('body section')].map(s => ({
  id: s.id,
  svgs: [...s.querySelectorAll('figure svg')].map(svg => ({
    role: svg.getAttribute('role'), label: svg.getAttribute('aria-label') || ''})),
  notes: [...s.querySelectorAll('p.note')].map(p => p.textContent.trim())
           .filter(t => t.startsWith('chart not drawn')),
}));
"""


def report_path(out: Path, date: str) -> Path:
    return out / "_reports" / f"snapshot_date={date}" / "report.html"


def require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not (p.is_file() and p.stat().st_mode & 0o111)]
    if missing:
        pytest.fail(f"headless Chromium is needed for tests/report but {', '.join(missing)} "
                    "is missing: install Debian's `chromium` and `chromium-driver` packages "
                    "(scripts/test.sh does: apt-get install -y --no-install-recommends "
                    "chromium chromium-driver)")


def chromium(tmp_path_factory, width: int, height: int, *extra_flags: str):
    """A headless Chromium of `width` x `height` with its browser log kept,
    for a module-scoped fixture to yield (it quits when the fixture ends)."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (*COMMON_FLAGS, *extra_flags, f"--user-data-dir={profile}",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        drv.set_window_size(width, height)
        yield drv
    finally:
        drv.quit()


def open_page(driver, path: Path) -> None:
    """Load `path` and wait (10 s at most) until it has loaded: on a busy
    machine driver.get may return while the page is still "interactive"."""
    from selenium.webdriver.support.ui import WebDriverWait
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")


def page_tables(driver) -> dict[str, list[dict]]:
    """Each table's body rows; fails when a table name is used twice."""
    found = driver.execute_script(EXTRACT_TABLES_JS)
    doubled = sorted(name for name, copies in found.items() if len(copies) != 1)
    assert not doubled, f"tables present more than once: {doubled}"
    return {name: copies[0] for name, copies in found.items()}


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


def table_problems(name: str, keys: tuple[str, ...], rows: list[dict],
                   expected: dict[tuple, dict]) -> list[str]:
    """Differences between a page table, whose rows are keyed by the
    data-<key> attributes `keys` (in <th> order), and the expected
    {keys: {field: value}}."""
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
