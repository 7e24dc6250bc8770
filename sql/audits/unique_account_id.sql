-- Audit unique_account_id: every customer_tiers row is one account
-- (docs/checks.md). One row: how many account_id values appear more than
-- once (or are null), and the smallest of them.
SELECT
  CAST(count(*) AS BIGINT) AS violations,
  min(account_id) AS example
FROM (
  SELECT account_id
  FROM audited_customer_tiers
  GROUP BY account_id
  HAVING count(*) > 1 OR account_id IS NULL
) repeated
