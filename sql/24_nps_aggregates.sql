-- 24_nps_aggregates: NPS over the survey window (docs/SPEC.md §4), long format,
-- over 23_nps_population. Groups: all, tier, segment, region, plan,
-- channel. margin_of_error_95 is the adjusted-Wald margin (Rocks 2016):
-- n' = n + 3, p' = (promoters + 0.75)/n', d' = (detractors + 0.75)/n'.
WITH grouped AS (
  SELECT 'all' AS dimension, 'all' AS dimension_value, score FROM nps_population
  UNION ALL SELECT 'tier', tier, score FROM nps_population
  UNION ALL SELECT 'segment', segment, score FROM nps_population
  UNION ALL SELECT 'region', region, score FROM nps_population
  UNION ALL SELECT 'plan', plan, score FROM nps_population
  UNION ALL SELECT 'channel', channel, score FROM nps_population
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
