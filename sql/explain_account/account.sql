-- explain-account: the account's valid row (10_valid_accounts: normalized,
-- nulls defaulted) and its days since signup at D.
SELECT
  segment, region, plan, status, signup_date,
  CAST($snapshot_date - signup_date AS BIGINT) AS tenure_days,
  monthly_spend, services_count, invoices_due_12m, invoices_paid_on_time_12m,
  social_handle
FROM valid_accounts
WHERE account_id = $account_id
