"""A run from s3:// to s3:// on a real S3 API (moto on loopback), compared
with a local run, and the requests it sends (issue 4, acceptance 1 and 2)."""

from __future__ import annotations

import collections
import datetime as dt
import re

import s3_runs as R

D = dt.date.fromisoformat(R.DATE)
# docs/SPEC.md §1 with the default windows: the partitions a run for D reads.
WINDOW_DAYS = {"accounts": 1, "mentions": 30, "surveys": 90, "influence_scores": 90,
               "connections": 90}
# Fixture partitions that exist but lie outside the windows of 2026-03-10.
OUTSIDE = ("mentions/snapshot_date=2026-02-08", "surveys/snapshot_date=2025-12-10",
           "accounts/snapshot_date=2026-03-08", "accounts/snapshot_date=2026-03-09")
LIST_PREFIX = re.compile(
    rf"^{R.IN_PREFIX}/(accounts|mentions|surveys|influence_scores|connections)/snapshot_date=(\d{{4}}-\d{{2}}-\d{{2}})/$")


def window(table: str) -> set[str]:
    return {(D - dt.timedelta(days=back)).isoformat() for back in range(WINDOW_DAYS[table])}


def expected_list_prefixes() -> set[str]:
    return {f"{R.IN_PREFIX}/{t}/snapshot_date={d}/" for t in WINDOW_DAYS for d in window(t)}


def test_s3_run_matches_local_run(canonical_run, local_reference):
    r = canonical_run.result
    assert r.returncode == 0, R.describe(r)
    assert f"published snapshot_date={R.DATE} to s3://{R.OUT_BUCKET}/pt " in r.stdout, r.stdout
    R.assert_same_outputs(canonical_run.objects, local_reference, canonical_run.output_url)
    manifests = R.manifests(canonical_run.objects)
    assert len(manifests) == 1
    run_id = manifests[0]["run_id"]
    assert run_id in r.stdout
    # the credentials came from the environment: every request carried its session token
    tokens = collections.Counter(q.security_token for q in canonical_run.requests)
    assert tokens == {R.SESSION_TOKEN: len(canonical_run.requests)}, tokens
    # and the commit went through the S3 API: copies from this run's staging, then deletes
    copies = [q for q in canonical_run.requests if q.copy_source]
    assert len(copies) == len(R.PUBLISHED_TABLES)
    for q in copies:
        assert q.copy_source.startswith(f"{R.OUT_BUCKET}/pt/_staging/{R.PARTITION}/{run_id}/"), q


def test_run_lists_and_reads_only_the_partitions_of_its_windows(canonical_run):
    assert canonical_run.result.returncode == 0, R.describe(canonical_run.result)
    reqs = [q for q in canonical_run.requests if q.bucket == R.IN_BUCKET]
    assert reqs, "no request reached in-bucket through the proxy"
    assert {q.method for q in reqs} <= {"GET", "HEAD"}, "the input bucket was written to"

    # LIST: one prefix listing per partition folder of the windows, nothing else
    lists = [q for q in reqs if q.key == ""]
    assert lists and all(q.method == "GET" and q.query.get("list-type") == "2" for q in lists), lists
    assert not [q for q in lists if "delimiter" in q.query], "a folder listing (delimiter) of the input"
    prefixes = [q.query.get("prefix", "") for q in lists]
    for prefix in prefixes:
        m = LIST_PREFIX.match(prefix)
        assert m, f"LIST of {prefix!r} is not one snapshot_date= partition folder"
        table, date = m.groups()
        assert date in window(table), f"LIST of {prefix!r}: {date} is outside the {table} window"
    counts = collections.Counter(prefixes)
    assert set(counts) == expected_list_prefixes(), (
        sorted(expected_list_prefixes() - set(counts)), sorted(set(counts) - expected_list_prefixes()))
    assert set(counts.values()) == {1}, [p for p, n in counts.items() if n > 1]
    assert len(prefixes) == 1 + 30 + 90 + 90 + 90

    # GET/HEAD of objects: only data files inside those partitions, and all of them
    read = {q.key for q in reqs if q.key}
    for key in read:
        folder, _, name = key.rpartition("/")
        assert LIST_PREFIX.match(folder + "/"), f"read {key} outside a listed partition"
        table, date = LIST_PREFIX.match(folder + "/").groups()
        assert date in window(table), f"read {key} outside the {table} window"
        assert not name.startswith(("_", ".")), f"read hidden file {key}"
    in_window = {
        f"{R.IN_PREFIX}/{p.relative_to(R.FIXTURES).as_posix()}"
        for p in R.FIXTURES.rglob("*.parquet")
        if not p.name.startswith((".", "_"))
        and p.parent.name.removeprefix("snapshot_date=") in window(p.parent.parent.name)
    }
    assert read == in_window, (sorted(in_window - read), sorted(read - in_window))

    # the fixture partitions outside the windows are never touched
    touched = [q.path + " " + q.query.get("prefix", "") for q in reqs]
    for partition in OUTSIDE:
        assert R.FIXTURES.joinpath(partition).is_dir(), f"fixture partition {partition} is gone"
        assert not [t for t in touched if partition in t], f"{partition} was listed or read"
