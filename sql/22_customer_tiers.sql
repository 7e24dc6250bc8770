-- 22_customer_tiers: one row per scored account (valid, active or
-- suspended), ordered by value_rank. docs/SPEC.md §3 spend_score, value_score, tier,
-- value_rank and care_priority over 20_account_features and
-- 21_spend_ranks; docs/SPEC.md §4 columns.
WITH population AS (
  -- n of percent_rank (a one-row aggregate, not count(*) OVER (), which
  -- would buffer every row)
  SELECT count(*) AS n FROM account_features
),
components AS (
  SELECT
    a.*,
    CASE
      WHEN p.n = 1 THEN 0.0
      ELSE CAST(b.below AS DOUBLE) / CAST(p.n - 1 AS DOUBLE)
    END AS spend_score
  FROM spend_ranks b
  JOIN account_features a ON a.monthly_spend IS NOT DISTINCT FROM b.monthly_spend
  CROSS JOIN population p
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
