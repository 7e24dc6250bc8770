#!/usr/bin/env bash
# The added cost of the outputs that compare D with earlier dates
# (tier_movements, tier_migration, nps_changes; docs/SPEC.md §6), not part of
# the test suite. On inputs with accounts snapshots D-1 and D (see
# BENCHMARKS.md for how they were made), each binary publishes D-1 and then
# D into its own output, so a build with the new outputs finds D-1 as its
# previous date; then D is rerun REPEAT times per binary, interleaved
# (A B C A B C …), each run timed with /usr/bin/time -v (wall, user+sys CPU,
# peak RSS) and its manifest's stage timings kept. Best-of and median per
# binary go to stdout; every run goes to $OUT/runs.tsv. bench/identical.py
# then checks that each published the same bytes as the first for every
# table they have in common.
#
#   bench/history_cost.sh INPUT REPEAT OUT NAME=BIN [NAME=BIN …]
set -euo pipefail

INPUT="$1" REPEAT="$2" OUT="$3"
shift 3
D=2026-03-10 PREV=2026-03-09
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -rf "$OUT" && mkdir -p "$OUT"
printf 'binary\trun\twall_s\tcpu_s\tpeak_rss_mib\ttimings_ms\n' >"$OUT/runs.tsv"

run() { # name bin date
  local log="$OUT/$1-$3.time"
  PULSETIER_LOG=warn /usr/bin/time -v "$2" run --date "$3" --input "$INPUT" \
    --output "$OUT/$1" --target-partitions 2 >/dev/null 2>"$log"
}

measure() { # name bin i
  run "$1" "$2" "$D"
  local log="$OUT/$1-$D.time"
  local wall cpu rss manifest timings
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")
  cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {print u + s}' "$log")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$log")
  manifest=$(ls "$OUT/$1/_manifests/snapshot_date=$D/"*.json | tail -1)
  timings=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["timings_ms"], sort_keys=True))' "$manifest")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$3" "$wall" "$cpu" "$rss" "$timings" >>"$OUT/runs.tsv"
}

for nb in "$@"; do
  run "${nb%%=*}" "${nb#*=}" "$PREV"
  run "${nb%%=*}" "${nb#*=}" "$D" # warm-up
done
for i in $(seq 1 "$REPEAT"); do
  for nb in "$@"; do measure "${nb%%=*}" "${nb#*=}" "$i"; done
done

python3 - "$OUT/runs.tsv" <<'EOF'
import csv, json, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
by = {}
for r in rows:
    by.setdefault(r["binary"], []).append(r)
print(f"{'binary':8} {'runs':>4} {'wall best':>9} {'wall med':>8} {'cpu best':>8} {'cpu med':>7} {'rss MiB':>7}  stage medians (ms)")
for name, rs in by.items():
    wall = [float(r["wall_s"]) for r in rs]
    cpu = [float(r["cpu_s"]) for r in rs]
    rss = max(int(r["peak_rss_mib"]) for r in rs)
    stages = {}
    for r in rs:
        for k, v in json.loads(r["timings_ms"]).items():
            stages.setdefault(k, []).append(v)
    med = {k: statistics.median(v) for k, v in sorted(stages.items())}
    print(f"{name:8} {len(rs):>4} {min(wall):>9.2f} {statistics.median(wall):>8.2f} "
          f"{min(cpu):>8.2f} {statistics.median(cpu):>7.2f} {rss:>7}  {med}")
EOF
first="${1%%=*}"
shift
for nb in "$@"; do
  echo "== $first vs ${nb%%=*}"
  python3 bench/identical.py "$OUT/$first" "$OUT/${nb%%=*}" --date "$D" | grep -v '^  ' || true
done
