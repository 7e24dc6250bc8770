-- 01_check_accounts: the accounts rules of SPEC §2.
-- Reads raw_accounts (every row of partition D, typed by the contract layer)
-- and produces checked_accounts: the raw columns, their normalized values
-- (n_*), reject_reason (NULL = valid) and is_duplicate (always false here:
-- a repeated account_id is a reject, not a dropped duplicate).
-- Rules run column by column in contract order; the first broken one names
-- the row. Then every account_id seen more than once among the rows that
-- passed the rules is rejected as duplicate_key (no safe winner).
WITH trimmed AS (
  SELECT
    r.*,
    nullif(btrim(account_id, $ws), '') AS n_account_id,
    nullif(btrim(segment, $ws), '') AS n_segment,
    nullif(btrim(region, $ws), '') AS n_region,
    nullif(btrim(plan, $ws), '') AS n_plan,
    lower(nullif(btrim(status, $ws), '')) AS n_status,
    lower(btrim(social_handle, $ws)) AS handle_lower
  FROM raw_accounts r
),
ruled AS (
  SELECT
    t.*,
    -- normalized handle: lower(trim(h)), one leading '@' removed, trimmed again
    nullif(btrim(CASE WHEN starts_with(handle_lower, '@') THEN substr(handle_lower, 2)
                      ELSE handle_lower END, $ws), '') AS n_social_handle,
    CASE
      WHEN n_account_id IS NULL THEN 'null_key'
      WHEN n_status IS NULL THEN 'null_value:status'
      WHEN n_status NOT IN ('active', 'suspended', 'closed') THEN 'invalid_value:status'
      WHEN signup_date > $snapshot_date THEN 'invalid_value:signup_date'
      -- a number that did not survive widening to decimal(18,2): NaN, ±inf, overflow
      WHEN monthly_spend_f64 IS NOT NULL AND monthly_spend IS NULL THEN 'invalid_value:monthly_spend'
      WHEN monthly_spend < 0 THEN 'invalid_value:monthly_spend'
      WHEN services_count < 0 THEN 'invalid_value:services_count'
      WHEN invoices_due_12m < 0 THEN 'invalid_value:invoices_due_12m'
      WHEN invoices_paid_on_time_12m < 0
        OR invoices_paid_on_time_12m > coalesce(invoices_due_12m, 0)
        THEN 'invalid_value:invoices_paid_on_time_12m'
    END AS rule_reason
  FROM trimmed t
)
SELECT
  account_id, segment, region, plan, status, signup_date, monthly_spend,
  services_count, invoices_due_12m, invoices_paid_on_time_12m, social_handle,
  source_file, snapshot_date,
  n_account_id, n_segment, n_region, n_plan, n_status, n_social_handle,
  CASE
    WHEN rule_reason IS NOT NULL THEN rule_reason
    WHEN sum(CASE WHEN rule_reason IS NULL THEN 1 ELSE 0 END)
           OVER (PARTITION BY n_account_id) > 1 THEN 'duplicate_key'
  END AS reject_reason,
  false AS is_duplicate
FROM ruled
