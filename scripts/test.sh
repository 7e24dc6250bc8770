#!/usr/bin/env bash
# Runs every pulsetier test:
#   1. a Python venv (.venv-test) with the pinned tools of requirements-test.txt,
#   2. `cargo test --all-targets --features "ballista-standalone delta"` (Rust unit
#      tests + the `it` integration binary, Ballista and Delta Lake outputs
#      included; this also builds target/debug/pulsetier with both features),
#   3. pytest on tests/bi, tests/delta and tests/s3: DuckDB/pyarrow read the
#      published outputs of that binary the way a BI tool does (tests/bi); the
#      `deltalake` Python package reads its `--table-format delta` outputs and
#      they are compared with the Hive ones (tests/delta); the binary runs
#      against moto's S3 server behind a counting, fault-injecting proxy, all on
#      127.0.0.1, Delta commits included (tests/s3).
# Exits non-zero as soon as a phase fails. Works from any directory.
# Environment: PYTHON (interpreter for the venv, default python3),
# CARGO_TARGET_DIR (honoured when locating the binary).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT="$(pwd)"
VENV="$REPO_ROOT/.venv-test"
PYTHON="${PYTHON:-python3}"

phase() { printf '\n==> [test.sh] %s\n' "$*"; }
die() { printf '==> [test.sh] FAILED: %s\n' "$*" >&2; exit 1; }

# --- phase 1: Python venv -----------------------------------------------------
phase "1/3 python venv $VENV (requirements-test.txt)"
if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || die "could not create venv with $PYTHON"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    -r requirements-test.txt || die "pip install -r requirements-test.txt"
"$VENV/bin/python" -c 'import duckdb, pyarrow, pytest, boto3, moto.server, deltalake' \
    || die "test tools not importable from $VENV"

# --- phase 2: Rust tests ----------------------------------------------------------
FEATURES="ballista-standalone delta"
phase "2/3 cargo test --all-targets --features \"$FEATURES\""
cargo test --all-targets --features "$FEATURES" || die "cargo test --all-targets --features \"$FEATURES\""

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$REPO_ROOT/$TARGET_DIR" ;; esac
BIN="$TARGET_DIR/debug/pulsetier"
[ -x "$BIN" ] || die "cargo test did not build $BIN"

# --- phase 3: BI and S3 checks -----------------------------------------------------
PYTESTS="tests/bi tests/delta tests/s3"
phase "3/3 pytest $PYTESTS (PULSETIER_BIN=$BIN)"
rc=0
# shellcheck disable=SC2086  # PYTESTS is a list of folders
PULSETIER_BIN="$BIN" "$VENV/bin/python" -m pytest -p no:cacheprovider -ra --tb=short $PYTESTS || rc=$?
if [ "$rc" -eq 5 ]; then
    die "pytest collected no tests in $PYTESTS"
elif [ "$rc" -ne 0 ]; then
    die "pytest $PYTESTS (exit $rc)"
fi

phase "all phases passed"
