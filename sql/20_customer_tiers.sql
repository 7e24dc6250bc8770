-- 20_customer_tiers: one row per scored account (valid, active or
-- suspended), ordered by value_rank. SPEC §3 components, value_score, tier,
-- value_rank, mention and survey features, care_priority; SPEC §4 columns.
WITH scored AS (
  SELECT *
  FROM valid_accounts
  WHERE status IN ('active', 'suspended')
),
population AS (
  -- n of percent_rank (a one-row aggregate, not count(*) OVER (), which
  -- would buffer every row)
  SELECT count(*) AS n FROM scored
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
),
components AS (
  SELECT
    a.account_id, a.segment, a.region, a.plan, a.status, a.monthly_spend,
    CASE
      WHEN p.n = 1 THEN 0.0
      ELSE CAST(rank() OVER (ORDER BY a.monthly_spend) - 1 AS DOUBLE)
           / CAST(p.n - 1 AS DOUBLE)
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
  CROSS JOIN population p
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
  CAST(row_number() OVER (ORDER BY value_score DESC, account_id ASC) AS BIGINT) AS value_rank,
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
ORDER BY value_rank
