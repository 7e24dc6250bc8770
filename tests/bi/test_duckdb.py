"""Read pulsetier's published outputs the way a BI tool does (docs/SPEC.md §1, §4).

The pulsetier binary is taken from $PULSETIER_BIN (scripts/test.sh passes the
debug build; default: <repo>/target/debug/pulsetier). It runs on
fixtures/input for 2026-03-10; DuckDB then reads the Hive-partitioned outputs
and the rows are compared with the hand-computed tests/expected/<table>.csv.

Expected CSV conventions: header = the output's columns in order; an empty
field is null; booleans `true`/`false`; decimals as `12.30`; doubles compared
with an absolute tolerance of 1e-9; integers and strings exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
import subprocess
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from pulsetier_cli import as_text, pulsetier_bin

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTED_DIR = REPO_ROOT / "tests" / "expected"
INPUT = "fixtures/input"  # relative to REPO_ROOT, the binary's cwd
DATE = "2026-03-10"
PARTITION = f"snapshot_date={DATE}"
RUN_TIMEOUT_S = 600
DOUBLE_ABS_TOL = 1e-9
PART_FILE = re.compile(r"part-\d{5}\.parquet")
INPUT_TABLES = ("accounts", "mentions", "surveys", "influence_scores", "connections")

VARCHAR, DOUBLE, BIGINT, INTEGER, BOOLEAN = "VARCHAR", "DOUBLE", "BIGINT", "INTEGER", "BOOLEAN"
DECIMAL = "DECIMAL(18,2)"
DATE_TYPE = "DATE"
TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"

# docs/SPEC.md §4 and §6: the columns of each output, in order, with the type DuckDB shows.
OUTPUTS: dict[str, list[tuple[str, str]]] = {
    "customer_tiers": [
        ("account_id", VARCHAR),
        ("segment", VARCHAR),
        ("region", VARCHAR),
        ("plan", VARCHAR),
        ("status", VARCHAR),
        ("monthly_spend", DECIMAL),
        ("spend_score", DOUBLE),
        ("payment_score", DOUBLE),
        ("services_score", DOUBLE),
        ("tenure_score", DOUBLE),
        ("influence_score", DOUBLE),
        ("influence_norm", DOUBLE),
        ("is_influencer", BOOLEAN),
        ("value_score", DOUBLE),
        ("tier", VARCHAR),
        ("value_rank", BIGINT),
        ("mentions_30d", BIGINT),
        ("negative_mentions_30d", BIGINT),
        ("avg_sentiment_30d", DOUBLE),
        ("last_nps_score", INTEGER),
        ("nps_category", VARCHAR),
        ("care_priority", INTEGER),
    ],
    "nps_aggregates": [
        ("dimension", VARCHAR),
        ("dimension_value", VARCHAR),
        ("responses", BIGINT),
        ("promoters", BIGINT),
        ("passives", BIGINT),
        ("detractors", BIGINT),
        ("nps", DOUBLE),
        ("margin_of_error_95", DOUBLE),
        ("low_sample", BOOLEAN),
    ],
    "social_pulse": [
        ("dimension", VARCHAR),
        ("dimension_value", VARCHAR),
        ("mentions", BIGINT),
        ("with_sentiment", BIGINT),
        ("positive", BIGINT),
        ("neutral", BIGINT),
        ("negative", BIGINT),
        ("unique_authors", BIGINT),
        ("matched_mentions", BIGINT),
        ("match_rate", DOUBLE),
        ("avg_sentiment", DOUBLE),
        ("social_nps", DOUBLE),
    ],
    "tier_movements": [
        ("account_id", VARCHAR),
        ("previous_snapshot_date", DATE_TYPE),
        ("previous_tier", VARCHAR),
        ("tier", VARCHAR),
        ("previous_value_score", DOUBLE),
        ("value_score", DOUBLE),
        ("score_change", DOUBLE),
        ("movement", VARCHAR),
        ("tier_steps", INTEGER),
    ],
    "tier_migration": [
        ("previous_snapshot_date", DATE_TYPE),
        ("from_tier", VARCHAR),
        ("to_tier", VARCHAR),
        ("movement", VARCHAR),
        ("accounts", BIGINT),
    ],
    "nps_changes": [
        ("dimension", VARCHAR),
        ("dimension_value", VARCHAR),
        ("baseline_snapshot_date", DATE_TYPE),
        ("responses_before", BIGINT),
        ("responses_now", BIGINT),
        ("nps_before", DOUBLE),
        ("nps_now", DOUBLE),
        ("change", DOUBLE),
        ("margin_of_error_95_change", DOUBLE),
        ("significant", BOOLEAN),
        ("low_sample", BOOLEAN),
    ],
    # docs/SPEC.md §8
    "care_queue": [
        ("mention_id", VARCHAR),
        ("platform", VARCHAR),
        ("posted_at", TIMESTAMPTZ),
        ("author_handle", VARCHAR),
        ("text", VARCHAR),
        ("sentiment", DOUBLE),
        ("topic", VARCHAR),
        ("route", VARCHAR),
        ("churn_intent", BOOLEAN),
        ("account_id", VARCHAR),
        ("tier", VARCHAR),
        ("value_score", DOUBLE),
        ("care_priority", INTEGER),
        ("influence_norm", DOUBLE),
        ("lane", VARCHAR),
        ("due_at", TIMESTAMPTZ),
        ("queue_rank", BIGINT),
    ],
}
# docs/SPEC.md §9: the circle outputs, checked for their columns, types and
# row order here (their rows on a hand-checked graph: tests/it/circle.rs).
CIRCLE_OUTPUTS: dict[str, list[tuple[str, str]]] = {
    "social_circle": [
        ("account_id", VARCHAR),
        ("handle", VARCHAR),
        ("circle_size", BIGINT),
        ("circle_customers", BIGINT),
        ("circle_value", DOUBLE),
        ("mentions_received", BIGINT),
        ("network_influence", DOUBLE),
        ("circle_rank", BIGINT),
    ],
    "circle_prospects": [
        ("handle", VARCHAR),
        ("customers_linked", BIGINT),
        ("customers_value", DOUBLE),
        ("network_influence", DOUBLE),
    ],
}
# The columns naming a row (for messages and sorting expected rows).
KEYS = {
    "customer_tiers": ("value_rank",),
    "nps_aggregates": ("dimension", "dimension_value"),
    "social_pulse": ("dimension", "dimension_value"),
    "tier_movements": ("account_id",),
    "tier_migration": ("from_tier", "to_tier"),
    "nps_changes": ("dimension", "dimension_value"),
    "care_queue": ("queue_rank",),
}
# tier_migration: both axes in tier order, not by name (docs/SPEC.md §6).
TIER_ORDER = ("platinum", "gold", "silver", "bronze", "(none)")
_TIER_SQL = "list_position(['platinum', 'gold', 'silver', 'bronze', '(none)'], {})"
# The contract order as a DuckDB ORDER BY.
ORDER_BY = {
    **KEYS,
    "tier_migration": (_TIER_SQL.format("from_tier"), _TIER_SQL.format("to_tier")),
}


# --------------------------------------------------------------------------- running


def run_pulsetier(output: Path, date: str = DATE) -> subprocess.CompletedProcess:
    """`pulsetier run` for `date` into `output`; fails the test unless exit 0."""
    cmd = [str(pulsetier_bin()), "run", "--input", INPUT, "--output", str(output), "--date", date]
    env = dict(os.environ, RUST_BACKTRACE="1")
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(cmd)} timed out after {RUN_TIMEOUT_S}s\n"
                    f"--- stdout ---\n{as_text(exc.stdout)}\n--- stderr ---\n{as_text(exc.stderr)}")
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode} (cwd {REPO_ROOT})\n"
                    f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def out(tmp_path_factory) -> Path:
    """Output folder of one successful run for DATE (shared, read-only for tests)."""
    output = tmp_path_factory.mktemp("pulsetier-out")
    run_pulsetier(output)
    return output


# --------------------------------------------------------------------------- reading


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def glob_of(out: Path, table: str) -> str:
    # `_SUCCESS` does not match *.parquet, as with any BI tool's glob.
    return f"{out}/{table}/*/*.parquet"


def duck_query(out: Path, table: str, order_by=None, exclude_partition=True):
    """(column names, column types, rows as tuples) of a DuckDB query of `table`."""
    source = f"read_parquet({sql_str(glob_of(out, table))}, hive_partitioning = true)"
    select = "* EXCLUDE (snapshot_date)" if exclude_partition else "*"
    sql = f"SELECT {select} FROM {source}"
    if order_by:
        sql += " ORDER BY " + ", ".join(order_by)
    con = duckdb.connect()
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        types = {row[0]: row[1] for row in con.execute(f"DESCRIBE {sql}").fetchall()}
    finally:
        con.close()
    return names, types, rows


def part_files(out: Path, table: str) -> list[Path]:
    files = sorted((out / table / PARTITION).glob("*.parquet"))
    assert files, f"no Parquet file in {out / table / PARTITION}"
    return files


def physical_rows(out: Path, table: str) -> list[dict]:
    """Rows as stored, file by file in name order (what a plain scan sees)."""
    rows: list[dict] = []
    for f in part_files(out, table):
        rows.extend(pq.read_table(f).to_pylist())
    return rows


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- expected CSVs


def parse_cell(raw: str, duck_type: str, where: str):
    """One CSV field -> Python value comparable with what DuckDB returns."""
    if duck_type == VARCHAR:
        return None if raw == "" else raw
    text = raw.strip()
    if text == "":
        return None
    try:
        if duck_type in (BIGINT, INTEGER):
            return int(text)
        if duck_type == DOUBLE:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError("not finite")
            return value
        if duck_type == DECIMAL:
            value = Decimal(text)
            if not value.is_finite():
                raise ValueError("not finite")
            return value
        if duck_type == DATE_TYPE:
            return dt.date.fromisoformat(text)
        if duck_type == TIMESTAMPTZ:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if value.tzinfo is None:
                raise ValueError("a time zone is required")
            return value
        if duck_type == BOOLEAN:
            lowered = text.lower()
            if lowered not in ("true", "false"):
                raise ValueError("expected true or false")
            return lowered == "true"
    except (ValueError, InvalidOperation) as exc:
        raise AssertionError(f"{where}: cannot read {raw!r} as {duck_type}: {exc}") from None
    raise AssertionError(f"{where}: no parser for type {duck_type}")


def load_expected(table: str) -> list[dict]:
    path = EXPECTED_DIR / f"{table}.csv"
    assert path.is_file(), f"expected rows missing: {path} (hand-computed, see tests/expected)"
    columns = OUTPUTS[table]
    names = [name for name, _ in columns]
    rows: list[dict] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        assert header is not None, f"{path}: empty file, expected a header"
        header = [h.strip() for h in header]
        assert header == names, f"{path}: header\n  {header}\nis not docs/SPEC.md §4's\n  {names}"
        for line_no, record in enumerate(reader, start=2):
            if not record or (len(record) == 1 and record[0].strip() == ""):
                continue  # blank line
            assert len(record) == len(names), (
                f"{path}:{line_no}: {len(record)} fields, expected {len(names)}")
            rows.append({
                name: parse_cell(raw, duck_type, f"{path.name}:{line_no}:{name}")
                for (name, duck_type), raw in zip(columns, record)
            })
    return rows


def sort_key(table: str):
    """The contract order of a row (a dict) of `table`."""
    keys = KEYS[table]
    if table == "tier_migration":
        return lambda row: tuple(TIER_ORDER.index(row[k]) for k in keys)
    return lambda row: tuple(row[k] for k in keys)


def same_value(expected, actual, duck_type: str) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if duck_type == DOUBLE:
        return (isinstance(actual, float) and math.isfinite(actual)
                and abs(actual - expected) <= DOUBLE_ABS_TOL)
    if duck_type == DECIMAL:
        return isinstance(actual, Decimal) and actual == expected
    if duck_type in (BIGINT, INTEGER):
        return isinstance(actual, int) and not isinstance(actual, bool) and actual == expected
    if duck_type == BOOLEAN:
        return isinstance(actual, bool) and actual == expected
    if duck_type == DATE_TYPE:
        return isinstance(actual, dt.date) and actual == expected
    if duck_type == TIMESTAMPTZ:
        # the same instant, whatever zone DuckDB shows it in
        return isinstance(actual, dt.datetime) and actual.tzinfo is not None and actual == expected
    return isinstance(actual, str) and actual == expected


def compare_rows(table: str, expected_rows: list[dict], actual_rows: list[dict]) -> None:
    problems = []
    if len(actual_rows) != len(expected_rows):
        problems.append(f"{len(actual_rows)} rows, expected {len(expected_rows)}")
    for i, (exp, act) in enumerate(zip(expected_rows, actual_rows)):
        for name, duck_type in OUTPUTS[table]:
            if not same_value(exp[name], act[name], duck_type):
                problems.append(f"row {i} ({', '.join(f'{k}={exp[k]!r}' for k in KEYS[table])})"
                                f" column {name}: got {act[name]!r}, expected {exp[name]!r}")
    if problems:
        shown = "\n  ".join(problems[:30])
        more = f"\n  ... and {len(problems) - 30} more" if len(problems) > 30 else ""
        raise AssertionError(f"{table}: rows differ from tests/expected/{table}.csv:\n  {shown}{more}")


# --------------------------------------------------------------------------- tests

TABLES = list(OUTPUTS)


@pytest.mark.parametrize("table", TABLES)
def test_partition_column_comes_from_path(out, table):
    columns, types, rows = duck_query(out, table, exclude_partition=False)
    names = [n for n, _ in OUTPUTS[table]] + ["snapshot_date"]
    assert "snapshot_date" in columns, f"DuckDB found no snapshot_date partition column in {table}"
    position = columns.index("snapshot_date")
    values = {str(row[position]) for row in rows}
    assert values <= {DATE}, f"{table}: snapshot_date values {values}, expected only {DATE}"
    if rows:
        assert isinstance(rows[0][position], (dt.date, str))
    assert sorted(columns) == sorted(names), f"{table}: DuckDB columns {columns}"
    for f in part_files(out, table):
        file_names = pq.read_schema(f).names
        assert "snapshot_date" not in file_names, f"{f} holds a snapshot_date column"
        assert file_names == [n for n, _ in OUTPUTS[table]], (
            f"{f}: columns {file_names}, expected docs/SPEC.md §4's order")


@pytest.mark.parametrize("table", TABLES)
def test_columns_and_duckdb_types(out, table):
    names, types, _ = duck_query(out, table)
    assert names == [n for n, _ in OUTPUTS[table]], f"{table}: DuckDB columns {names}"
    wrong = {n: (types[n], t) for n, t in OUTPUTS[table] if types[n] != t}
    assert not wrong, f"{table}: DuckDB types (got, expected): {wrong}"


@pytest.mark.parametrize("table", list(CIRCLE_OUTPUTS))
def test_circle_outputs_read_by_duckdb(out, table):
    names, types, rows = duck_query(out, table)
    assert names == [n for n, _ in CIRCLE_OUTPUTS[table]], f"{table}: DuckDB columns {names}"
    wrong = {n: (types[n], t) for n, t in CIRCLE_OUTPUTS[table] if types[n] != t}
    assert not wrong, f"{table}: DuckDB types (got, expected): {wrong}"
    if table == "social_circle":
        # one row per scored account, stored by account_id
        _, _, tiers = duck_query(out, "customer_tiers")
        stored = [r["account_id"] for r in physical_rows(out, table)]
        assert stored == sorted(r[0] for r in tiers)
        assert sorted(r[7] for r in rows) == list(range(1, len(rows) + 1))


@pytest.mark.parametrize("table", TABLES)
def test_rows_match_expected(out, table):
    expected = sorted(load_expected(table), key=sort_key(table))
    names, _, rows = duck_query(out, table, order_by=ORDER_BY[table])
    compare_rows(table, expected, [dict(zip(names, r)) for r in rows])


@pytest.mark.parametrize("table", TABLES)
def test_files_are_stored_in_contract_order(out, table):
    rows = physical_rows(out, table)
    keys = [sort_key(table)(r) for r in rows]
    assert keys == sorted(keys), f"{table}: stored rows are not ordered by {KEYS[table]}"


@pytest.mark.parametrize("table", TABLES)
def test_parquet_zstd_with_statistics(out, table):
    row_groups = 0
    total_rows = 0
    for f in part_files(out, table):
        meta = pq.ParquetFile(f).metadata
        total_rows += meta.num_rows
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            row_groups += 1
            for c in range(rg.num_columns):
                col = rg.column(c)
                where = f"{f.name} row group {g} column {col.path_in_schema}"
                assert col.compression == "ZSTD", f"{where}: compression {col.compression}"
                assert col.is_stats_set and col.statistics is not None, f"{where}: no statistics"
                stats = col.statistics
                if rg.num_rows and stats.has_null_count and stats.null_count < rg.num_rows:
                    assert stats.has_min_max, f"{where}: statistics without min/max"
    if total_rows:
        assert row_groups >= 1


@pytest.mark.parametrize("table", TABLES)
def test_published_partition_layout(out, table):
    table_dir = out / table
    assert [p.name for p in table_dir.iterdir()] == [PARTITION], (
        f"{table}: partitions {sorted(p.name for p in table_dir.iterdir())}")
    partition = table_dir / PARTITION
    names = sorted(p.name for p in partition.iterdir())
    assert "_SUCCESS" in names, f"no _SUCCESS in {partition}"
    assert (partition / "_SUCCESS").is_file()
    parts = [n for n in names if n != "_SUCCESS"]
    assert parts and all(PART_FILE.fullmatch(n) for n in parts), (
        f"{partition}: expected part-NNNNN.parquet files and _SUCCESS, found {names}")


def test_rejects_layout(out):
    rejects = out / "_rejects"
    if not rejects.exists():
        return  # nothing rejected at all
    tables = sorted(p.name for p in rejects.iterdir())
    assert set(tables) <= set(INPUT_TABLES), f"_rejects holds {tables}"
    for table in tables:
        assert [p.name for p in (rejects / table).iterdir()] == [PARTITION]
        partition = rejects / table / PARTITION
        names = sorted(p.name for p in partition.iterdir())
        assert "_SUCCESS" in names, f"no _SUCCESS in {partition}"
        parts = [n for n in names if n != "_SUCCESS"]
        assert parts and all(PART_FILE.fullmatch(n) for n in parts), f"{partition}: {names}"
        for f in parts:
            file_names = pq.read_schema(partition / f).names
            assert "snapshot_date" not in file_names
            assert file_names[-2:] == ["reject_reason", "source_file"], f"{table}/{f}: {file_names}"
        names_q, _, _ = duck_query(out, f"_rejects/{table}")
        assert names_q == file_names


def manifests(out: Path) -> list[Path]:
    folder = out / "_manifests" / PARTITION
    assert folder.is_dir(), f"no manifest folder {folder}"
    return sorted(folder.iterdir())


def check_manifest(path: Path) -> dict:
    assert path.suffix == ".json", f"unexpected file in _manifests: {path.name}"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc.get("status") == "success", f"{path.name}: status {doc.get('status')!r}"
    assert doc.get("snapshot_date") == DATE, f"{path.name}: snapshot_date {doc.get('snapshot_date')!r}"
    assert str(doc.get("run_id")) == path.stem, f"{path.name}: run_id {doc.get('run_id')!r}"
    return doc


def test_manifest(out):
    files = manifests(out)
    assert len(files) == 1, f"one run, manifests {[f.name for f in files]}"
    check_manifest(files[0])
    assert [p.name for p in (out / "_manifests").iterdir()] == [PARTITION]


def allowed_output_file(rel: str) -> bool:
    parts = rel.split("/")
    if parts[0] in OUTPUTS or parts[0] in CIRCLE_OUTPUTS:
        return len(parts) == 3 and parts[1] == PARTITION and (
            parts[2] == "_SUCCESS" or PART_FILE.fullmatch(parts[2]) is not None)
    if parts[0] == "_rejects":
        return len(parts) == 4 and parts[1] in INPUT_TABLES and parts[2] == PARTITION and (
            parts[3] == "_SUCCESS" or PART_FILE.fullmatch(parts[3]) is not None)
    if parts[0] == "_manifests":
        return len(parts) == 3 and parts[1] == PARTITION and parts[2].endswith(".json")
    return False


def snapshot(output: Path) -> dict:
    state = {"tree": tree(output)}
    for table in OUTPUTS:
        state[table] = duck_query(output, table, order_by=ORDER_BY[table])
        state[f"{table} stored"] = physical_rows(output, table)
    rejects = output / "_rejects"
    for table in sorted(p.name for p in rejects.iterdir()) if rejects.exists() else []:
        state[f"_rejects/{table}"] = physical_rows(output, f"_rejects/{table}")
    return state


def test_rerun_same_date_is_idempotent(tmp_path):
    output = tmp_path / "out"
    run_pulsetier(output)
    first = snapshot(output)
    first_manifests = [p.name for p in manifests(output)]
    run_pulsetier(output)
    second = snapshot(output)
    second_manifests = [p.name for p in manifests(output)]

    files = second.pop("tree")
    first_files = first.pop("tree")
    leftovers = [f for f in files if not allowed_output_file(f)]
    assert not leftovers, f"unexpected files after rerun: {leftovers}"
    data = lambda fs: [f for f in fs if not f.startswith("_manifests/")]
    assert data(files) == data(first_files), "data files differ between the two runs"

    assert len(second_manifests) == len(first_manifests) + 1, (
        f"manifests before {first_manifests}, after {second_manifests}")
    assert set(first_manifests) < set(second_manifests), "the first run's manifest was removed"
    for name in second_manifests:
        check_manifest(output / "_manifests" / PARTITION / name)

    assert second.keys() == first.keys()
    for key in first:
        # NaN != NaN in Python: compare a NaN-stable representation (repr)
        assert repr(second[key]) == repr(first[key]), f"{key}: rows differ between two runs of {DATE}"


def test_movements_across_two_dates_as_a_bi_tool_derives_them(tmp_path):
    """Two dates (the fixtures' 2026-03-09, then 2026-03-10) in one output:
    DuckDB reads every partition of the docs/SPEC.md §6 outputs with Hive
    partitioning, and D's tier_movements and tier_migration are what a BI
    tool derives from the two customer_tiers partitions itself."""
    output = tmp_path / "out"
    previous = "2026-03-09"
    run_pulsetier(output, previous)
    run_pulsetier(output)
    con = duckdb.connect()
    try:
        def q(sql):
            return con.execute(sql).fetchall()

        def src(table):
            return f"read_parquet({sql_str(glob_of(output, table))}, hive_partitioning = true)"

        for table in ("tier_movements", "tier_migration", "nps_changes"):
            dates = q(f"SELECT DISTINCT CAST(snapshot_date AS VARCHAR) FROM {src(table)} ORDER BY 1")
            assert dates == [(previous,), (DATE,)], f"{table}: partitions {dates}"
        # the first date had no committed date before it: all new
        assert q(f"SELECT DISTINCT movement, previous_snapshot_date FROM {src('tier_movements')} "
                 f"WHERE snapshot_date = DATE '{previous}'") == [("new", None)]
        tiers = f"""
            SELECT account_id, tier, value_score,
                   list_position(['bronze', 'silver', 'gold', 'platinum'], tier) AS r
            FROM {src('customer_tiers')} WHERE snapshot_date = DATE '{{}}'"""
        derived = q(f"""
            SELECT coalesce(d.account_id, p.account_id), DATE '{previous}', p.tier, d.tier,
                   p.value_score, d.value_score, round(d.value_score - p.value_score, 2),
                   CASE WHEN p.account_id IS NULL THEN 'new' WHEN d.account_id IS NULL THEN 'gone'
                        WHEN d.r > p.r THEN 'up' WHEN d.r < p.r THEN 'down' ELSE 'same' END,
                   d.r - p.r
            FROM ({tiers.format(DATE)}) d FULL OUTER JOIN ({tiers.format(previous)}) p
              ON d.account_id = p.account_id
            ORDER BY 1""")
        published = q(f"SELECT * EXCLUDE (snapshot_date) FROM {src('tier_movements')} "
                      f"WHERE snapshot_date = DATE '{DATE}' ORDER BY account_id")
        assert [tuple(r) for r in published] == [tuple(r) for r in derived]
        assert {r[7] for r in published} >= {"up", "same", "gone"}, published
        cells = q(f"""
            SELECT from_tier, to_tier, accounts FROM {src('tier_migration')}
            WHERE snapshot_date = DATE '{DATE}' AND accounts > 0 ORDER BY 1, 2""")
        counted = q(f"""
            SELECT coalesce(previous_tier, '(none)'), coalesce(tier, '(none)'), count(*)
            FROM {src('tier_movements')} WHERE snapshot_date = DATE '{DATE}'
            GROUP BY 1, 2 ORDER BY 1, 2""")
        assert cells == counted
        assert q(f"SELECT count(*) FROM {src('tier_migration')} GROUP BY snapshot_date") == [(24,), (24,)]
        # 2025-12-10 (D - 90 days) is not committed: no baseline
        assert q(f"SELECT count(*) FROM {src('nps_changes')} WHERE snapshot_date = DATE '{DATE}' "
                 "AND (baseline_snapshot_date IS NOT NULL OR change IS NOT NULL)") == [(0,)]
    finally:
        con.close()
