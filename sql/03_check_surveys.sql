-- 03_check_surveys: the surveys rules of docs/SPEC.md §2.
-- Reads raw_surveys (every row of every partition in the survey window's date
-- range) and checked_accounts; produces checked_surveys: raw columns,
-- normalized values (n_*), reject_reason (NULL = valid) and is_duplicate.
-- Order of docs/SPEC.md §2: (1) column rules, (2) duplicates of response_id among
-- valid rows (latest partition, then latest responded_at, then highest score,
-- then the source file that sorts last, by file_id = URL order; losers are
-- dropped, not rejected),
-- (3) the surviving copy must name a valid account of snapshot D, any status.
-- Only the rows of a repeated response_id (found with an aggregate) go
-- through the ranking window; the rest are single copies.
WITH trimmed AS (
  SELECT
    r.*,
    nullif(btrim(response_id, $ws), '') AS n_response_id,
    nullif(btrim(account_id, $ws), '') AS n_account_id,
    lower(nullif(btrim(channel, $ws), '')) AS n_channel
  FROM raw_surveys r
),
ruled AS (
  SELECT
    t.*,
    CASE
      WHEN n_response_id IS NULL THEN 'null_key'
      WHEN n_account_id IS NULL THEN 'null_value:account_id'
      WHEN responded_at IS NULL THEN 'null_value:responded_at'
      WHEN score IS NULL THEN 'null_value:score'
      WHEN score < 0 OR score > 10 THEN 'invalid_value:score'
    END AS rule_reason
  FROM trimmed t
),
repeated AS (
  SELECT n_response_id AS repeated_id
  FROM ruled
  WHERE rule_reason IS NULL
  GROUP BY n_response_id
  HAVING count(*) > 1
),
tagged AS (
  SELECT r.*, r.rule_reason IS NULL AND d.repeated_id IS NOT NULL AS contested
  FROM repeated d
  RIGHT JOIN ruled r ON r.n_response_id = d.repeated_id
),
ranked AS (
  SELECT t.*, false AS later_copy
  FROM tagged t
  WHERE NOT contested
  UNION ALL
  SELECT
    t.*,
    row_number() OVER (
      PARTITION BY n_response_id
      ORDER BY snapshot_date DESC, responded_at DESC, score DESC NULLS LAST,
               file_id DESC, n_account_id, n_channel NULLS LAST
    ) > 1 AS later_copy
  FROM tagged t
  WHERE contested
),
valid_account_ids AS (
  -- unique: a repeated account_id is rejected in 01
  SELECT n_account_id AS account_id
  FROM checked_accounts
  WHERE reject_reason IS NULL
)
SELECT
  s.response_id, s.account_id, s.responded_at, s.score, s.channel,
  s.file_id, s.snapshot_date,
  s.n_response_id, s.n_account_id, s.n_channel,
  CASE
    WHEN s.rule_reason IS NOT NULL THEN s.rule_reason
    WHEN NOT s.later_copy AND a.account_id IS NULL THEN 'unknown_account'
  END AS reject_reason,
  s.later_copy AS is_duplicate
FROM ranked s
LEFT JOIN valid_account_ids a ON s.n_account_id = a.account_id
