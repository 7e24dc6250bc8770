#!/usr/bin/env python3
"""Compare the published outputs of two runs row by row, in file order.

    python bench/compare_outputs.py A B --date 2026-03-10 [--tables t1,t2] [--tol 1e-9]

A and B are output roots (pulsetier's or bench/duckdb_pipeline.py's layout).
For every table: same columns, same number of rows, and row i of A equals row
i of B — doubles within --tol (NULL = NULL, NaN = NaN), timestamps compared as
UTC instants whatever their zone annotation, everything else exactly
(--order-by TABLE=COLUMNS compares content after sorting both sides). Also
compares the per-table input statistics (rows read, rejects by reason,
duplicates dropped) when both roots have a manifest. Prints the first
differing rows of each table with both sides' values; exits 1 on any
difference.
"""

import argparse
import glob
import json
import os
import sys

import duckdb

DEFAULT_TABLES = ["customer_tiers", "nps_aggregates", "social_pulse", "_rejects/accounts",
                  "_rejects/mentions", "_rejects/surveys", "_rejects/influence_scores"]


def files(root, table, date):
    return sorted(glob.glob(os.path.join(root, table, f"snapshot_date={date}", "*.parquet")))


def q(name):
    return '"' + name.replace('"', '""') + '"'


def compare_table(con, a_root, b_root, table, date, tol, show, order=None):
    fa, fb = files(a_root, table, date), files(b_root, table, date)
    if not fa or not fb:
        print(f"{table}: missing files (A {len(fa)}, B {len(fb)})")
        return False
    lst = lambda fs: "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in fs) + "]"  # noqa: E731
    con.execute(f"CREATE OR REPLACE VIEW a AS SELECT * FROM read_parquet({lst(fa)}, hive_partitioning = false)")
    con.execute(f"CREATE OR REPLACE VIEW b AS SELECT * FROM read_parquet({lst(fb)}, hive_partitioning = false)")
    ca = con.execute("DESCRIBE a").fetchall()
    cb = con.execute("DESCRIBE b").fetchall()
    names_a, names_b = [c[0] for c in ca], [c[0] for c in cb]
    if names_a != names_b:
        print(f"{table}: columns differ:\n  A {names_a}\n  B {names_b}")
        return False
    na = con.execute("SELECT count(*) FROM a").fetchone()[0]
    nb = con.execute("SELECT count(*) FROM b").fetchone()[0]
    ok = True
    if na != nb:
        print(f"{table}: row counts differ: A {na}, B {nb}")
        ok = False
    preds, sel = [], []
    for (name, ta, *_), (_, tb, *_) in zip(ca, cb):
        x, y = f"x.{q(name)}", f"y.{q(name)}"
        if ta in ("DOUBLE", "FLOAT") or tb in ("DOUBLE", "FLOAT"):
            same = (f"(({x} IS NULL AND {y} IS NULL) OR (isnan({x}) AND isnan({y})) "
                    f"OR abs({x} - {y}) <= {tol})")
        elif "TIMESTAMP" in ta or "TIMESTAMP" in tb:
            same = f"(CAST({x} AS TIMESTAMP) IS NOT DISTINCT FROM CAST({y} AS TIMESTAMP))"
        else:
            same = f"({x} IS NOT DISTINCT FROM {y})"
        preds.append(f"NOT coalesce({same}, false)")
        sel.append(f"{x} AS {q('A.' + name)}, {y} AS {q('B.' + name)}")
    if order:
        # compare content regardless of file order: both sides sorted by `order`
        base = (f"FROM (SELECT row_number() OVER () AS i, * FROM (SELECT * FROM a ORDER BY {order})) x "
                f"POSITIONAL JOIN (SELECT * FROM b ORDER BY {order}) y")
    else:
        base = ("FROM (SELECT row_number() OVER () AS i, * FROM a) x "
                "POSITIONAL JOIN (SELECT * FROM b) y")
    where = " OR ".join(preds)
    ndiff = con.execute(f"SELECT count(*) {base} WHERE {where}").fetchone()[0]
    if ndiff:
        ok = False
        print(f"{table}: {ndiff} of {min(na, nb)} rows differ; first {show}:")
        rows = con.execute(f"SELECT x.i AS row, {', '.join(sel)} {base} WHERE {where} LIMIT {show}")
        cols = [d[0] for d in rows.description]
        for r in rows.fetchall():
            diffs = {}
            for (name, _t, *_rest) in ca:
                va, vb = r[cols.index("A." + name)], r[cols.index("B." + name)]
                diffs[name] = (va, vb)
            changed = {k: v for k, v in diffs.items() if repr(v[0]) != repr(v[1])}
            print(f"  row {r[0]}: differing {changed}")
            print(f"    A: {[diffs[k][0] for k in diffs]}")
            print(f"    B: {[diffs[k][1] for k in diffs]}")
    else:
        print(f"{table}: {na} rows equal")
    return ok


def load_stats(root, date):
    mdir = os.path.join(root, "_manifests", f"snapshot_date={date}")
    for path in sorted(glob.glob(os.path.join(mdir, "*.json")), reverse=True):
        with open(path) as f:
            m = json.load(f)
        if m.get("status") == "success":
            return {t: {k: v[k] for k in ("rows_read", "rejected", "rejected_by_reason", "duplicates_dropped")}
                    for t, v in m["inputs"].items()}
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--date", required=True)
    ap.add_argument("--tables", default=",".join(DEFAULT_TABLES))
    ap.add_argument("--tol", type=float, default=1e-9)
    ap.add_argument("--show", type=int, default=10)
    ap.add_argument("--order-by", action="append", default=[], metavar="TABLE=COLUMNS",
                    help="sort both sides of TABLE by COLUMNS before comparing (content, not file order)")
    args = ap.parse_args()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET TimeZone = 'UTC'")
    ok = True
    orders = dict(o.split("=", 1) for o in args.order_by)
    for table in args.tables.split(","):
        ok &= compare_table(con, args.a, args.b, table, args.date, args.tol, args.show, orders.get(table))
    sa, sb = load_stats(args.a, args.date), load_stats(args.b, args.date)
    if sa and sb:
        for t in sorted(set(sa) | set(sb)):
            if sa.get(t) != sb.get(t):
                ok = False
                print(f"input stats of {t} differ:\n  A {sa.get(t)}\n  B {sb.get(t)}")
            else:
                print(f"input stats of {t} equal: {sa[t]}")
    print("EQUAL" if ok else "DIFFERENT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
