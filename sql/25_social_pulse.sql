-- 25_social_pulse: social listening over the mentions window (docs/SPEC.md §4).
-- Deduplicated valid mentions in the window (12_window_mentions), one row
-- for 'all' and one per platform. Positive at sentiment ≥ positive_sentiment,
-- negative at ≤ negative_sentiment, neutral between, unknown when NULL.
WITH grouped AS (
  SELECT 'all' AS dimension, 'all' AS dimension_value, author_handle, sentiment, account_id
  FROM window_mentions
  UNION ALL
  SELECT 'platform', platform, author_handle, sentiment, account_id
  FROM window_mentions
),
counts AS (
  SELECT
    dimension,
    dimension_value,
    CAST(count(*) AS BIGINT) AS mentions,
    CAST(count(sentiment) AS BIGINT) AS with_sentiment,
    CAST(sum(CASE WHEN sentiment >= $positive_sentiment THEN 1 ELSE 0 END) AS BIGINT) AS positive,
    CAST(sum(CASE WHEN sentiment > $negative_sentiment AND sentiment < $positive_sentiment
                  THEN 1 ELSE 0 END) AS BIGINT) AS neutral,
    CAST(sum(CASE WHEN sentiment <= $negative_sentiment THEN 1 ELSE 0 END) AS BIGINT) AS negative,
    CAST(count(account_id) AS BIGINT) AS matched_mentions,
    -- exact decimal sum: the mean does not depend on the engine's partitioning
    CAST(sum(CAST(sentiment AS DECIMAL(38, 17))) AS DOUBLE) AS sentiment_sum
  FROM grouped
  GROUP BY dimension, dimension_value
),
authors AS (
  -- distinct non-null authors per group by a GROUP BY, which can spill under
  -- a memory limit, rather than count(DISTINCT …), whose per-group sets
  -- cannot
  SELECT dimension, dimension_value, CAST(count(*) AS BIGINT) AS unique_authors
  FROM (
    SELECT dimension, dimension_value, author_handle
    FROM grouped
    WHERE author_handle IS NOT NULL
    GROUP BY dimension, dimension_value, author_handle
  ) a
  GROUP BY dimension, dimension_value
)
SELECT
  c.dimension,
  c.dimension_value,
  mentions,
  with_sentiment,
  positive,
  neutral,
  negative,
  coalesce(u.unique_authors, 0) AS unique_authors,
  matched_mentions,
  CAST(matched_mentions AS DOUBLE) / CAST(mentions AS DOUBLE) AS match_rate,
  CASE WHEN with_sentiment = 0 THEN NULL
       ELSE sentiment_sum / CAST(with_sentiment AS DOUBLE) END AS avg_sentiment,
  CASE WHEN with_sentiment = 0 THEN NULL
       ELSE round(100.0 * CAST(positive - negative AS DOUBLE) / CAST(with_sentiment AS DOUBLE), 2)
  END AS social_nps
FROM counts c
LEFT JOIN authors u
  ON u.dimension = c.dimension AND u.dimension_value IS NOT DISTINCT FROM c.dimension_value
ORDER BY c.dimension, c.dimension_value
