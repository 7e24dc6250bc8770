"""`--table-format delta` on S3 (issue 9): Delta commits are conditional puts
of `_delta_log/<version>.json` (`If-None-Match: *`, which moto answers with
412 like S3 when the version exists), so runs of different dates can commit
to the same tables at once without a DynamoDB locking provider.

Skipped when $PULSETIER_BIN was built without the `delta` feature."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time

import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

import s3_runs as R

PREFIX_RACE = "delta-race"
D1 = "2026-03-09"  # the other date of the race (fixtures have accounts for it)
LOG = "_delta_log/"


def delta_built() -> bool:
    r = R.run(["config", "--table-format", "delta"], R.s3_env("http://127.0.0.1:9"))
    return r.returncode == 0


@pytest.fixture(scope="module", autouse=True)
def _needs_delta():
    if not delta_built():
        pytest.skip("PULSETIER_BIN built without `--features delta`")


def storage_options(moto) -> dict[str, str]:
    """What a Delta reader needs to read the tables straight from moto."""
    return {
        "AWS_ENDPOINT_URL": moto.endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "setup",
        "AWS_SECRET_ACCESS_KEY": "setup",
        "AWS_REGION": "us-east-1",
    }


def delta_rows(moto, prefix: str, table: str, date: str) -> list[dict]:
    t = DeltaTable(f"s3://{R.OUT_BUCKET}/{prefix}/{table}", storage_options=storage_options(moto))
    day = dt.date.fromisoformat(date)
    rows = t.to_pyarrow_table(filters=[("snapshot_date", "=", day)]).to_pylist()
    for r in rows:
        assert str(r.pop("snapshot_date")) == date
    return rows


def hive_rows(root, table: str) -> list[dict]:
    rows = []
    for f in sorted((root / table / R.PARTITION).glob("*.parquet")):
        rows.extend(pq.read_table(f).to_pylist())
    return rows


def as_multiset(rows: list[dict]) -> list[str]:
    return sorted(repr(R.comparable(r)) for r in rows)


def commit_puts(reqs, prefix: str) -> list:
    return [q for q in reqs if q.kind == "put" and q.bucket == R.OUT_BUCKET
            and q.key.startswith(f"{prefix}/") and LOG in q.key and q.key.endswith(".json")]


def commit_infos(objs: dict[str, bytes], table: str) -> list[dict]:
    """commitInfo of every version of a table, by version, from its log objects."""
    infos = []
    for key in sorted(k for k in objs if k.startswith(f"{table}/{LOG}") and k.endswith(".json")):
        actions = [json.loads(line) for line in objs[key].decode().splitlines() if line.strip()]
        infos.extend(a["commitInfo"] for a in actions if "commitInfo" in a)
    return infos


def spawn(date: str, prefix: str, env: dict) -> subprocess.Popen:
    args = [str(R.pulsetier_bin()), "run", "--date", date, "--input", R.S3_INPUT,
            "--output", f"s3://{R.OUT_BUCKET}/{prefix}", "--table-format", "delta"]
    return subprocess.Popen(args, cwd=R.REPO_ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_dates_race_for_one_version_on_s3(proxy, moto, s3, buckets, local_reference):
    """Two dates start at once on fresh tables. The first commit PUT of
    customer_tiers version 0 is held by the proxy, so the other run commits
    version 0 first; the held PUT then gets 412 and its run commits version 1
    instead. Every table ends with one version per run, both dates right."""
    v0 = f"{R.OUT_BUCKET}/{PREFIX_RACE}/customer_tiers/{LOG}{0:020}.json"
    proxy.configure(delay_once=("PUT", v0), delay_seconds=5)
    env = R.s3_env(proxy.endpoint)
    procs = {d: spawn(d, PREFIX_RACE, env) for d in (D1, R.DATE)}
    results = {}
    try:
        for d, p in procs.items():
            out, err = p.communicate(timeout=R.RUN_TIMEOUT_S)
            results[d] = subprocess.CompletedProcess(p.args, p.returncode, out, err)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
    report = "\n\n".join(R.describe(r) for r in results.values())
    assert all(r.returncode == 0 for r in results.values()), report
    reqs = proxy.requests()

    puts = commit_puts(reqs, PREFIX_RACE)
    assert puts, "no Delta commit went through the proxy"
    assert all(q.if_none_match == "*" for q in puts), [(q.key, q.if_none_match) for q in puts]
    # the race: two PUTs of customer_tiers version 0, the held one lost with 412
    race = [q for q in puts if f"{q.bucket}/{q.key}" == v0]
    assert sorted(q.status for q in race) == [200, 412], [(q.outcome, q.status) for q in race]
    assert [q.status for q in race if q.outcome == "delayed"] == [412]
    # no version of any table was written twice
    for key in {q.key for q in puts}:
        assert [q.status for q in puts if q.key == key].count(200) == 1, key

    objs = R.objects(s3, R.OUT_BUCKET, PREFIX_RACE)
    ms = {m["snapshot_date"]: m for m in
          (json.loads(v) for k, v in objs.items() if k.startswith("_manifests/"))}
    assert sorted(ms) == [D1, R.DATE]
    assert not [k for k in objs if k.startswith(("_staging/", "_locks/"))]
    for table in R.PUBLISHED_TABLES:
        t = DeltaTable(f"s3://{R.OUT_BUCKET}/{PREFIX_RACE}/{table}",
                       storage_options=storage_options(moto))
        assert t.version() == 1, table
        # the commitInfo of each version, from the log objects (deltalake's
        # Python history() hangs listing moto with a start-after query)
        history = commit_infos(objs, table)
        assert sorted(h["pulsetier_snapshot_date"] for h in history) == [D1, R.DATE], table
        assert {h["pulsetier_run_id"] for h in history} == {m["run_id"] for m in ms.values()}
        for version, h in enumerate(history):
            m = ms[h["pulsetier_snapshot_date"]]
            assert m["outputs"][table]["delta_version"] == version, (table, version)
        for d, m in ms.items():
            assert len(delta_rows(moto, PREFIX_RACE, table, d)) == m["outputs"][table]["rows"], (table, d)
        # date D has the rows of the local Hive run (rejects: but for source_file)
        assert as_multiset(delta_rows(moto, PREFIX_RACE, table, R.DATE)) == \
            as_multiset(hive_rows(local_reference.root, table)), table
    assert {m["outputs"]["customer_tiers"]["delta_version"] for m in ms.values()} == {0, 1}


def test_delta_commit_refuses_a_store_without_conditional_put(proxy, s3, buckets, config_file):
    """`aws_conditional_put = "disabled"`: the commit fails (exit 2) rather
    than writing a version that another run could overwrite."""
    prefix = "delta-no-cas"
    cfg = config_file('[storage.options]\naws_conditional_put = "disabled"\n')
    r = R.s3_run(proxy.endpoint, prefix, "--table-format", "delta", config=cfg)
    assert r.returncode == 2, R.describe(r)
    assert "Delta commits need conditional puts" in r.stderr, r.stderr
    objs = R.objects(s3, R.OUT_BUCKET, prefix)
    assert not [k for k in objs if LOG in k], sorted(objs)
    assert not [k for k in objs if k.startswith("_manifests/")], sorted(objs)


def test_sigkill_during_a_delta_commit_on_s3(proxy, moto, s3, buckets, local_reference, config_file):
    """A run killed with its commit of customer_tiers version 1 in flight
    (the proxy holds the PUT, the process gets SIGKILL, the PUT never lands):
    the table stays readable at version 0 with the first run's rows; the data
    files the killed run wrote are in the folder but in no version; the next
    run commits version 1."""
    prefix = "delta-kill"
    r = R.s3_run(proxy.endpoint, prefix, "--table-format", "delta")
    assert r.returncode == 0, R.describe(r)
    v1 = f"{R.OUT_BUCKET}/{prefix}/customer_tiers/{LOG}{1:020}.json"
    proxy.configure(delay_once=("PUT", v1), delay_seconds=3, delay_then_drop=True)
    # other settings, so the killed run's rows differ from version 0's
    cfg = config_file("[scoring]\nweight_spend = 0.5\n")
    args = [str(R.pulsetier_bin()), "run", "--date", R.DATE, "--input", R.S3_INPUT,
            "--output", f"s3://{R.OUT_BUCKET}/{prefix}", "--table-format", "delta",
            "--config", str(cfg)]
    p = subprocess.Popen(args, cwd=R.REPO_ROOT, env=R.s3_env(proxy.endpoint),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proxy.held.wait(R.RUN_TIMEOUT_S), "the commit of customer_tiers v1 never came"
        p.kill()  # SIGKILL, the commit PUT in flight
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == -9, err
    deadline = time.monotonic() + 30  # the proxy closes the held request
    while not [q for q in proxy.requests() if q.outcome == "held_dropped"]:
        assert time.monotonic() < deadline, "the held request never ended"
        time.sleep(0.1)

    objs = R.objects(s3, R.OUT_BUCKET, prefix)
    assert f"customer_tiers/{LOG}{1:020}.json" not in objs
    t = DeltaTable(f"s3://{R.OUT_BUCKET}/{prefix}/customer_tiers",
                   storage_options=storage_options(moto))
    assert t.version() == 0
    rows = delta_rows(moto, prefix, "customer_tiers", R.DATE)
    assert as_multiset(rows) == as_multiset(hive_rows(local_reference.root, "customer_tiers"))
    # tables are committed one by one (rejects first, then the outputs in
    # SPEC order): those after customer_tiers were not reached either
    for table in ("nps_aggregates", "social_pulse"):
        assert f"{table}/{LOG}{1:020}.json" not in objs, table
    # the killed run's data file is there, but in no version of the table
    in_table = {u.split(f"/{prefix}/customer_tiers/", 1)[1] for u in t.file_uris()}
    on_store = {k.split("/", 1)[1] for k in objs
                if k.startswith(f"customer_tiers/{R.PARTITION}/") and k.endswith(".parquet")}
    assert in_table < on_store, (in_table, on_store)
    # the next run (stale lock of the killed one replaced) commits version 1
    r = R.s3_run(proxy.endpoint, prefix, "--table-format", "delta", config=cfg)
    assert r.returncode == 0, R.describe(r)
    t.update_incremental()
    assert t.version() == 1
    assert len(delta_rows(moto, prefix, "customer_tiers", R.DATE)) == len(rows)
