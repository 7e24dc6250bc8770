#!/usr/bin/env python3
"""Independent implementation of docs/SPEC.md §9 (the customer's circle) and a
comparison with what pulsetier wrote.

Written from docs/SPEC.md only (§1 layout, §2 validation/normalization/dedup of
accounts, mentions and connections, §3 windows and handle map, §9). Uses
pulsetier's own customer_tiers output only for value_score (and cross-checks
its set of scored accounts against ours).

Usage:
  python bench/circle_check.py --input IN --output OUT --date 2026-03-10 \
      [--own-handles Operator ...] [--iterations 20] [--prospect-min-customers 2] \
      [--mentions-days 30] [--circle-days 90]

Readings taken where the SPEC was open (both now written into §2):
"trimmed" = space, tab, LF, CR (--trim-chars to change for experiments);
lower() = full Unicode lower-casing; two copies of a mention in one file that
tie on every other key: the first by platform, author, text (§2), reported
with a NOTE line.

Exit 0 when social_circle and circle_prospects are identical (doubles compared
bit for bit), 1 otherwise.
"""
import argparse
import datetime as dt
import os
import re
import struct
import sys
from collections import defaultdict
from decimal import Decimal, ROUND_HALF_UP, InvalidOperation

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Reading of "Strings are trimmed": space, tab, LF, CR (the set §8 names for
# post texts).  Configurable with --trim-chars for experiments.
TRIM = " \t\n\r"

U = 10 ** 18
EPOCH_DATE = dt.date(1970, 1, 1)
NS = {"s": 10 ** 9, "ms": 10 ** 6, "us": 10 ** 3, "ns": 1}


# ---------------------------------------------------------------- reading ---
def partition_files(root, table, first, last):
    """(partition date, file path) for every data file of partitions first..last."""
    out = []
    tdir = os.path.join(root, table)
    if not os.path.isdir(tdir):
        return out
    for p in sorted(os.listdir(tdir)):
        if not p.startswith("snapshot_date="):
            continue
        try:
            d = dt.date.fromisoformat(p.split("=", 1)[1])
        except ValueError:
            continue
        if d < first or d > last:
            continue
        pdir = os.path.join(tdir, p)
        for f in sorted(os.listdir(pdir)):
            if f.startswith("_") or f.startswith("."):
                continue
            out.append((d, os.path.join(pdir, f)))
    return out


def col_strings(arr):
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or \
            str(arr.type) == "string_view":
        return arr.cast(pa.string()).to_pylist()
    raise TypeError(f"expected string, found {arr.type}")


def col_ints(arr):
    if pa.types.is_integer(arr.type):
        return arr.cast(pa.int64()).to_pylist()
    raise TypeError(f"expected integer, found {arr.type}")


def col_numbers(arr):
    """floats -> float, decimals -> Decimal, integers -> int."""
    t = arr.type
    if pa.types.is_floating(t):
        return arr.cast(pa.float64()).to_pylist()
    if pa.types.is_decimal(t) or pa.types.is_integer(t):
        return arr.to_pylist()
    raise TypeError(f"expected number, found {t}")


def col_ts_ns(arr):
    """timestamps (any unit, any zone; no zone = UTC) -> int ns since epoch."""
    t = arr.type
    if pa.types.is_timestamp(t):
        f = NS[t.unit]
        return [None if v is None else v * f for v in arr.cast(pa.int64()).to_pylist()]
    raise TypeError(f"expected timestamp, found {t}")


def col_dates(arr):
    t = arr.type
    if pa.types.is_date32(t):
        return [None if v is None else EPOCH_DATE + dt.timedelta(days=v)
                for v in arr.cast(pa.int32()).to_pylist()]
    if pa.types.is_date64(t):
        return [None if v is None else EPOCH_DATE + dt.timedelta(days=v // 86400000)
                for v in arr.cast(pa.int64()).to_pylist()]
    if pa.types.is_timestamp(t):
        return [None if v is None else EPOCH_DATE + dt.timedelta(days=v // 86400_000_000_000)
                for v in col_ts_ns(arr)]
    raise TypeError(f"expected date, found {t}")


def read_table(root, table, first, last, spec):
    """spec: {column: converter}. Returns list of dicts with _part, _file."""
    rows = []
    for d, path in partition_files(root, table, first, last):
        t = pq.read_table(path)
        cols = {}
        for c, conv in spec.items():
            if c not in t.column_names:
                raise SystemExit(f"{table}: {path}: missing column {c}")
            try:
                cols[c] = conv(t.column(c).combine_chunks())
            except TypeError as e:
                raise SystemExit(f"{table}: {path}: column {c}: {e}")
        n = t.num_rows
        base = os.path.basename(path)
        for i in range(n):
            r = {c: cols[c][i] for c in spec}
            r["_part"] = d
            r["_file"] = base
            rows.append(r)
    return rows


# ---------------------------------------------------------- normalization ---
def s_trim(v):
    if v is None:
        return None
    v = v.strip(TRIM)
    return v if v != "" else None


def norm_handle(v):
    if v is None:
        return None
    v = v.strip(TRIM).lower()
    if v.startswith("@"):
        v = v[1:]
    v = v.strip(TRIM)
    return v if v != "" else None


def to_float(v):
    if v is None:
        return None
    return float(v)


def spend_decimal(v):
    """widen monthly_spend to decimal(18,2), half away from zero. None if NaN/inf."""
    if v is None:
        return None
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return "bad"
        d = Decimal(v)
    else:
        d = Decimal(v)
    try:
        q = d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return "bad"
    if abs(q) >= Decimal(10) ** 16:
        return "bad"
    return q


HANDLE_RE = re.compile(r"(?<![A-Za-z0-9_.@])@([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")


def handles_in_text(text):
    if text is None:
        return []
    return [m.group(1).lower() for m in HANDLE_RE.finditer(text)]


# ------------------------------------------------------------- validation ---
def valid_accounts(root, D):
    rows = read_table(root, "accounts", D, D, {
        "account_id": col_strings, "status": col_strings, "signup_date": col_dates,
        "monthly_spend": col_numbers, "services_count": col_ints,
        "invoices_due_12m": col_ints, "invoices_paid_on_time_12m": col_ints,
        "social_handle": col_strings,
    })
    valid = []
    for r in rows:
        aid = s_trim(r["account_id"])
        if aid is None:
            continue
        st = s_trim(r["status"])
        if st is None:
            continue
        st = st.lower()
        if st not in ("active", "suspended", "closed"):
            continue
        if r["signup_date"] is not None and r["signup_date"] > D:
            continue
        sp = spend_decimal(r["monthly_spend"])
        if sp == "bad" or (sp is not None and sp < 0):
            continue
        if r["services_count"] is not None and r["services_count"] < 0:
            continue
        due = r["invoices_due_12m"]
        if due is not None and due < 0:
            continue
        paid = r["invoices_paid_on_time_12m"]
        if paid is not None and (paid < 0 or paid > (due or 0)):
            continue
        valid.append((aid, st, norm_handle(r["social_handle"])))
    cnt = defaultdict(int)
    for aid, _, _ in valid:
        cnt[aid] += 1
    return [v for v in valid if cnt[v[0]] == 1], len(rows)


def valid_mentions(root, D, mentions_days):
    first = D - dt.timedelta(days=mentions_days - 1)
    rows = read_table(root, "mentions", first, D, {
        "mention_id": col_strings, "author_handle": col_strings,
        "posted_at": col_ts_ns, "sentiment": col_numbers, "text": col_strings,
        "platform": col_strings,
    })
    best = {}
    ties = 0
    for r in rows:
        mid = s_trim(r["mention_id"])
        if mid is None:
            continue
        if r["posted_at"] is None:
            continue
        s = r["sentiment"]
        if s is not None:
            s = float(s)
            if s != s or s < -1 or s > 1:
                continue
        # sort key: latest partition, latest posted_at, highest sentiment (null lowest), file name last
        key = (r["_part"], r["posted_at"], s is not None, s if s is not None else 0.0, r["_file"])
        cur = best.get(mid)
        author = norm_handle(r["author_handle"])
        platform = (s_trim(r["platform"]) or "unknown").lower()
        # two copies in one file: the first by platform, author, text as
        # delivered (ascending, null last; str order = UTF-8 byte order)
        second = (platform, author is None, author or "", r["text"] is None, r["text"] or "")
        rec = (key, author, r["posted_at"], s_trim(r["text"]), second)
        if cur is None or key > cur[0]:
            best[mid] = rec
        elif key == cur[0] and rec[1:4] != cur[1:4]:
            ties += 1
            if second < cur[4]:
                best[mid] = rec
    lo = day_start_ns(first)
    hi = day_start_ns(D + dt.timedelta(days=1))
    out = {mid: (rec[1], rec[3]) for mid, rec in best.items() if lo <= rec[2] < hi}
    return out, len(rows), ties


def day_start_ns(d):
    return (d - EPOCH_DATE).days * 86400 * 10 ** 9


def valid_connections(root, D, circle_days):
    first = D - dt.timedelta(days=circle_days - 1)
    rows = read_table(root, "connections", first, D, {
        "handle": col_strings, "connected_handle": col_strings,
        "kind": col_strings, "observed_at": col_ts_ns,
    })
    lo = day_start_ns(first)
    hi = day_start_ns(D + dt.timedelta(days=1))
    out = set()
    nvalid = 0
    for r in rows:
        h = norm_handle(r["handle"])
        if h is None:
            continue
        ch = norm_handle(r["connected_handle"])
        if ch is None:
            continue
        k = s_trim(r["kind"])
        if k is None:
            continue
        k = k.lower()
        if k not in ("follows", "reply", "retweet", "other"):
            continue
        if r["observed_at"] is None:
            continue
        nvalid += 1
        if lo <= r["observed_at"] < hi:
            out.add((h, ch, k))
    return out, len(rows), nvalid


# -------------------------------------------------------------- PageRank ---
def pagerank(nodes, weight, iterations):
    N = len(nodes)
    idx = {h: i for i, h in enumerate(nodes)}
    out = [[] for _ in range(N)]
    W = [0] * N
    for (s, d), w in weight.items():
        out[idx[s]].append((idx[d], w))
        W[idx[s]] += w
    r = [U // N] * N
    base = (15 * U) // (100 * N)
    dangling = [i for i in range(N) if W[i] == 0]
    for _ in range(iterations):
        Dk = sum(r[i] for i in dangling)
        acc = [Dk // N] * N
        for u in range(N):
            wu = W[u]
            if wu == 0:
                continue
            ru = r[u]
            for v, w in out[u]:
                acc[v] += (ru * w) // wu
        r = [base + (85 * a) // 100 for a in acc]
    # percent rank: below(v) = number of handles with strictly lower rank
    order = sorted(range(N), key=lambda i: r[i])
    below = [0] * N
    i = 0
    while i < N:
        j = i
        while j < N and r[order[j]] == r[order[i]]:
            j += 1
        for k in range(i, j):
            below[order[k]] = i
        i = j
    ni = {}
    for h, i in idx.items():
        ni[h] = 0.0 if N == 1 else (100 * below[i]) / (N - 1)
    return ni, {h: r[i] for h, i in idx.items()}


# ------------------------------------------------------------------- main ---
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--date", required=True)
    ap.add_argument("--own-handles", nargs="*", default=[])
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--prospect-min-customers", type=int, default=2)
    ap.add_argument("--mentions-days", type=int, default=30)
    ap.add_argument("--circle-days", type=int, default=90)
    ap.add_argument("--trim-chars", default=None, help="override the trim set (default space, tab, LF, CR)")
    ap.add_argument("--examples", type=int, default=5)
    a = ap.parse_args()
    global TRIM
    if a.trim_chars is not None:
        TRIM = a.trim_chars.encode().decode("unicode_escape")
    D = dt.date.fromisoformat(a.date)
    own = set()
    for h in a.own_handles:
        n = norm_handle(h)
        if n is None or HANDLE_RE.fullmatch("@" + n) is None:
            raise SystemExit(f"bad own handle {h!r}")
        own.add(n)

    # accounts, handle map
    accts, acc_rows = valid_accounts(a.input, D)
    scored = [(aid, h) for aid, st, h in accts if st in ("active", "suspended")]
    hcount = defaultdict(int)
    for aid, h in scored:
        if h is not None:
            hcount[h] += 1
    hmap = {h: aid for aid, h in scored if h is not None and hcount[h] == 1}
    scored_handles = set(hcount)  # any scored account's handle, ambiguous included

    # value_score from customer_tiers
    ct = read_output(a.output, "customer_tiers", D)
    value = {aid: Decimal(repr(v)).quantize(Decimal("0.01"))
             for aid, v in zip(ct["account_id"], ct["value_score"])}
    for aid, v in zip(ct["account_id"], ct["value_score"]):
        if float(value[aid]) != v:
            print(f"WARNING value_score of {aid} is not a 2-decimal double: {v!r}")
    my_scored = {aid for aid, _ in scored}
    if my_scored != set(value):
        print(f"WARNING scored set differs from customer_tiers: only mine {len(my_scored - set(value))}, "
              f"only theirs {len(set(value) - my_scored)}; e.g. {sorted(my_scored ^ set(value))[:5]}")

    # edges
    mentions, men_rows, ties = valid_mentions(a.input, D, a.mentions_days)
    if ties:
        print(f"NOTE {ties} mention duplicates in one file tie up to the file name (resolved by platform, author, text)")
    mweight = defaultdict(int)
    for mid, (author, text) in mentions.items():
        if author is None:
            continue
        for dst in set(handles_in_text(text)):
            if author in own or dst in own or author == dst:
                continue
            mweight[(author, dst)] += 1
    conns, con_rows, con_valid = valid_connections(a.input, D, a.circle_days)
    cweight = defaultdict(int)
    for h, ch, k in conns:
        if h in own or ch in own or h == ch:
            continue
        cweight[(h, ch)] += 1
    weight = defaultdict(int)
    for e, w in mweight.items():
        weight[e] += w
    for e, w in cweight.items():
        weight[e] += w
    nodes = sorted({h for e in weight for h in e})
    print(f"accounts rows={acc_rows} valid={len(accts)} scored={len(scored)} mapped handles={len(hmap)}; "
          f"mentions rows={men_rows} in-window deduped={len(mentions)}; connections rows={con_rows} "
          f"valid={con_valid} distinct in window={len(conns)}; graph N={len(nodes)} E={len(weight)} "
          f"(mention edges {len(mweight)}, connection edges {len(cweight)})")
    ni, ranks = pagerank(nodes, weight, a.iterations) if nodes else ({}, {})

    circle = defaultdict(set)
    for s, d in weight:
        circle[s].add(d)
        circle[d].add(s)
    mrecv = defaultdict(int)
    for (s, d), w in mweight.items():
        mrecv[d] += w

    # social_circle
    sc = []
    for aid, h in scored:
        hh = h if (h is not None and hmap.get(h) == aid) else None
        if hh is None:
            sc.append([aid, None, 0, 0, Decimal(0), 0, None])
            continue
        cs = circle.get(hh, set())
        cust = [hmap[x] for x in cs if x in hmap]
        val = sum((value[c] for c in cust), Decimal(0))
        sc.append([aid, hh, len(cs), len(cust), val, mrecv.get(hh, 0), ni.get(hh)])
    # circle_rank: network_influence desc nulls last, circle_value desc, account_id asc
    ranked = sorted(sc, key=lambda r: (r[6] is None, -(r[6] or 0.0), -r[4], r[0].encode()))
    for i, r in enumerate(ranked, 1):
        r.append(i)
    sc.sort(key=lambda r: r[0].encode())
    mine_sc = [(r[0], r[1], r[2], r[3], float(r[4]), r[5], r[6], r[7]) for r in sc]

    # circle_prospects
    pr = []
    for h in nodes:
        if h in scored_handles:
            continue
        cust = [hmap[x] for x in circle[h] if x in hmap]
        if len(cust) < a.prospect_min_customers:
            continue
        val = sum((value[c] for c in cust), Decimal(0))
        pr.append((h, len(cust), val, ni[h]))
    pr.sort(key=lambda r: (-r[1], -r[2], r[0].encode()))
    mine_pr = [(h, n, float(v), x) for h, n, v, x in pr]

    ok = True
    sc_cols = ["account_id", "handle", "circle_size", "circle_customers", "circle_value",
               "mentions_received", "network_influence", "circle_rank"]
    ok &= compare("social_circle", sc_cols, mine_sc, read_output(a.output, "social_circle", D), a.examples)
    pr_cols = ["handle", "customers_linked", "customers_value", "network_influence"]
    ok &= compare("circle_prospects", pr_cols, mine_pr, read_output(a.output, "circle_prospects", D), a.examples)
    print("IDENTICAL" if ok else "DIFFERENT")
    return 0 if ok else 1


def read_output(root, table, D):
    pdir = os.path.join(root, table, f"snapshot_date={D.isoformat()}")
    files = sorted(f for f in os.listdir(pdir) if f.endswith(".parquet") and not f.startswith(("_", ".")))
    t = pa.concat_tables([pq.read_table(os.path.join(pdir, f)) for f in files])
    return {c: t.column(c).to_pylist() for c in t.column_names}


def same(x, y):
    if isinstance(x, float) or isinstance(y, float):
        if x is None or y is None:
            return x is y
        return struct.pack("<d", float(x)) == struct.pack("<d", float(y))
    return x == y and type(x) is type(y) or (x is None and y is None)


def compare(name, cols, mine, theirs, nex):
    n_t = len(theirs[cols[0]])
    print(f"== {name}: mine {len(mine)} rows, pulsetier {n_t} rows")
    ok = len(mine) == n_t
    extra = set(theirs) - set(cols)
    missing = set(cols) - set(theirs)
    if extra or missing:
        print(f"   columns: extra in pulsetier {sorted(extra)}, missing {sorted(missing)}")
        ok = False
    n = min(len(mine), n_t)
    # positional comparison (the order is part of the contract)
    for j, c in enumerate(cols):
        if c not in theirs:
            continue
        bad = [i for i in range(n) if not same(mine[i][j], theirs[c][i])]
        print(f"   {c}: {len(bad)} mismatches (positional)")
        for i in bad[:nex]:
            print(f"      row {i}: key={mine[i][0]!r} mine={mine[i][j]!r} pulsetier={theirs[c][i]!r} "
                  f"(pulsetier key {theirs[cols[0]][i]!r})")
        ok &= not bad
    # keyed comparison (to separate order problems from value problems)
    tk = {theirs[cols[0]][i]: i for i in range(n_t)}
    mk = {r[0]: r for r in mine}
    only_m = [k for k in mk if k not in tk]
    only_t = [k for k in tk if k not in mk]
    if only_m or only_t:
        print(f"   keys only in mine: {len(only_m)} {only_m[:nex]}; only in pulsetier: {len(only_t)} {only_t[:nex]}")
    for j, c in enumerate(cols[1:], 1):
        if c not in theirs:
            continue
        bad = [k for k in mk if k in tk and not same(mk[k][j], theirs[c][tk[k]])]
        if bad:
            print(f"   {c}: {len(bad)} mismatches (by key {cols[0]})")
            for k in bad[:nex]:
                print(f"      {k!r}: mine={mk[k][j]!r} pulsetier={theirs[c][tk[k]]!r}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
