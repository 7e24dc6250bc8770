#!/usr/bin/env python3
"""The pulsetier pipeline as a DuckDB script: the benchmark's baseline and an
independent cross-check of sql/.

A faithful port of sql/ (same rules, same tie-breaks, same null ordering as
DataFusion's defaults: ASC NULLS LAST, DESC NULLS FIRST), reading the same
Hive-partitioned Parquet inputs the same way (the same partitions of docs/SPEC.md §1,
files starting with `_` or `.` skipped, every file cast to the canonical types
of the contract, `source_file` = its file:// URL) and writing the same outputs:

    <output>/customer_tiers/snapshot_date=D/part-00000.parquet
    <output>/nps_aggregates/snapshot_date=D/part-00000.parquet
    <output>/social_pulse/snapshot_date=D/part-00000.parquet
    <output>/_rejects/<table>/snapshot_date=D/part-00000.parquet
    <output>/_manifests/snapshot_date=D/duckdb.json   (rows read, rejects, duplicates, timings)

Only what a benchmark needs is left out: no staging/commit protocol, no
_SUCCESS markers. Exit codes: 0 ok, 3 missing accounts partition, 4 quality
gate (rejects and stats still written).

    python bench/duckdb_pipeline.py --input DIR --output DIR --date 2026-03-10 --threads 2
"""

import argparse
import datetime as dt
import json
import os
import re
import sys
import time

import duckdb
import pyarrow.parquet as pq

WS = " \t\n\r"

# Contract columns (docs/SPEC.md §2) in contract order: (name, kind).
TABLES = {
    "accounts": ("account_id", [
        ("account_id", "str"), ("segment", "str"), ("region", "str"), ("plan", "str"),
        ("status", "str"), ("signup_date", "date"), ("monthly_spend", "money"),
        ("services_count", "int"), ("invoices_due_12m", "int"),
        ("invoices_paid_on_time_12m", "int"), ("social_handle", "str"),
    ]),
    "mentions": ("mention_id", [
        ("mention_id", "str"), ("platform", "str"), ("author_handle", "str"),
        ("posted_at", "ts"), ("sentiment", "num"), ("text", "str"),
    ]),
    "surveys": ("response_id", [
        ("response_id", "str"), ("account_id", "str"), ("responded_at", "ts"),
        ("score", "int"), ("channel", "str"),
    ]),
    "influence_scores": ("handle", [
        ("handle", "str"), ("provider", "str"), ("score", "num"), ("scored_at", "ts"),
    ]),
}

CANONICAL = {"str": "VARCHAR", "int": "BIGINT", "num": "DOUBLE", "money": "DECIMAL(18,2)",
             "ts": "TIMESTAMP", "date": "DATE"}

# ---------------------------------------------------------------------------
# sql/01–04: the row rules (ports of the check steps)
# ---------------------------------------------------------------------------
CHECK_ACCOUNTS = """
WITH trimmed AS (
  SELECT r.*,
    nullif(trim(account_id, $ws), '') AS n_account_id,
    nullif(trim(segment, $ws), '') AS n_segment,
    nullif(trim(region, $ws), '') AS n_region,
    nullif(trim(plan, $ws), '') AS n_plan,
    lower(nullif(trim(status, $ws), '')) AS n_status,
    lower(trim(social_handle, $ws)) AS handle_lower
  FROM raw_accounts r
),
ruled AS (
  SELECT t.*,
    nullif(trim(CASE WHEN starts_with(handle_lower, '@') THEN substr(handle_lower, 2)
                     ELSE handle_lower END, $ws), '') AS n_social_handle,
    CASE
      WHEN n_account_id IS NULL THEN 'null_key'
      WHEN n_status IS NULL THEN 'null_value:status'
      WHEN n_status NOT IN ('active', 'suspended', 'closed') THEN 'invalid_value:status'
      WHEN signup_date > $snapshot_date THEN 'invalid_value:signup_date'
      WHEN monthly_spend_f64 IS NOT NULL AND monthly_spend IS NULL THEN 'invalid_value:monthly_spend'
      WHEN monthly_spend < 0 THEN 'invalid_value:monthly_spend'
      WHEN services_count < 0 THEN 'invalid_value:services_count'
      WHEN invoices_due_12m < 0 THEN 'invalid_value:invoices_due_12m'
      WHEN invoices_paid_on_time_12m < 0
        OR invoices_paid_on_time_12m > coalesce(invoices_due_12m, 0)
        THEN 'invalid_value:invoices_paid_on_time_12m'
    END AS rule_reason
  FROM trimmed t
)
SELECT
  account_id, segment, region, plan, status, signup_date, monthly_spend,
  services_count, invoices_due_12m, invoices_paid_on_time_12m, social_handle,
  source_file, snapshot_date,
  n_account_id, n_segment, n_region, n_plan, n_status, n_social_handle,
  CASE
    WHEN rule_reason IS NOT NULL THEN rule_reason
    WHEN sum(CASE WHEN rule_reason IS NULL THEN 1 ELSE 0 END)
           OVER (PARTITION BY n_account_id) > 1 THEN 'duplicate_key'
  END AS reject_reason,
  false AS is_duplicate
FROM ruled
"""

CHECK_MENTIONS = """
WITH trimmed AS (
  SELECT r.*,
    nullif(trim(mention_id, $ws), '') AS n_mention_id,
    coalesce(lower(nullif(trim(platform, $ws), '')), 'unknown') AS n_platform,
    lower(trim(author_handle, $ws)) AS handle_lower
  FROM raw_mentions r
),
ruled AS (
  SELECT t.*,
    nullif(trim(CASE WHEN starts_with(handle_lower, '@') THEN substr(handle_lower, 2)
                     ELSE handle_lower END, $ws), '') AS n_author_handle,
    CASE
      WHEN n_mention_id IS NULL THEN 'null_key'
      WHEN posted_at IS NULL THEN 'null_value:posted_at'
      WHEN isnan(sentiment) OR sentiment < -1 OR sentiment > 1 THEN 'invalid_value:sentiment'
    END AS reject_reason
  FROM trimmed t
),
ranked AS (
  SELECT r.*,
    row_number() OVER (
      PARTITION BY n_mention_id, reject_reason IS NULL
      ORDER BY snapshot_date DESC NULLS FIRST, posted_at DESC NULLS FIRST,
               sentiment DESC NULLS LAST, source_file DESC NULLS FIRST,
               n_platform ASC NULLS LAST, n_author_handle ASC NULLS LAST, text ASC NULLS LAST
    ) AS copy_rank
  FROM ruled r
)
SELECT
  mention_id, platform, author_handle, posted_at, sentiment, text,
  source_file, snapshot_date,
  n_mention_id, n_platform, n_author_handle,
  reject_reason,
  reject_reason IS NULL AND copy_rank > 1 AS is_duplicate
FROM ranked
"""

CHECK_SURVEYS = """
WITH trimmed AS (
  SELECT r.*,
    nullif(trim(response_id, $ws), '') AS n_response_id,
    nullif(trim(account_id, $ws), '') AS n_account_id,
    lower(nullif(trim(channel, $ws), '')) AS n_channel
  FROM raw_surveys r
),
ruled AS (
  SELECT t.*,
    CASE
      WHEN n_response_id IS NULL THEN 'null_key'
      WHEN n_account_id IS NULL THEN 'null_value:account_id'
      WHEN responded_at IS NULL THEN 'null_value:responded_at'
      WHEN score IS NULL THEN 'null_value:score'
      WHEN score < 0 OR score > 10 THEN 'invalid_value:score'
    END AS rule_reason
  FROM trimmed t
),
ranked AS (
  SELECT r.*,
    row_number() OVER (
      PARTITION BY n_response_id, rule_reason IS NULL
      ORDER BY snapshot_date DESC NULLS FIRST, responded_at DESC NULLS FIRST,
               score DESC NULLS LAST, source_file DESC NULLS FIRST,
               n_account_id ASC NULLS LAST, n_channel ASC NULLS LAST
    ) AS copy_rank
  FROM ruled r
),
valid_account_ids AS (
  SELECT DISTINCT n_account_id AS account_id
  FROM checked_accounts
  WHERE reject_reason IS NULL
)
SELECT
  s.response_id, s.account_id, s.responded_at, s.score, s.channel,
  s.source_file, s.snapshot_date,
  s.n_response_id, s.n_account_id, s.n_channel,
  CASE
    WHEN s.rule_reason IS NOT NULL THEN s.rule_reason
    WHEN s.copy_rank = 1 AND a.account_id IS NULL THEN 'unknown_account'
  END AS reject_reason,
  s.rule_reason IS NULL AND s.copy_rank > 1 AS is_duplicate
FROM ranked s
LEFT JOIN valid_account_ids a ON s.n_account_id = a.account_id
"""

CHECK_INFLUENCE = """
WITH trimmed AS (
  SELECT r.*,
    lower(trim(handle, $ws)) AS handle_lower,
    lower(nullif(trim(provider, $ws), '')) AS n_provider
  FROM raw_influence_scores r
),
normalized AS (
  SELECT t.*,
    nullif(trim(CASE WHEN starts_with(handle_lower, '@') THEN substr(handle_lower, 2)
                     ELSE handle_lower END, $ws), '') AS n_handle
  FROM trimmed t
)
SELECT
  handle, provider, score, scored_at,
  source_file, snapshot_date,
  n_handle, n_provider,
  CASE
    WHEN n_handle IS NULL THEN 'null_key'
    WHEN n_provider IS NULL THEN 'null_value:provider'
    WHEN n_provider NOT IN ('klout', 'kred', 'peerindex') THEN 'unknown_provider'
    WHEN score IS NULL THEN 'null_value:score'
    WHEN isnan(score)
      OR (n_provider = 'klout' AND (score < 1 OR score > 100))
      OR (n_provider = 'kred' AND (score < 0 OR score > 1000))
      OR (n_provider = 'peerindex' AND (score < 0 OR score > 100))
      THEN 'invalid_value:score'
    WHEN scored_at IS NULL THEN 'null_value:scored_at'
  END AS reject_reason,
  false AS is_duplicate
FROM normalized
"""

CHECKS = {"accounts": CHECK_ACCOUNTS, "mentions": CHECK_MENTIONS,
          "surveys": CHECK_SURVEYS, "influence_scores": CHECK_INFLUENCE}

# ---------------------------------------------------------------------------
# sql/10–22: the transforms
# ---------------------------------------------------------------------------
STEPS = [
    ("valid_accounts", True, """
SELECT
  n_account_id AS account_id, n_segment AS segment, n_region AS region, n_plan AS plan,
  n_status AS status, signup_date,
  coalesce(monthly_spend, CAST(0 AS DECIMAL(18, 2))) AS monthly_spend,
  coalesce(services_count, 0) AS services_count,
  coalesce(invoices_due_12m, 0) AS invoices_due_12m,
  coalesce(invoices_paid_on_time_12m, 0) AS invoices_paid_on_time_12m,
  n_social_handle AS social_handle
FROM checked_accounts
WHERE reject_reason IS NULL
"""),
    ("handle_map", True, """
SELECT social_handle AS handle, min(account_id) AS account_id
FROM valid_accounts
WHERE status IN ('active', 'suspended') AND social_handle IS NOT NULL
GROUP BY social_handle
HAVING count(*) = 1
"""),
    ("window_mentions", True, """
SELECT
  m.n_mention_id AS mention_id, m.n_platform AS platform, m.n_author_handle AS author_handle,
  m.sentiment, h.account_id
FROM checked_mentions m
LEFT JOIN handle_map h ON m.n_author_handle = h.handle
WHERE m.reject_reason IS NULL
  AND NOT m.is_duplicate
  AND m.posted_at >= $mentions_start
  AND m.posted_at < $window_end
"""),
    ("account_influence", True, """
WITH latest AS (
  SELECT
    n_handle, n_provider,
    CASE WHEN n_provider = 'kred' THEN score / 10.0 ELSE score END AS norm,
    row_number() OVER (
      PARTITION BY n_handle, n_provider
      ORDER BY scored_at DESC NULLS FIRST, score DESC NULLS FIRST
    ) AS rn
  FROM checked_influence_scores
  WHERE reject_reason IS NULL
    AND scored_at >= $influence_start
    AND scored_at < $window_end
),
per_account AS (
  SELECT
    h.account_id,
    max(CASE WHEN l.n_provider = 'klout' THEN l.norm END) AS klout,
    max(CASE WHEN l.n_provider = 'kred' THEN l.norm END) AS kred,
    max(CASE WHEN l.n_provider = 'peerindex' THEN l.norm END) AS peerindex
  FROM latest l
  JOIN handle_map h ON l.n_handle = h.handle
  WHERE l.rn = 1
  GROUP BY h.account_id
)
SELECT
  account_id,
  (coalesce(klout, 0.0) + coalesce(kred, 0.0) + coalesce(peerindex, 0.0))
    / CAST((CASE WHEN klout IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN kred IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN peerindex IS NULL THEN 0 ELSE 1 END) AS DOUBLE) AS influence_norm
FROM per_account
"""),
    ("latest_response", True, """
WITH ranked AS (
  SELECT
    n_account_id AS account_id, n_response_id AS response_id, score, n_channel AS channel,
    row_number() OVER (
      PARTITION BY n_account_id
      ORDER BY responded_at DESC NULLS FIRST, n_response_id DESC NULLS FIRST
    ) AS rn
  FROM checked_surveys
  WHERE reject_reason IS NULL
    AND NOT is_duplicate
    AND responded_at >= $surveys_start
    AND responded_at < $window_end
)
SELECT account_id, response_id, score, channel FROM ranked WHERE rn = 1
"""),
    ("customer_tiers", True, """
WITH scored AS (
  SELECT * FROM valid_accounts WHERE status IN ('active', 'suspended')
),
mention_features AS (
  SELECT
    account_id,
    count(*) AS mentions_30d,
    sum(CASE WHEN sentiment <= $negative_sentiment THEN 1 ELSE 0 END) AS negative_mentions_30d,
    CAST(sum(CAST(sentiment AS DECIMAL(38, 17))) AS DOUBLE)
      / CAST(count(sentiment) AS DOUBLE) AS avg_sentiment_30d
  FROM window_mentions
  WHERE account_id IS NOT NULL
  GROUP BY account_id
),
components AS (
  SELECT
    a.account_id, a.segment, a.region, a.plan, a.status, a.monthly_spend,
    CASE
      WHEN count(*) OVER () = 1 THEN 0.0
      ELSE CAST(rank() OVER (ORDER BY a.monthly_spend ASC NULLS LAST) - 1 AS DOUBLE)
           / CAST(count(*) OVER () - 1 AS DOUBLE)
    END AS spend_score,
    CASE
      WHEN a.invoices_due_12m = 0 THEN 0.5
      ELSE CAST(a.invoices_paid_on_time_12m AS DOUBLE) / CAST(a.invoices_due_12m AS DOUBLE)
    END AS payment_score,
    CAST(least(a.services_count, 5) AS DOUBLE) / 5.0 AS services_score,
    CASE
      WHEN a.signup_date IS NULL THEN 0.0
      ELSE CAST(least($snapshot_date - a.signup_date, 1826) AS DOUBLE) / 1826.0
    END AS tenure_score,
    i.influence_norm,
    coalesce(i.influence_norm / 100.0, 0.0) AS influence_score,
    coalesce(f.mentions_30d, 0) AS mentions_30d,
    coalesce(f.negative_mentions_30d, 0) AS negative_mentions_30d,
    f.avg_sentiment_30d,
    r.score AS last_nps_score
  FROM scored a
  LEFT JOIN account_influence i ON i.account_id = a.account_id
  LEFT JOIN mention_features f ON f.account_id = a.account_id
  LEFT JOIN latest_response r ON r.account_id = a.account_id
),
valued AS (
  SELECT
    c.*,
    round(100.0 * ($w_spend * spend_score + $w_payment * payment_score
                   + $w_services * services_score + $w_tenure * tenure_score
                   + $w_influence * influence_score) / $w_total, 2) AS value_score,
    coalesce(influence_norm >= $influencer_threshold, false) AS is_influencer,
    CASE
      WHEN last_nps_score >= 9 THEN 'promoter'
      WHEN last_nps_score >= 7 THEN 'passive'
      WHEN last_nps_score >= 0 THEN 'detractor'
    END AS nps_category
  FROM components c
),
tiered AS (
  SELECT
    v.*,
    CASE
      WHEN value_score >= $tier_platinum THEN 'platinum'
      WHEN value_score >= $tier_gold THEN 'gold'
      WHEN value_score >= $tier_silver THEN 'silver'
      ELSE 'bronze'
    END AS tier
  FROM valued v
)
SELECT
  account_id, segment, region, plan, status, monthly_spend,
  spend_score, payment_score, services_score, tenure_score,
  influence_score, influence_norm, is_influencer, value_score, tier,
  CAST(row_number() OVER (ORDER BY value_score DESC NULLS FIRST, account_id ASC NULLS LAST) AS BIGINT) AS value_rank,
  CAST(mentions_30d AS BIGINT) AS mentions_30d,
  CAST(negative_mentions_30d AS BIGINT) AS negative_mentions_30d,
  avg_sentiment_30d,
  CAST(last_nps_score AS INT) AS last_nps_score,
  nps_category,
  CAST(CASE
    WHEN tier IN ('platinum', 'gold')
         AND (negative_mentions_30d >= 1 OR nps_category = 'detractor') THEN 1
    WHEN tier IN ('platinum', 'gold')
         OR (is_influencer AND negative_mentions_30d >= 1) THEN 2
    WHEN tier = 'silver' OR negative_mentions_30d >= 1 OR nps_category = 'detractor' THEN 3
    ELSE 4
  END AS INT) AS care_priority
FROM tiered
"""),
    ("nps_aggregates", False, """
WITH population AS (
  SELECT
    r.score,
    coalesce(t.tier, 'unscored') AS tier,
    coalesce(a.segment, '(unknown)') AS segment,
    coalesce(a.region, '(unknown)') AS region,
    coalesce(a.plan, '(unknown)') AS plan,
    coalesce(r.channel, '(unknown)') AS channel
  FROM latest_response r
  JOIN valid_accounts a ON a.account_id = r.account_id
  LEFT JOIN customer_tiers t ON t.account_id = r.account_id
),
grouped AS (
  SELECT 'all' AS dimension, 'all' AS dimension_value, score FROM population
  UNION ALL SELECT 'tier', tier, score FROM population
  UNION ALL SELECT 'segment', segment, score FROM population
  UNION ALL SELECT 'region', region, score FROM population
  UNION ALL SELECT 'plan', plan, score FROM population
  UNION ALL SELECT 'channel', channel, score FROM population
),
counts AS (
  SELECT
    dimension, dimension_value,
    CAST(count(*) AS BIGINT) AS responses,
    CAST(sum(CASE WHEN score >= 9 THEN 1 ELSE 0 END) AS BIGINT) AS promoters,
    CAST(sum(CASE WHEN score IN (7, 8) THEN 1 ELSE 0 END) AS BIGINT) AS passives,
    CAST(sum(CASE WHEN score <= 6 THEN 1 ELSE 0 END) AS BIGINT) AS detractors
  FROM grouped
  GROUP BY dimension, dimension_value
),
adjusted AS (
  SELECT c.*,
    CAST(responses + 3 AS DOUBLE) AS n_adj,
    (CAST(promoters AS DOUBLE) + 0.75) / CAST(responses + 3 AS DOUBLE) AS p_adj,
    (CAST(detractors AS DOUBLE) + 0.75) / CAST(responses + 3 AS DOUBLE) AS d_adj
  FROM counts c
)
SELECT
  dimension, dimension_value, responses, promoters, passives, detractors,
  round(100.0 * (CAST(promoters AS DOUBLE) / CAST(responses AS DOUBLE)
                 - CAST(detractors AS DOUBLE) / CAST(responses AS DOUBLE)), 2) AS nps,
  round(196.0 * sqrt((p_adj + d_adj - (p_adj - d_adj) * (p_adj - d_adj)) / n_adj), 2)
    AS margin_of_error_95,
  responses < $min_responses AS low_sample
FROM adjusted
ORDER BY dimension ASC NULLS LAST, dimension_value ASC NULLS LAST
"""),
    ("social_pulse", False, """
WITH grouped AS (
  SELECT 'all' AS dimension, 'all' AS dimension_value, author_handle, sentiment, account_id
  FROM window_mentions
  UNION ALL
  SELECT 'platform', platform, author_handle, sentiment, account_id
  FROM window_mentions
),
counts AS (
  SELECT
    dimension, dimension_value,
    CAST(count(*) AS BIGINT) AS mentions,
    CAST(count(sentiment) AS BIGINT) AS with_sentiment,
    CAST(sum(CASE WHEN sentiment >= $positive_sentiment THEN 1 ELSE 0 END) AS BIGINT) AS positive,
    CAST(sum(CASE WHEN sentiment > $negative_sentiment AND sentiment < $positive_sentiment
                  THEN 1 ELSE 0 END) AS BIGINT) AS neutral,
    CAST(sum(CASE WHEN sentiment <= $negative_sentiment THEN 1 ELSE 0 END) AS BIGINT) AS negative,
    CAST(count(DISTINCT author_handle) AS BIGINT) AS unique_authors,
    CAST(count(account_id) AS BIGINT) AS matched_mentions,
    CAST(sum(CAST(sentiment AS DECIMAL(38, 17))) AS DOUBLE) AS sentiment_sum
  FROM grouped
  GROUP BY dimension, dimension_value
)
SELECT
  dimension, dimension_value, mentions, with_sentiment, positive, neutral, negative,
  unique_authors, matched_mentions,
  CAST(matched_mentions AS DOUBLE) / CAST(mentions AS DOUBLE) AS match_rate,
  CASE WHEN with_sentiment = 0 THEN NULL
       ELSE sentiment_sum / CAST(with_sentiment AS DOUBLE) END AS avg_sentiment,
  CASE WHEN with_sentiment = 0 THEN NULL
       ELSE round(100.0 * CAST(positive - negative AS DOUBLE) / CAST(with_sentiment AS DOUBLE), 2)
  END AS social_nps
FROM counts
ORDER BY dimension ASC NULLS LAST, dimension_value ASC NULLS LAST
"""),
]

ORDER = {"customer_tiers": "value_rank"}


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def bind(con, sql, params):
    """Run SQL with the $parameters it names (DuckDB rejects unused ones)."""
    used = {k: v for k, v in params.items() if re.search(r"\$" + k + r"\b", sql)}
    return con.execute(sql, used)


def partition_dates(table, date, windows):
    days = {"accounts": 1, "mentions": windows["mentions_days"], "surveys": windows["nps_days"],
            "influence_scores": windows["influence_max_age_days"]}[table]
    return [date - dt.timedelta(days=back) for back in range(days - 1, -1, -1)]


def list_files(root, table, day):
    """Data files of one partition (recursive), skipping names starting with _ or ."""
    part = os.path.join(root, table, f"snapshot_date={day.isoformat()}")
    if not os.path.isdir(part):
        return None
    out = []
    for dirpath, dirnames, filenames in os.walk(part):
        dirnames[:] = [d for d in dirnames if not d.startswith(("_", "."))]
        out += [os.path.join(dirpath, f) for f in filenames if not f.startswith(("_", "."))]
    return sorted(out)


def find_field(schema, name):
    names = schema.names
    if name in names:
        return name
    matches = [n for n in names if n.lower() == name.lower()]
    return matches[0] if len(matches) == 1 else None


def typed_select(columns, schema, files):
    """SELECT casting one group of same-schema files to the canonical types."""
    exprs = []
    for name, kind in columns:
        src = find_field(schema, name)
        if src is None:
            raise SystemExit(f"contract: column {name} missing in {files[0]}")
        c = '"' + src.replace('"', '""') + '"'
        ptype = str(schema.field(src).type)
        if kind == "str":
            exprs.append(f"CAST({c} AS VARCHAR) AS {name}")
        elif kind == "int":
            exprs.append(f"TRY_CAST({c} AS BIGINT) AS {name}")
        elif kind == "num":
            exprs.append(f"TRY_CAST({c} AS DOUBLE) AS {name}")
        elif kind == "money":
            exprs.append(f"TRY_CAST({c} AS DECIMAL(18,2)) AS {name}")
            exprs.append(f"TRY_CAST({c} AS DOUBLE) AS {name}_f64")
        elif kind == "ts":
            exprs.append(f"CAST({c} AS TIMESTAMP) AS {name}")
        elif kind == "date":
            inner = f"CAST({c} AS TIMESTAMP)" if ptype.startswith("timestamp") else c
            exprs.append(f"CAST({inner} AS DATE) AS {name}")
    file_list = "[" + ", ".join(sql_str(f) for f in files) + "]"
    return (f"SELECT {', '.join(exprs)}, 'file://' || filename AS source_file, "
            f"CAST(regexp_extract(filename, 'snapshot_date=([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})', 1) AS DATE) AS snapshot_date "
            f"FROM read_parquet({file_list}, filename = true, hive_partitioning = false)")


def empty_select(columns):
    exprs = []
    for name, kind in columns:
        exprs.append(f"CAST(NULL AS {CANONICAL[kind]}) AS {name}")
        if kind == "money":
            exprs.append(f"CAST(NULL AS DOUBLE) AS {name}_f64")
    exprs += ["CAST(NULL AS VARCHAR) AS source_file", "CAST(NULL AS DATE) AS snapshot_date"]
    return f"SELECT {', '.join(exprs)} WHERE false"


def copy_out(con, query, path, params=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sql = (f"COPY ({query}) TO {sql_str(path)} "
           "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)")
    if params is None:
        con.execute(sql)
    else:
        bind(con, sql, params)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--date", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default=None)
    ap.add_argument("--max-reject-ratio", type=float, default=0.05)
    args = ap.parse_args()

    t0 = time.monotonic()
    timings = {}
    date = dt.date.fromisoformat(args.date)
    root = os.path.abspath(args.input)
    out = os.path.abspath(args.output)
    windows = {"mentions_days": 30, "nps_days": 90, "influence_max_age_days": 90}
    day_start = lambda d: dt.datetime(d.year, d.month, d.day)  # noqa: E731
    back = lambda n: date - dt.timedelta(days=n - 1)  # noqa: E731
    w = {"spend": 0.35, "payment": 0.20, "services": 0.15, "tenure": 0.10, "influence": 0.20}
    params = {
        "ws": WS, "snapshot_date": date,
        "mentions_start": day_start(back(windows["mentions_days"])),
        "surveys_start": day_start(back(windows["nps_days"])),
        "influence_start": day_start(back(windows["influence_max_age_days"])),
        "window_end": day_start(date + dt.timedelta(days=1)),
        "w_spend": w["spend"], "w_payment": w["payment"], "w_services": w["services"],
        "w_tenure": w["tenure"], "w_influence": w["influence"], "w_total": sum(w.values()),
        "tier_platinum": 80.0, "tier_gold": 60.0, "tier_silver": 40.0,
        "influencer_threshold": 60.0, "positive_sentiment": 0.3, "negative_sentiment": -0.3,
        "min_responses": 30,
    }

    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute("SET TimeZone = 'UTC'")
    if args.memory_limit:
        con.execute(f"SET memory_limit = {sql_str(args.memory_limit)}")

    # list partitions, read footers, register typed views raw_<table>
    t = time.monotonic()
    for table, (_key, columns) in TABLES.items():
        groups = {}
        for day in partition_dates(table, date, windows):
            files = list_files(root, table, day)
            if files is None:
                if table == "accounts":
                    print(f"error: input contract: table accounts: required partition "
                          f"{root}/accounts/snapshot_date={day} is missing", file=sys.stderr)
                    return 3
                continue
            for f in files:
                schema = pq.read_schema(f)
                sig = tuple((n, str(schema.field(find_field(schema, n)).type)) if find_field(schema, n) else (n, None)
                            for n, _ in columns)
                groups.setdefault(sig, (schema, []))[1].append(f)
        parts = [typed_select(columns, schema, files) for schema, files in groups.values()]
        con.execute(f"CREATE VIEW raw_{table} AS " + (" UNION ALL ".join(parts) if parts else empty_select(columns)))
    timings["list_and_check_files"] = time.monotonic() - t

    t = time.monotonic()
    for table in TABLES:
        bind(con, f"CREATE TEMP TABLE checked_{table} AS " + CHECKS[table], params)
    timings["check_rows"] = time.monotonic() - t

    t = time.monotonic()
    stats = {}
    for table in TABLES:
        rows = con.execute(
            f"SELECT reject_reason, count(*), sum(CASE WHEN is_duplicate THEN 1 ELSE 0 END) "
            f"FROM checked_{table} GROUP BY reject_reason").fetchall()
        st = {"rows_read": 0, "rejected": 0, "rejected_by_reason": {}, "duplicates_dropped": 0}
        for reason, n, dups in rows:
            st["rows_read"] += n
            st["duplicates_dropped"] += int(dups or 0)
            if reason is not None:
                st["rejected"] += n
                st["rejected_by_reason"][reason] = n
        st["reject_ratio"] = st["rejected"] / st["rows_read"] if st["rows_read"] else 0.0
        stats[table] = st
    timings["count_rejects"] = time.monotonic() - t
    gate = next((tb for tb in TABLES if stats[tb]["reject_ratio"] > args.max_reject_ratio), None)

    t = time.monotonic()
    if gate is None:
        for name, materialize, sql in STEPS:
            kind = "TEMP TABLE" if materialize else "TEMP VIEW"
            if materialize:
                bind(con, f"CREATE {kind} {name} AS " + sql, params)
            else:
                # DuckDB does not bind parameters in views: inline them as literals
                inlined = sql
                for k, v in sorted(params.items(), key=lambda kv: -len(kv[0])):
                    inlined = re.sub(r"\$" + k + r"\b", repr(v) if isinstance(v, (int, float)) else sql_str(str(v)), inlined)
                con.execute(f"CREATE {kind} {name} AS " + inlined)
    timings["transform"] = time.monotonic() - t

    t = time.monotonic()
    part = f"snapshot_date={date.isoformat()}"
    for table, (key, columns) in TABLES.items():
        cols = []
        for name, kind in columns:
            cols.append(f"CAST({name} AS TIMESTAMPTZ) AS {name}" if kind == "ts" else name)
        order = ["source_file", key, "reject_reason"] + [n for n, _ in columns if n != key]
        q = (f"SELECT {', '.join(cols)}, reject_reason, source_file FROM checked_{table} "
             f"WHERE reject_reason IS NOT NULL ORDER BY {', '.join(o + ' ASC NULLS LAST' for o in order)}")
        copy_out(con, q, os.path.join(out, "_rejects", table, part, "part-00000.parquet"))
    if gate is None:
        for name, _materialize, _sql in STEPS[5:]:
            q = f"SELECT * FROM {name}"
            if name in ORDER:
                q += f" ORDER BY {ORDER[name]}"
            copy_out(con, q, os.path.join(out, name, part, "part-00000.parquet"))
    timings["write"] = time.monotonic() - t
    timings["total"] = time.monotonic() - t0

    manifest = {"engine": f"duckdb {duckdb.__version__}", "snapshot_date": date.isoformat(),
                "status": "success" if gate is None else "quality_gate_failed",
                "inputs": stats, "timings_s": {k: round(v, 3) for k, v in timings.items()}}
    mdir = os.path.join(out, "_manifests", part)
    os.makedirs(mdir, exist_ok=True)
    with open(os.path.join(mdir, "duckdb.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    if gate is not None:
        st = stats[gate]
        print(f"error: quality gate: table {gate}: {st['rejected']} of {st['rows_read']} rows rejected",
              file=sys.stderr)
        return 4
    print(json.dumps(manifest["timings_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
