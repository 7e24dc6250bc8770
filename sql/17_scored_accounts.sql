-- 17_scored_accounts: one row per scored account (valid, active or
-- suspended) with the docs/SPEC.md §3 components that need no ranking and no other
-- table (payment, services, tenure).
--
-- 18, 19 and 20 each add one LEFT JOIN of customer_tiers' inputs. Without a
-- memory limit 17–20 are planned as one query; under a memory limit each is
-- computed on its own (its result on disk), so only one join's hash table
-- needs memory at a time, and each join knows the exact size of both sides
-- (it builds its hash table on the smaller one).
SELECT
  account_id, segment, region, plan, status, monthly_spend,
  CASE
    WHEN invoices_due_12m = 0 THEN 0.5
    ELSE CAST(invoices_paid_on_time_12m AS DOUBLE) / CAST(invoices_due_12m AS DOUBLE)
  END AS payment_score,
  CAST(least(services_count, 5) AS DOUBLE) / 5.0 AS services_score,
  CASE
    WHEN signup_date IS NULL THEN 0.0
    ELSE CAST(least($snapshot_date - signup_date, 1826) AS DOUBLE) / 1826.0
  END AS tenure_score
FROM valid_accounts
WHERE status IN ('active', 'suspended')
