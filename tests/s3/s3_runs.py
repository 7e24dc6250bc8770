"""Running pulsetier against the loopback S3 of tests/s3 and comparing what
it publishes with a local run of the same fixtures."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pulsetier_cli import as_text, pulsetier_bin

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "fixtures" / "input"
DATE = "2026-03-10"
PARTITION = f"snapshot_date={DATE}"
IN_BUCKET = "in-bucket"
OUT_BUCKET = "out-bucket"
IN_PREFIX = "fixtures"
S3_INPUT = f"s3://{IN_BUCKET}/{IN_PREFIX}"
RUN_TIMEOUT_S = 300
INPUT_TABLES = ("accounts", "mentions", "surveys", "influence_scores", "connections")
OUTPUT_TABLES = ("customer_tiers", "nps_aggregates", "social_pulse",
                 "tier_movements", "tier_migration", "nps_changes", "care_queue",
                 "social_circle", "circle_prospects")
REJECT_TABLES = tuple(f"_rejects/{t}" for t in INPUT_TABLES)
PUBLISHED_TABLES = OUTPUT_TABLES + REJECT_TABLES

# Dummy credentials: moto does not check signatures. The session token is
# sent as x-amz-security-token, so the proxy can tell which credentials a
# request was made with.
ACCESS_KEY_ID = "AKIAPULSETIERTEST"
SECRET_ACCESS_KEY = "pulsetier-dummy-secret"
SESSION_TOKEN = "pulsetier-dummy-session-token"

# Variables of the host that could change how the binary reaches the store.
_SCRUBBED_PREFIXES = ("AWS_", "GOOGLE_", "AZURE_", "PULSETIER_")
_SCRUBBED = {"RUST_LOG", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"}

# Small retry backoffs keep the fault tests short.
FAST_RETRIES = "[storage]\ninit_backoff_ms = 10\nmax_backoff_secs = 1\n"
FEW_RETRIES = ("[storage]\nmax_retries = 2\nretry_timeout_secs = 5\n"
               "init_backoff_ms = 10\nmax_backoff_secs = 1\n")


def s3_env(endpoint: str, **extra: str) -> dict[str, str]:
    """The environment of a pulsetier run against `endpoint`: the host's
    environment without cloud, proxy and pulsetier variables, plus the AWS
    variables (credentials only from here, never from flags)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_SCRUBBED_PREFIXES) and k.upper() not in _SCRUBBED}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        AWS_SESSION_TOKEN=SESSION_TOKEN,
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
        AWS_ALLOW_HTTP="true",
        NO_PROXY="127.0.0.1,localhost",
        PULSETIER_LOG="info",
    )
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str], timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run the binary from the repository root; a hang fails the test."""
    cmd = [str(pulsetier_bin()), *args]
    try:
        return subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{' '.join(cmd)} did not finish within {timeout}s\n"
                    f"stdout:\n{as_text(e.stdout)}\nstderr:\n{as_text(e.stderr)}")


def describe(r: subprocess.CompletedProcess) -> str:
    return f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"


def s3_run(endpoint: str, output_prefix: str, *extra_args: str, config: Path | None = None,
           env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`pulsetier run` for DATE from the S3 fixtures to s3://out-bucket/<output_prefix>."""
    args = ["run", "--date", DATE, "--input", S3_INPUT,
            "--output", f"s3://{OUT_BUCKET}/{output_prefix}", *extra_args]
    if config is not None:
        args += ["--config", str(config)]
    return run(args, s3_env(endpoint, **(env_extra or {})))


# ----------------------------------------------------------------------------- objects


def objects(s3, bucket: str, prefix: str) -> dict[str, bytes]:
    """Every object under `prefix/`, keyed by its path below the prefix."""
    base = prefix.rstrip("/") + "/"
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            out[obj["Key"][len(base):]] = body
    return out


def local_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def manifests(objs: dict[str, bytes]) -> list[dict]:
    """The manifests of DATE, oldest first (run ids start with their start time)."""
    keys = sorted(k for k in objs if k.startswith(f"_manifests/{PARTITION}/"))
    return [json.loads(objs[k]) for k in keys]


def published(objs: dict[str, bytes]) -> dict[str, bytes]:
    """The published partitions of DATE (no manifests)."""
    return {k: v for k, v in objs.items() if not k.startswith("_manifests/")}


@dataclasses.dataclass
class LocalReference:
    """A local run of the same fixtures (`--input fixtures/input --output <dir>`)."""
    root: Path
    files: dict[str, bytes]
    manifest: dict
    input_url: str  # file:///…/fixtures/input/


def comparable(row: dict) -> dict:
    """A reject row without `source_file`, NaN made comparable."""
    return {k: ("NaN" if isinstance(v, float) and math.isnan(v) else v)
            for k, v in row.items() if k != "source_file"}


def read_parquet(data: bytes):
    return pq.read_table(io.BytesIO(data))


def assert_same_outputs(objs: dict[str, bytes], ref: LocalReference, output_url: str,
                        s3_input_url: str = f"{S3_INPUT}/") -> None:
    """What an S3 run published equals the local run's: the three outputs
    byte-identical, the rejects equal except `source_file` (s3:// instead of
    file://), `_SUCCESS` on every partition, a success manifest, and nothing
    left under `_staging/` or `_locks/`."""
    leftovers = sorted(k for k in objs if k.startswith(("_staging/", "_locks/")))
    assert not leftovers, f"staging or lock objects left behind: {leftovers}"
    local_pub = published(ref.files)
    s3_pub = published(objs)
    assert sorted(s3_pub) == sorted(local_pub), "published object names differ from the local run's"
    for table in PUBLISHED_TABLES:
        assert f"{table}/{PARTITION}/_SUCCESS" in s3_pub, f"{table}: no _SUCCESS"
        assert s3_pub[f"{table}/{PARTITION}/_SUCCESS"] == b""
    compared_rejects = 0
    for key, data in s3_pub.items():
        if not key.endswith(".parquet"):
            continue
        if key.split("/")[0] in OUTPUT_TABLES:
            assert data == local_pub[key], f"{key}: not byte-identical to the local run's"
            continue
        s3_table, local_table = read_parquet(data), read_parquet(local_pub[key])
        assert s3_table.schema.equals(local_table.schema, check_metadata=True), key
        s3_rows = s3_table.to_pylist()
        local_rows = local_table.to_pylist()
        assert len(s3_rows) == len(local_rows), key
        compared_rejects += len(local_rows)
        for s3_row, local_row in zip(s3_rows, local_rows):
            src = local_row["source_file"]
            assert src.startswith(ref.input_url), (key, src)
            assert s3_row["source_file"] == s3_input_url + src[len(ref.input_url):], (key, s3_row)
            assert comparable(s3_row) == comparable(local_row), key
    # the fixtures have rejected rows (an empty rejects table compares equal
    # too), so the row-by-row comparison above is never vacuous
    assert compared_rejects > 0, "no rejected row compared"
    ms = manifests(objs)
    assert ms, "no manifest under _manifests/"
    m = ms[-1]
    assert m["status"] == "success" and m["exit_code"] == 0 and m["error"] is None, m
    assert m["snapshot_date"] == DATE
    for table in PUBLISHED_TABLES:
        out, ref_out = m["outputs"][table], ref.manifest["outputs"][table]
        assert out["committed"] is True
        assert out["rows"] == ref_out["rows"], table
        assert out["partition"] == f"{output_url}/{table}/{PARTITION}", out["partition"]
    for table in INPUT_TABLES:
        got, want = m["inputs"][table], ref.manifest["inputs"][table]
        for field in ("partitions_read", "rows_read", "rejected", "rejected_by_reason", "duplicates_dropped"):
            assert got[field] == want[field], (table, field)
        assert [f["path"] for f in got["files"]] == [
            s3_input_url + f["path"][len(ref.input_url):] for f in want["files"]
        ], table

