#!/usr/bin/env bash
# Benchmark (issue 7; not part of the test suite): for each scale, generate
# the inputs with `pulsetier generate`, then measure side by side, on the
# same files and with the same thread count (2):
#   - pulsetier `run`                       (target/release/pulsetier)
#   - DuckDB running the port of sql/       (bench/duckdb_pipeline.py)
#   - the scan floor: DataFusion reading every input column a run needs once
#                                           (`pulsetier scan-floor`, hidden)
# wall time and peak RSS from /usr/bin/time -v. Each measurement is the best
# of BENCH_REPEAT runs (default 1) after one untimed warm-up scan, so all
# three read from a warm page cache. At the scale named by BENCH_LIMIT_SCALE
# (default L) pulsetier also runs with --memory-limit 1g and its outputs are
# compared with the unlimited run's; at the first scale DuckDB's outputs are
# compared with pulsetier's row by row (doubles within 1e-9): "yes" = same rows
# in the same file order, "content only" = same rows once customer_tiers is
# sorted by value_rank, "NO" = different rows (see the compare-*.txt files).
#
# Environment: BENCH_SCALES (default "S=100000 M=1000000 L=5000000"),
# BENCH_DATA (default target/bench-data), BENCH_REPEAT, BENCH_LIMIT_SCALE,
# BENCH_VENV (default .venv-test, created from requirements-test.txt),
# BENCH_BIN (a prebuilt release binary instead of `cargo build --release`),
# BENCH_LIMIT_TIMEOUT (seconds before the --memory-limit run is stopped, default 300).
# Results: $BENCH_DATA/results.tsv and $BENCH_DATA/results.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd)"
SCALES="${BENCH_SCALES:-S=100000 M=1000000 L=5000000}"
DATA="${BENCH_DATA:-$REPO/target/bench-data}"
REPEAT="${BENCH_REPEAT:-1}"
LIMIT_SCALE="${BENCH_LIMIT_SCALE:-L}"
VENV="${BENCH_VENV:-$REPO/.venv-test}"
DATE=2026-03-10
SEED=42
THREADS=2

say() { printf '==> [bench] %s\n' "$*" >&2; }
die() { printf '==> [bench] FAILED: %s\n' "$*" >&2; exit 1; }

# --- tools ------------------------------------------------------------------
if ! [ -x /usr/bin/time ]; then
    say "installing GNU time (Debian package 'time')"
    apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi
if ! "$VENV/bin/python" -c 'import duckdb, pyarrow' >/dev/null 2>&1; then
    say "creating $VENV from requirements-test.txt"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-test.txt
fi
PY="$VENV/bin/python"
if [ -n "${BENCH_BIN:-}" ]; then
    BIN="$BENCH_BIN"   # a prebuilt release binary (skips the build)
else
    say "cargo build --release"
    cargo build --release --quiet
    TARGET_DIR="${CARGO_TARGET_DIR:-target}"
    case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$REPO/$TARGET_DIR" ;; esac
    BIN="$TARGET_DIR/release/pulsetier"
fi
mkdir -p "$DATA"

# measure NAME CMD... : run under /usr/bin/time -v; sets WALL (s) and RSS (MiB)
measure() {
    local name="$1"; shift
    local tf="$DATA/.time.$name" log="$DATA/.log.$name"
    local start end
    start=$(date +%s.%N)
    FAILED=0
    if ! /usr/bin/time -v -o "$tf" "$@" >"$log" 2>&1; then
        tail -20 "$log" >&2
        [ "${ALLOW_FAIL:-0}" = 1 ] || die "$name: $*"
        FAILED=1
    fi
    end=$(date +%s.%N)
    WALL=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    RSS=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tf")
}

# best NAME SETUP CMD... : best of $REPEAT (lowest wall; its RSS), SETUP run before each
best() {
    local name="$1" setup="$2"; shift 2
    local bw="" br=""
    for _ in $(seq "$REPEAT"); do
        eval "$setup"
        measure "$name" "$@"
        if [ -z "$bw" ] || awk -v a="$WALL" -v b="$bw" 'BEGIN { exit !(a < b) }'; then
            bw="$WALL"; br="$RSS"
        fi
    done
    WALL="$bw"; RSS="$br"
}

# compare A B PREFIX: prints "yes" (same rows in the same order), "content only"
# (same rows once customer_tiers is sorted by value_rank) or "NO"; details in PREFIX*.txt
compare() {
    if "$PY" bench/compare_outputs.py "$1" "$2" --date "$DATE" >"$3.txt" 2>&1; then
        echo yes
    elif "$PY" bench/compare_outputs.py "$1" "$2" --date "$DATE" \
            --order-by customer_tiers=value_rank >"$3-by-rank.txt" 2>&1; then
        echo "content only"
    else
        echo NO
    fi
}

RESULTS="$DATA/results.tsv"
printf 'scale\taccounts\tinput_rows\tinput_mib\tgen_s\tgen_rows_per_s\tpulsetier_s\tpulsetier_rss_mib\tduckdb_s\tduckdb_rss_mib\tfloor_s\tfloor_rss_mib\tlimit_1g_s\tlimit_1g_rss_mib\tlimit_1g_equal\tduckdb_equal\n' >"$RESULTS"
first_scale=1
say "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

for spec in $SCALES; do
    scale="${spec%%=*}"; accounts="${spec#*=}"
    dir="$DATA/$scale"; input="$dir/input"
    stamp="accounts=$accounts seed=$SEED date=$DATE $(sha256sum "$BIN" | cut -c1-16)"

    # --- inputs ------------------------------------------------------------
    if [ "$(cat "$dir/.generated" 2>/dev/null)" != "$stamp" ]; then
        say "$scale: generate $accounts accounts"
        rm -rf "$dir"; mkdir -p "$dir"
        measure "gen-$scale" "$BIN" generate --output "$input" --date "$DATE" --accounts "$accounts" --seed "$SEED"
        cp "$DATA/.log.gen-$scale" "$dir/generate.json"
        printf '%s\n' "$WALL" >"$dir/.gen_wall"
        printf '%s\n' "$stamp" >"$dir/.generated"
    fi
    gen_wall=$(cat "$dir/.gen_wall")
    read -r rows gen_rate < <("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
rows = sum(t["rows"] for t in r["tables"].values())
print(rows, int(rows / float(sys.argv[2])))' "$dir/generate.json" "$gen_wall")
    input_mib=$(du -sm "$input" | cut -f1)
    say "$scale: $rows input rows, $input_mib MiB, generated at $gen_rate rows/s"

    # --- warm-up, then the three measurements ---------------------------------
    measure "warm-$scale" "$BIN" scan-floor --date "$DATE" --input "$input" --target-partitions "$THREADS"
    best "floor-$scale" ":" "$BIN" scan-floor --date "$DATE" --input "$input" --target-partitions "$THREADS"
    floor_s="$WALL"; floor_rss="$RSS"
    say "$scale: scan floor ${floor_s}s, ${floor_rss} MiB"

    out_p="$dir/out-pulsetier"
    best "pulsetier-$scale" "rm -rf '$out_p'" env PULSETIER_LOG=warn "$BIN" run --date "$DATE" \
        --input "$input" --output "$out_p" --target-partitions "$THREADS"
    p_s="$WALL"; p_rss="$RSS"
    say "$scale: pulsetier ${p_s}s, ${p_rss} MiB"

    out_d="$dir/out-duckdb"
    best "duckdb-$scale" "rm -rf '$out_d'" "$PY" bench/duckdb_pipeline.py --date "$DATE" \
        --input "$input" --output "$out_d" --threads "$THREADS"
    d_s="$WALL"; d_rss="$RSS"
    say "$scale: duckdb ${d_s}s, ${d_rss} MiB"

    duck_equal="-"
    if [ "$first_scale" = 1 ]; then
        duck_equal=$(compare "$out_p" "$out_d" "$dir/compare-duckdb")
        say "$scale: DuckDB port vs pulsetier: $duck_equal (see $dir/compare-duckdb.txt)"
        first_scale=0
    fi

    l_s="-"; l_rss="-"; l_equal="-"
    if [ "$scale" = "$LIMIT_SCALE" ]; then
        out_l="$dir/out-pulsetier-1g"
        # a time limit: DataFusion has been seen to hang under memory pressure
        ALLOW_FAIL=1 best "limit-$scale" "rm -rf '$out_l'" timeout "${BENCH_LIMIT_TIMEOUT:-300}" \
            env PULSETIER_LOG=warn "$BIN" run --date "$DATE" \
            --input "$input" --output "$out_l" --target-partitions "$THREADS" --memory-limit 1g
        l_s="$WALL"; l_rss="$RSS"
        cp "$DATA/.log.limit-$scale" "$dir/limit-1g.log"
        if [ "$FAILED" = 1 ]; then
            l_equal="run failed (see $dir/limit-1g.log)"
        else
            l_equal=$(compare "$out_p" "$out_l" "$dir/compare-limit")
        fi
        say "$scale: --memory-limit 1g ${l_s}s, ${l_rss} MiB, outputs equal: $l_equal"
    fi

    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$scale" "$accounts" "$rows" "$input_mib" "$gen_wall" "$gen_rate" "$p_s" "$p_rss" \
        "$d_s" "$d_rss" "$floor_s" "$floor_rss" "$l_s" "$l_rss" "$l_equal" "$duck_equal" >>"$RESULTS"
    cp "$(ls -t "$out_p"/_manifests/snapshot_date=$DATE/*.json | head -1)" "$dir/pulsetier-manifest.json"
    cp "$out_d/_manifests/snapshot_date=$DATE/duckdb.json" "$dir/duckdb-manifest.json"
done

# --- table --------------------------------------------------------------------
"$PY" - "$RESULTS" >"$DATA/results.md" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("| scale | accounts | input rows | input MiB | generate rows/s | pulsetier s | pulsetier RSS MiB | DuckDB s "
      "| DuckDB RSS MiB | scan floor s | pulsetier / DuckDB | pulsetier / floor | µs per account: pulsetier, DuckDB "
      "| 1 GiB limit: s, RSS MiB, outputs equal | DuckDB port outputs = pulsetier's |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|")
for r in rows:
    p, d, f, n = float(r["pulsetier_s"]), float(r["duckdb_s"]), float(r["floor_s"]), int(r["accounts"])
    lim = "-" if r["limit_1g_s"] == "-" else f'{r["limit_1g_s"]}, {r["limit_1g_rss_mib"]}, {r["limit_1g_equal"]}'
    print(f'| {r["scale"]} | {n:,} | {int(r["input_rows"]):,} | {r["input_mib"]} | {int(r["gen_rows_per_s"]):,} '
          f'| {p:.2f} | {r["pulsetier_rss_mib"]} | {d:.2f} | {r["duckdb_rss_mib"]} | {f:.2f} | {p / d:.2f} '
          f'| {p / f:.1f} | {p / n * 1e6:.1f}, {d / n * 1e6:.1f} | {lim} | {r["duckdb_equal"]} |')
EOF
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$DATA/results.md"
say "results in $RESULTS and $DATA/results.md"
