"""`--table-format delta` read back by another Delta implementation (issue 9,
acceptance 1 and the README's time-travel example).

The binary ($PULSETIER_BIN, built with `--features delta`; scripts/test.sh
passes it) runs on fixtures/input for 2026-03-10 into a Hive output and into
a Delta output; the Delta tables are read with the `deltalake` Python package
(delta-rs's Python reader, not pulsetier's code) and compared, through DuckDB,
with the Hive outputs: same columns, same DuckDB types, same rows in the SPEC
order, `snapshot_date` a real DATE partition column. DuckDB's own `delta`
extension would need a download at test time, so it is not used.

A second Delta run of the same date with other settings then makes version 1;
version 0 stays readable (time travel) with the first run's rows, and each
commit's `commitInfo` names its run and the pulsetier version.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "bi"))
import test_duckdb as bi  # noqa: E402  (expected CSVs and SPEC column types)

INPUT = "fixtures/input"  # relative to REPO_ROOT, the binary's cwd
DATE = "2026-03-10"
DAY = dt.date.fromisoformat(DATE)
PARTITION = f"snapshot_date={DATE}"
RUN_TIMEOUT_S = 600
OUTPUTS = tuple(bi.OUTPUTS)  # the three of docs/SPEC.md §4 and the three of §6
REJECTS = tuple(f"_rejects/{t}" for t in bi.INPUT_TABLES)
PUBLISHED = OUTPUTS + tuple(bi.CIRCLE_OUTPUTS) + REJECTS  # the circle (§9): Delta = Hive
ORDER_BY = bi.ORDER_BY  # docs/SPEC.md §4, §6, as DuckDB ORDER BY expressions
# The second run: other scoring weights, NPS sample size and mentions window,
# so every output table's rows of version 1 differ from version 0.
SECOND_RUN_CONFIG = "[scoring]\nweight_spend = 0.5\n"
SECOND_RUN_ARGS = ("--min-responses", "1", "--mentions-days", "20")


def pulsetier_version() -> str:
    with (REPO_ROOT / "Cargo.toml").open("rb") as fh:
        return tomllib.load(fh)["package"]["version"]


def run(output: Path, *extra: str) -> dict:
    """`pulsetier run` for DATE into `output`; returns the run's manifest."""
    cmd = [str(bi.pulsetier_bin()), "run", "--input", INPUT, "--output", str(output),
           "--date", DATE, *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSETIER_")}
    env["RUST_BACKTRACE"] = "1"
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(cmd)} timed out\n{bi.as_text(exc.stderr)}")
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout ---\n{proc.stdout}"
                    f"\n--- stderr ---\n{proc.stderr}")
    manifests = sorted((output / "_manifests" / PARTITION).iterdir())
    return json.loads(manifests[-1].read_text())


class Runs:
    """Where the session's runs published, and their manifests."""

    def __init__(self, root: Path) -> None:
        config = root / "second.toml"
        config.write_text(SECOND_RUN_CONFIG)
        second = ("--config", str(config), *SECOND_RUN_ARGS)
        self.hive, self.hive2, self.delta = root / "hive", root / "hive2", root / "delta"
        self.hive_manifest = run(self.hive)
        self.hive2_manifest = run(self.hive2, *second)
        self.delta_manifests = [run(self.delta, "--table-format", "delta")]
        # a copy of the Delta output as the first run left it
        self.delta_v0 = root / "delta-v0"
        subprocess.run(["cp", "-a", str(self.delta), str(self.delta_v0)], check=True)
        self.delta_manifests.append(run(self.delta, "--table-format", "delta", *second))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    return Runs(tmp_path_factory.mktemp("delta"))


# --------------------------------------------------------------------------- reading


def normal(value):
    """A value comparable across two reads (NaN == NaN)."""
    return "NaN" if isinstance(value, float) and math.isnan(value) else value


def duck(source: str, register: dict | None = None, order_by=None):
    """(column names, {name: DuckDB type}, rows) of `SELECT * FROM source`."""
    con = duckdb.connect()
    try:
        for name, table in (register or {}).items():
            con.register(name, table)
        sql = f"SELECT * FROM {source}"
        if order_by:
            sql += " ORDER BY " + ", ".join(order_by)
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        rows = [tuple(normal(v) for v in r) for r in cur.fetchall()]
        types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {sql}").fetchall()}
    finally:
        con.close()
    return names, types, rows


def hive_read(out: Path, table: str, order_by=None):
    glob = f"{out}/{table}/*/*.parquet"
    return duck(f"read_parquet('{glob}', hive_partitioning = true)", order_by=order_by)


def delta_arrow(out: Path, table: str, version: int | None = None) -> pa.Table:
    t = DeltaTable(str(out / table), version=version)
    return t.to_pyarrow_table()


def delta_read(out: Path, table: str, version: int | None = None, order_by=None):
    return duck("d", {"d": delta_arrow(out, table, version)}, order_by=order_by)


def order_of(table: str):
    return ORDER_BY.get(table)


def assert_same_rows(table: str, hive, delta) -> None:
    """Same columns, types and rows; rejects (no SPEC order) as multisets."""
    h_names, h_types, h_rows = hive
    d_names, d_types, d_rows = delta
    assert d_names == h_names, f"{table}: columns {d_names}, Hive {h_names}"
    assert d_types == h_types, f"{table}: DuckDB types {d_types}, Hive {h_types}"
    if order_of(table) is None:
        h_rows, d_rows = sorted(h_rows, key=repr), sorted(d_rows, key=repr)
    assert len(d_rows) == len(h_rows), f"{table}: {len(d_rows)} rows, Hive {len(h_rows)}"
    for i, (d, h) in enumerate(zip(d_rows, h_rows)):
        assert d == h, f"{table} row {i}: Delta {d}\n  Hive {h}"


def commit_infos(out: Path, table: str) -> list[dict]:
    """commitInfo of every version in the table's log, by version."""
    infos = []
    for f in sorted((out / table / "_delta_log").glob("*.json")):
        actions = [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
        [info] = [a["commitInfo"] for a in actions if "commitInfo" in a]
        infos.append(info)
    return infos


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("table", PUBLISHED)
def test_delta_rows_types_and_order_equal_hive(runs, table):
    order = order_of(table)
    hive = hive_read(runs.hive, table, order_by=order)
    assert "snapshot_date" in hive[0]
    delta = delta_read(runs.delta_v0, table, order_by=order)
    assert_same_rows(table, hive, delta)
    assert delta[1]["snapshot_date"] == "DATE", delta[1]
    assert {r[delta[0].index("snapshot_date")] for r in delta[2]} <= {DAY}
    assert len(delta[2]) == runs.delta_manifests[0]["outputs"][table]["rows"]
    assert len(delta[2]) == runs.hive_manifest["outputs"][table]["rows"]


@pytest.mark.parametrize("table", OUTPUTS)
def test_delta_rows_match_hand_checked_expected(runs, table):
    """tests/expected/<table>.csv (worked out by hand from the SPEC) against
    the Delta table as delta-rs reads it, in the SPEC order."""
    names, _, rows = delta_read(runs.delta_v0, table, order_by=ORDER_BY[table])
    expected = sorted(bi.load_expected(table), key=bi.sort_key(table))
    bi.compare_rows(table, expected, [dict(zip(names, r)) for r in rows])


@pytest.mark.parametrize("table", PUBLISHED)
def test_delta_table_layout(runs, table):
    """A partitioned Delta table; data files under snapshot_date=D/ without
    the partition column, each with the Hive part files' Parquet schema and
    its rows stored in the SPEC order."""
    t = DeltaTable(str(runs.delta_v0 / table))
    assert t.version() == 0
    assert t.metadata().partition_columns == ["snapshot_date"]
    date_field = [f for f in t.schema().fields if f.name == "snapshot_date"]
    assert len(date_field) == 1 and str(date_field[0].type) == 'PrimitiveType("date")', date_field
    assert t.partitions() == [{"snapshot_date": DATE}]
    hive_schema = pq.read_schema(next((runs.hive / table / PARTITION).glob("part-*.parquet")))
    files = t.file_uris()
    assert files, f"{table}: no data file"
    for uri in files:
        path = Path(uri.removeprefix("file://"))
        assert path.parent == runs.delta_v0 / table / PARTITION, uri
        schema = pq.read_schema(path)
        assert "snapshot_date" not in schema.names
        assert schema.remove_metadata().equals(hive_schema.remove_metadata()), (
            f"{uri}:\n{schema}\nHive:\n{hive_schema}")
        if order_of(table):
            rows = pq.read_table(path).to_pylist()
            keys = [bi.sort_key(table)(r) for r in rows]
            assert keys == sorted(keys), f"{uri}: rows not stored in {bi.KEYS[table]} order"
    # no _SUCCESS: the Delta log is the commit
    assert not list((runs.delta / table).rglob("_SUCCESS"))


@pytest.mark.parametrize("table", PUBLISHED)
def test_commit_info_names_run_and_version(runs, table):
    infos = commit_infos(runs.delta, table)
    assert len(infos) == 2, f"{table}: {len(infos)} commits, expected one per run"
    for version, (info, manifest) in enumerate(zip(infos, runs.delta_manifests)):
        assert info["pulsetier_run_id"] == manifest["run_id"], (table, version, info)
        assert info["pulsetier_version"] == pulsetier_version() == manifest["pulsetier_version"]
        assert info["pulsetier_snapshot_date"] == DATE
        assert manifest["outputs"][table]["delta_version"] == version
        assert manifest["outputs"][table]["files"] == []
    # delta-rs's history(): newest first, with the same commitInfo
    history = DeltaTable(str(runs.delta / table)).history()
    assert [h["version"] for h in history] == [1, 0]
    assert [h["pulsetier_run_id"] for h in history] == [
        m["run_id"] for m in reversed(runs.delta_manifests)]
    # the Hive manifest has no delta_version
    assert "delta_version" not in runs.hive_manifest["outputs"][table]


@pytest.mark.parametrize("table", PUBLISHED)
def test_time_travel_after_a_second_run(runs, table):
    order = order_of(table)
    t = DeltaTable(str(runs.delta / table))
    assert t.version() == 1
    # the latest version holds the second run's rows (Hive run with the same settings) …
    assert_same_rows(table, hive_read(runs.hive2, table, order_by=order),
                     duck("d", {"d": t.to_pyarrow_table()}, order_by=order))
    # … and version 0 is still there with the first run's
    t.load_as_version(0)
    assert t.version() == 0
    assert_same_rows(table, hive_read(runs.hive, table, order_by=order),
                     duck("d", {"d": t.to_pyarrow_table()}, order_by=order))


@pytest.mark.parametrize("table", OUTPUTS)
def test_second_run_rows_differ(runs, table):
    """Guard for the time-travel test: versions 0 and 1 really differ."""
    first = hive_read(runs.hive, table, order_by=ORDER_BY[table])[2]
    second = hive_read(runs.hive2, table, order_by=ORDER_BY[table])[2]
    assert first != second, f"{table}: the second run's settings change nothing"


def test_readme_time_travel_example(runs):
    """The README's Python example, as written there (with this output)."""
    out = str(runs.delta)
    t = DeltaTable(f"{out}/customer_tiers")
    history = t.history()
    assert history[0]["pulsetier_run_id"] == runs.delta_manifests[1]["run_id"]
    v0 = DeltaTable(f"{out}/customer_tiers", version=0).to_pyarrow_table(
        filters=[("snapshot_date", "=", dt.date(2026, 3, 10))])
    names, _, rows = hive_read(runs.hive, "customer_tiers", order_by=["value_rank"])
    got = duck("d", {"d": v0}, order_by=["value_rank"])[2]
    assert got == rows
