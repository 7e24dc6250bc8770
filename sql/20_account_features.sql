-- 20_account_features: one row per scored account with every input of the
-- ranking in 22_customer_tiers: 19_scored_mentions plus the account's latest
-- NPS score in the survey window (15_latest_response). Kept apart from the
-- ranking windows so that, under a memory limit, a join's hash table and the
-- rank sorts do not need memory at the same time.
SELECT
  s.*,
  r.score AS last_nps_score
FROM scored_mentions s
LEFT JOIN latest_response r ON r.account_id = s.account_id
