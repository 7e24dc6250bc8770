-- explain-account: the account's spend rank among the n scored accounts:
-- 21_spend_ranks' `below` (scored accounts spending less) + 1, as
-- 22_customer_tiers joins it.
SELECT
  CAST(s.below + 1 AS BIGINT) AS rank,
  (SELECT count(*) FROM customer_tiers) AS n
FROM customer_tiers c
JOIN spend_ranks s ON s.monthly_spend IS NOT DISTINCT FROM c.monthly_spend
WHERE c.account_id = $account_id
