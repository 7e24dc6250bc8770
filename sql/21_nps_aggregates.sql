-- 21_nps_aggregates: NPS over the survey window (SPEC §4), long format.
-- Population: the latest response per valid account (any status) in the
-- window (14_latest_response). Groups: all, tier (closed accounts:
-- 'unscored'), segment, region, plan, channel of that response; NULL values
-- show as '(unknown)'. margin_of_error_95 is the adjusted-Wald margin
-- (Rocks 2016): n' = n + 3, p' = (promoters + 0.75)/n', d' = (detractors + 0.75)/n'.
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
    dimension,
    dimension_value,
    CAST(count(*) AS BIGINT) AS responses,
    CAST(sum(CASE WHEN score >= 9 THEN 1 ELSE 0 END) AS BIGINT) AS promoters,
    CAST(sum(CASE WHEN score IN (7, 8) THEN 1 ELSE 0 END) AS BIGINT) AS passives,
    CAST(sum(CASE WHEN score <= 6 THEN 1 ELSE 0 END) AS BIGINT) AS detractors
  FROM grouped
  GROUP BY dimension, dimension_value
),
adjusted AS (
  SELECT
    c.*,
    CAST(responses + 3 AS DOUBLE) AS n_adj,
    (CAST(promoters AS DOUBLE) + 0.75) / CAST(responses + 3 AS DOUBLE) AS p_adj,
    (CAST(detractors AS DOUBLE) + 0.75) / CAST(responses + 3 AS DOUBLE) AS d_adj
  FROM counts c
)
SELECT
  dimension,
  dimension_value,
  responses,
  promoters,
  passives,
  detractors,
  round(100.0 * (CAST(promoters AS DOUBLE) / CAST(responses AS DOUBLE)
                 - CAST(detractors AS DOUBLE) / CAST(responses AS DOUBLE)), 2) AS nps,
  round(196.0 * sqrt((p_adj + d_adj - (p_adj - d_adj) * (p_adj - d_adj)) / n_adj), 2)
    AS margin_of_error_95,
  responses < $min_responses AS low_sample
FROM adjusted
ORDER BY dimension, dimension_value
