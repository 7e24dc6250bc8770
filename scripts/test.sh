#!/usr/bin/env bash
# Runs every pulsetier test:
#   1. Debian's chromium and chromium-driver (/usr/bin/chromium,
#      /usr/bin/chromedriver) for tests/report, installed with apt-get (sudo
#      when not root) when either is missing,
#   2. a Python venv (.venv-test) with the pinned tools of requirements-test.txt,
#   3. `cargo test --all-targets --features "ballista-standalone delta"` (Rust unit
#      tests + the `it` integration binary, Ballista and Delta Lake outputs
#      included; this also builds target/debug/pulsetier with both features),
#   4. pytest on tests/bi, tests/delta, tests/s3, tests/report and tests/lineage:
#      DuckDB/pyarrow read the published outputs of that binary the way a BI
#      tool does (tests/bi); the `deltalake` Python package reads its
#      `--table-format delta` outputs and they are compared with the Hive ones
#      (tests/delta); the binary runs against moto's S3 server behind a
#      counting, fault-injecting proxy, all on 127.0.0.1, Delta commits
#      included (tests/s3); headless Chromium (selenium) opens its HTML run
#      report and every number there is checked against the outputs, with a
#      screenshot left in test-artifacts/ (tests/report); its OpenLineage
#      events, sent to a loopback receiver or a file, are checked against the
#      manifest and openlineage-python's classes (tests/lineage).
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

# --- phase 1: headless Chromium for tests/report ------------------------------------
CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver
phase "1/4 chromium and chromium-driver (Debian packages, for tests/report)"
if [ ! -x "$CHROMIUM" ] || [ ! -x "$CHROMEDRIVER" ]; then
    command -v apt-get >/dev/null 2>&1 \
        || die "$CHROMIUM or $CHROMEDRIVER is missing and there is no apt-get to install Debian's chromium and chromium-driver"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 \
            || die "$CHROMIUM or $CHROMEDRIVER is missing: install chromium and chromium-driver as root (no sudo here)"
        SUDO=sudo
    fi
    apt_install() {
        $SUDO env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends chromium chromium-driver
    }
    apt_install || { $SUDO apt-get update && apt_install; } \
        || die "could not install chromium and chromium-driver with apt-get (needed by tests/report)"
    [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ] \
        || die "chromium and chromium-driver installed, but $CHROMIUM or $CHROMEDRIVER is still missing"
fi
"$CHROMEDRIVER" --version || die "$CHROMEDRIVER does not run"

# --- phase 2: Python venv -----------------------------------------------------
phase "2/4 python venv $VENV (requirements-test.txt)"
if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || die "could not create venv with $PYTHON"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    -r requirements-test.txt || die "pip install -r requirements-test.txt"
"$VENV/bin/python" -c 'import duckdb, pyarrow, pytest, boto3, moto.server, deltalake, openlineage, selenium' \
    || die "test tools not importable from $VENV"

# --- phase 3: Rust tests ----------------------------------------------------------
FEATURES="ballista-standalone delta"
phase "3/4 cargo test --all-targets --features \"$FEATURES\""
cargo test --all-targets --features "$FEATURES" || die "cargo test --all-targets --features \"$FEATURES\""

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$REPO_ROOT/$TARGET_DIR" ;; esac
BIN="$TARGET_DIR/debug/pulsetier"
[ -x "$BIN" ] || die "cargo test did not build $BIN"

# --- phase 4: Python suites (BI, Delta, S3, report, lineage) --------------------------
PYTESTS="tests/bi tests/delta tests/s3 tests/report tests/lineage"
phase "4/4 pytest $PYTESTS (PULSETIER_BIN=$BIN)"
rc=0
# shellcheck disable=SC2086  # PYTESTS is a list of folders
PULSETIER_BIN="$BIN" "$VENV/bin/python" -m pytest -p no:cacheprovider -ra --tb=short $PYTESTS || rc=$?
if [ "$rc" -eq 5 ]; then
    die "pytest collected no tests in $PYTESTS"
elif [ "$rc" -ne 0 ]; then
    die "pytest $PYTESTS (exit $rc)"
fi

phase "all phases passed"
