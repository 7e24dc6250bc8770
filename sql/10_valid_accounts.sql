-- 10_valid_accounts: the accounts of snapshot D that passed every rule, with
-- normalized values and the docs/SPEC.md §2 defaults applied (NULL spend, counts = 0).
-- One row per account_id (duplicates were rejected in 01).
SELECT
  n_account_id AS account_id,
  n_segment AS segment,
  n_region AS region,
  n_plan AS plan,
  n_status AS status,
  signup_date,
  coalesce(monthly_spend, CAST(0 AS DECIMAL(18, 2))) AS monthly_spend,
  coalesce(services_count, 0) AS services_count,
  coalesce(invoices_due_12m, 0) AS invoices_due_12m,
  coalesce(invoices_paid_on_time_12m, 0) AS invoices_paid_on_time_12m,
  n_social_handle AS social_handle
FROM checked_accounts
WHERE reject_reason IS NULL
