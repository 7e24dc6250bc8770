-- 21_spend_ranks: for each distinct monthly_spend of the scored accounts
-- (20_account_features), `below`: how many scored accounts spend less, i.e.
-- rank() − 1 of docs/SPEC.md §3's spend_score = percent_rank(). A running total over
-- the distinct spends (far fewer rows than accounts) instead of a rank window
-- over every account; 22_customer_tiers joins it back on the spend.
SELECT
  monthly_spend,
  sum(accounts) OVER (ORDER BY monthly_spend) - accounts AS below
FROM (
  SELECT monthly_spend, count(*) AS accounts
  FROM account_features
  GROUP BY monthly_spend
) d
