-- Audit value_rank: customer_tiers.value_rank is exactly 1..n, n the rows
-- (docs/checks.md). n distinct ranks all within 1..n are 1..n, so one row:
-- how many ranks are null, outside 1..n or repeated, and the smallest.
WITH ranked AS (
  SELECT value_rank, count(*) OVER () AS n
  FROM audited_customer_tiers
),
ranks AS (
  SELECT value_rank, n, count(*) AS copies
  FROM ranked
  GROUP BY value_rank, n
)
SELECT
  CAST(count(*) AS BIGINT) AS violations,
  min(value_rank) AS example
FROM ranks
WHERE value_rank IS NULL OR value_rank < 1 OR value_rank > n OR copies > 1
