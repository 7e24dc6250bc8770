-- 19_account_features: one row per scored account (valid, active or
-- suspended) with the SPEC §3 components that need no ranking (payment,
-- services, tenure, influence) and the mention and survey features: the
-- joins of customer_tiers, kept apart from its ranking windows so that,
-- under a memory limit, the joins' hash tables and the rank sorts do not
-- need memory at the same time.
WITH scored AS (
  SELECT *
  FROM valid_accounts
  WHERE status IN ('active', 'suspended')
),
mention_features AS (
  SELECT
    account_id,
    count(*) AS mentions_30d,
    sum(CASE WHEN sentiment <= $negative_sentiment THEN 1 ELSE 0 END) AS negative_mentions_30d,
    -- exact decimal sum: the mean does not depend on the engine's partitioning
    CAST(sum(CAST(sentiment AS DECIMAL(38, 17))) AS DOUBLE)
      / CAST(count(sentiment) AS DOUBLE) AS avg_sentiment_30d
  FROM window_mentions
  WHERE account_id IS NOT NULL
  GROUP BY account_id
)
SELECT
  a.account_id, a.segment, a.region, a.plan, a.status, a.monthly_spend,
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
