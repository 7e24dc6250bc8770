#!/usr/bin/env python3
"""Check that two pulsetier runs published byte-identical outputs.

    python3 bench/identical.py A B --date 2026-03-10

A and B are output roots of two runs of the same inputs (e.g. the previous
release and this build). For every published table (the six outputs and
the four `_rejects` tables) the partition's files must have the same names
and the same bytes (sha256), and the newest manifest of each side must give
the same counts: per input table rows_read, rejected, rejected_by_reason,
duplicates_dropped and partitions/files read (paths relative to the root),
per output the rows and file names/rows/bytes. A table only one side
publishes (an output added since the other build: tier_movements,
tier_migration, nps_changes, care_queue, social_circle, circle_prospects,
the rejects of the connections input) is reported and left out of the
comparison, and so are the manifest entries of inputs and outputs only one
side has.
Exits 1 on any difference.
"""

import argparse
import glob
import hashlib
import json
import os
import sys

TABLES = ["customer_tiers", "nps_aggregates", "social_pulse", "_rejects/accounts",
          "_rejects/mentions", "_rejects/surveys", "_rejects/influence_scores"]
# Outputs added later (docs/SPEC.md §6): compared when both sides have them.
NEWER = ["tier_movements", "tier_migration", "nps_changes", "care_queue",
         "social_circle", "circle_prospects", "_rejects/connections"]


def digests(root, table, date):
    part = os.path.join(root, table, f"snapshot_date={date}")
    out = {}
    for path in sorted(glob.glob(os.path.join(part, "*"))):
        with open(path, "rb") as f:
            out[os.path.basename(path)] = hashlib.sha256(f.read()).hexdigest()
    return out


def manifest_counts(root, date):
    paths = sorted(glob.glob(os.path.join(root, "_manifests", f"snapshot_date={date}", "*.json")))
    if not paths:
        sys.exit(f"{root}: no manifest for {date}")
    with open(paths[-1]) as f:
        m = json.load(f)
    inputs = {
        t: {k: s[k] for k in ("rows_read", "rejected", "rejected_by_reason",
                              "duplicates_dropped", "partitions_read")}
        | {"files": [(os.path.basename(x["path"]), x["size"]) for x in s["files"]]}
        for t, s in m["inputs"].items()
    }
    outputs = {t: {"rows": s["rows"], "files": s["files"]} for t, s in m["outputs"].items()}
    return {"status": m["status"], "inputs": inputs, "outputs": outputs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--date", required=True)
    args = ap.parse_args()
    bad = 0
    only_one = set()
    for t in TABLES + NEWER:
        da, db = digests(args.a, t, args.date), digests(args.b, t, args.date)
        if t in NEWER and bool(da) != bool(db):
            print(f"{t}: only published in {args.a if da else args.b}; not compared")
            only_one.add(t)
        elif t in NEWER and not da:
            continue
        elif not da:
            print(f"{t}: nothing published in {args.a}")
            bad += 1
        elif da != db:
            print(f"{t}: DIFFERENT\n  {args.a}: {da}\n  {args.b}: {db}")
            bad += 1
        else:
            print(f"{t}: identical ({len(da)} files)")
    ma, mb = manifest_counts(args.a, args.date), manifest_counts(args.b, args.date)
    for part in ("inputs", "outputs"):
        common = set(ma[part]) & set(mb[part])
        for t in sorted(set(ma[part]) ^ set(mb[part])):
            print(f"manifest {part[:-1]} {t}: only in one side; not compared")
        for m in (ma, mb):
            m[part] = {t: o for t, o in m[part].items() if t in common}
    if ma != mb:
        print(f"manifest counts DIFFERENT:\n  {json.dumps(ma)}\n  {json.dumps(mb)}")
        bad += 1
    else:
        rows = {t: o["rows"] for t, o in ma["outputs"].items()}
        print(f"manifest counts identical: {rows}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
