-- 01_check_accounts: the accounts rules of docs/SPEC.md §2.
-- Reads raw_accounts (every row of partition D, typed by the contract layer)
-- and produces checked_accounts: the raw columns, their normalized values
-- (n_*), reject_reason (NULL = valid) and is_duplicate (always false here:
-- a repeated account_id is a reject, not a dropped duplicate).
-- Rules run column by column in contract order; the first broken one names
-- the row. Then every account_id seen more than once among the rows that
-- passed the rules is rejected as duplicate_key (no safe winner). The
-- repeated ids are found with an aggregate and joined back (a window
-- partitioned by account_id would keep one partition per account: slow).
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
),
repeated AS (
  SELECT n_account_id AS repeated_id
  FROM ruled
  WHERE rule_reason IS NULL
  GROUP BY n_account_id
  HAVING count(*) > 1
)
SELECT
  r.account_id, r.segment, r.region, r.plan, r.status, r.signup_date, r.monthly_spend,
  r.services_count, r.invoices_due_12m, r.invoices_paid_on_time_12m, r.social_handle,
  r.file_id, r.snapshot_date,
  r.n_account_id, r.n_segment, r.n_region, r.n_plan, r.n_status, r.n_social_handle,
  CASE
    WHEN r.rule_reason IS NOT NULL THEN r.rule_reason
    WHEN d.repeated_id IS NOT NULL THEN 'duplicate_key'
  END AS reject_reason,
  false AS is_duplicate
-- the few repeated ids are the join's build side
FROM repeated d
RIGHT JOIN ruled r ON r.n_account_id = d.repeated_id
