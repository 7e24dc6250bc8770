"""The run lock on S3 (issue 4: two runs of one date cannot interleave their
commits): `<output>/_locks/snapshot_date=D.lock`, created with a conditional
put (`If-None-Match: *`, which moto honours with 412 like S3)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

import s3_runs as R

LOCK_KEY = f"_locks/{R.PARTITION}.lock"
LOCKED = "another run is publishing this date"
PAUSE_MS = "300"  # PULSETIER_TEST_PAUSE_MS: a pause between commit steps keeps the lock held longer


def host_name() -> str:
    try:
        return Path("/proc/sys/kernel/hostname").read_text().strip()
    except OSError:
        return socket.gethostname()


def lock_requests(reqs, prefix):
    """(event, request) in completion order: acquired / refused / released."""
    key = f"{prefix}/{LOCK_KEY}"
    out = []
    for q in reqs:
        if q.kind == "put" and q.key == key and q.bucket == R.OUT_BUCKET:
            out.append(("acquired" if q.status == 200 else "refused", q))
        elif q.kind == "delete" and key in q.deleted_keys and q.status == 200:
            out.append(("released", q))
    return out


def test_concurrent_runs_of_one_date_never_publish_at_the_same_time(
        proxy, s3, buckets, canonical_run, local_reference):
    prefix = "concurrent"
    args = [str(R.pulsetier_bin()), "run", "--date", R.DATE, "--input", R.S3_INPUT,
            "--output", f"s3://{R.OUT_BUCKET}/{prefix}"]
    env = R.s3_env(proxy.endpoint, PULSETIER_TEST_PAUSE_MS=PAUSE_MS)
    procs = [subprocess.Popen(args, cwd=R.REPO_ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=R.RUN_TIMEOUT_S)
            results.append(subprocess.CompletedProcess(args, p.returncode, out, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    reqs = proxy.requests()
    report = "\n\n".join(R.describe(r) for r in results)

    # both started: each listed the accounts partition
    accounts = [q for q in reqs if q.kind == "list"
                and q.query.get("prefix") == f"{R.IN_PREFIX}/accounts/{R.PARTITION}/"]
    assert len(accounts) == 2, report

    codes = sorted(r.returncode for r in results)
    assert codes in ([0, 0], [0, 1]), report
    for r in results:
        if r.returncode == 1:
            assert f"error: {LOCKED}: lock s3://{R.OUT_BUCKET}/{prefix}/{LOCK_KEY} held by run " in r.stderr, report

    # the lock alternates: acquired, released, (acquired, released); a refused put got 412
    events = lock_requests(reqs, prefix)
    assert all(q.if_none_match == "*" for e, q in events if e != "released"), events
    sequence = [e for e, _ in events if e != "refused"]
    assert sequence == ["acquired", "released"] * codes.count(0), events
    refused = [q for e, q in events if e == "refused"]
    assert len(refused) == codes.count(1) and all(q.status == 412 for q in refused), events

    # each run's copies into the published partitions happen while it holds the lock
    order = []
    for q in reqs:
        if q.kind == "copy" and q.status == 200:
            run_id = q.copy_source.split(f"/_staging/{R.PARTITION}/", 1)[1].split("/", 1)[0]
            if not order or order[-1] != run_id:
                order.append(run_id)
    assert len(order) == len(set(order)) == codes.count(0), f"commits interleaved: {order}"

    objs = R.objects(s3, R.OUT_BUCKET, prefix)
    R.assert_same_outputs(objs, local_reference, f"s3://{R.OUT_BUCKET}/{prefix}")
    assert len(R.manifests(objs)) == codes.count(0)


def test_a_lock_held_by_a_live_run_stops_a_second_run_before_it_writes(proxy, s3, buckets):
    prefix = "locked-live"
    body = json.dumps({"run_id": "20260310T000000.000Z-0therrun", "host": "another-host",
                       "pid": 4242, "created_at": int(time.time())}).encode()
    s3.put_object(Bucket=R.OUT_BUCKET, Key=f"{prefix}/{LOCK_KEY}", Body=body)
    r = R.s3_run(proxy.endpoint, prefix)
    assert r.returncode == 1, R.describe(r)
    assert (f"error: {LOCKED}: lock s3://{R.OUT_BUCKET}/{prefix}/{LOCK_KEY} held by run "
            "20260310T000000.000Z-0therrun (pid 4242 on another-host)") in r.stderr, r.stderr
    events = lock_requests(proxy.requests(), prefix)
    assert [(e, q.if_none_match, q.status) for e, q in events] == [("refused", "*", 412)], events
    # nothing written, the other run's lock untouched
    assert R.objects(s3, R.OUT_BUCKET, prefix) == {LOCK_KEY: body}


@pytest.mark.parametrize("stale", ["older-than-lock_stale_secs", "dead-process-on-this-host"])
def test_a_stale_lock_is_replaced(stale, proxy, s3, buckets, local_reference):
    prefix = f"locked-stale-{stale}"
    if stale == "older-than-lock_stale_secs":  # default lock_stale_secs = 6 h
        holder = {"host": "another-host", "pid": 4242, "created_at": int(time.time()) - 7 * 3600}
    else:
        gone = subprocess.Popen(["true"])
        gone.wait()
        holder = {"host": host_name(), "pid": gone.pid, "created_at": int(time.time())}
    body = json.dumps({"run_id": "20260310T000000.000Z-killedrn", **holder}).encode()
    s3.put_object(Bucket=R.OUT_BUCKET, Key=f"{prefix}/{LOCK_KEY}", Body=body)
    r = R.s3_run(proxy.endpoint, prefix)
    assert r.returncode == 0, R.describe(r)
    assert re.search(r"WARN .*replacing a stale run lock", r.stderr), r.stderr
    events = [(e, q.status) for e, q in lock_requests(proxy.requests(), prefix)]
    # refused (412), the stale lock deleted, then acquired and released by this run
    assert events[0] == ("refused", 412) and events[-2:] == [("acquired", 200), ("released", 200)], events
    R.assert_same_outputs(R.objects(s3, R.OUT_BUCKET, prefix), local_reference,
                          f"s3://{R.OUT_BUCKET}/{prefix}")
