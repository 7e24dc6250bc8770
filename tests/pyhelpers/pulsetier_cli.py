"""Shared by tests/report and tests/lineage: running the pulsetier binary on
the bundled fixtures and reading back what it published (manifests, part
files, Parquet rows through DuckDB).

Put on sys.path by the conftest.py of those folders.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "fixtures" / "input"
DATE = "2026-03-10"
BACKFILL_DATES = ("2026-03-08", "2026-03-09", "2026-03-10")
INPUT_TABLES = ("accounts", "mentions", "surveys", "influence_scores", "connections")
RUN_TIMEOUT_S = 300

# Host variables that could change what the binary does or where it sends
# events; every run starts from an environment without them.
_SCRUBBED_PREFIXES = ("AWS_", "GOOGLE_", "AZURE_", "PULSETIER_", "OPENLINEAGE_")
_SCRUBBED = {"RUST_LOG", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"}


def pulsetier_bin() -> Path:
    raw = os.environ.get("PULSETIER_BIN")
    path = Path(raw) if raw else REPO_ROOT / "target" / "debug" / "pulsetier"
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"pulsetier binary not found or not executable: {path} "
                    "(set PULSETIER_BIN, or run scripts/test.sh)")
    return path


def clean_env(**extra: str) -> dict[str, str]:
    """The host environment without cloud, proxy, pulsetier and OpenLineage
    variables (loopback never proxied), plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_SCRUBBED_PREFIXES) and k.upper() not in _SCRUBBED}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def as_text(data) -> str:
    """A process's captured output as text (None: empty)."""
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def run(*args: str, env: dict[str, str] | None = None,
        timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run the binary from the repository root (so `fixtures/input` is its
    default input); a hang fails the test."""
    cmd = [str(pulsetier_bin()), *args]
    try:
        return subprocess.run(cmd, cwd=REPO_ROOT, env=clean_env() if env is None else env,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{' '.join(cmd)} did not finish within {timeout}s\n"
                    f"stdout:\n{as_text(e.stdout)}\nstderr:\n{as_text(e.stderr)}")


def describe(r: subprocess.CompletedProcess) -> str:
    return f"$ {' '.join(map(str, r.args))}\nexit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"


def run_ok(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    r = run(*args, env=env)
    assert r.returncode == 0, describe(r)
    return r


# ----------------------------------------------------------------------------- what was published


def partition(out: Path, table: str, date: str) -> Path:
    return out / table / f"snapshot_date={date}"


def is_committed(out: Path, table: str, date: str) -> bool:
    return (partition(out, table, date) / "_SUCCESS").is_file()


def manifest_paths(out: Path, date: str) -> list[Path]:
    """The manifests of `date`, oldest first (run ids start with their start time)."""
    return sorted((out / "_manifests" / f"snapshot_date={date}").glob("*.json"))


def newest_manifest(out: Path, date: str) -> dict:
    paths = manifest_paths(out, date)
    assert paths, f"no manifest of {date} under {out}"
    return json.loads(paths[-1].read_text())


def only_manifest(out: Path, date: str) -> tuple[Path, dict]:
    paths = manifest_paths(out, date)
    assert len(paths) == 1, f"expected one manifest of {date} under {out}, got {paths}"
    return paths[0], json.loads(paths[0].read_text())


def committed_outputs(manifest: dict) -> dict[str, dict]:
    """The manifest's `outputs` entries that were committed, by table."""
    return {t: o for t, o in manifest["outputs"].items() if o.get("committed")}


def part_files(out: Path) -> dict[str, bytes]:
    """Every published data file (no manifest, report or lock), by path below `out`."""
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file() and p.relative_to(out).parts[0] not in ("_manifests", "_reports")
            and not p.name.startswith(".")}


def parquet_rows(out: Path, table: str, date: str, columns: str = "*") -> list[dict]:
    """The rows of a published partition, read by DuckDB (snapshot_date is
    only in the path and is left out)."""
    glob = (partition(out, table, date) / "*.parquet").as_posix()
    rel = duckdb.sql(f"SELECT {columns} FROM read_parquet('{glob}', hive_partitioning = false)")
    names = rel.columns
    return [dict(zip(names, row)) for row in rel.fetchall()]
