-- 04_check_influence_scores: the influence_scores rules of docs/SPEC.md §2.
-- Reads raw_influence_scores (every row of every partition in the influence
-- window's date range) and produces checked_influence_scores: raw columns,
-- normalized values (n_*), reject_reason (NULL = valid), is_duplicate
-- (always false: score deliveries are not deduplicated, the latest wins in
-- 14_influence.sql).
-- Scales: klout 1–100, kred 0–1000, peerindex 0–100.
WITH trimmed AS (
  SELECT
    r.*,
    lower(btrim(handle, $ws)) AS handle_lower,
    lower(nullif(btrim(provider, $ws), '')) AS n_provider
  FROM raw_influence_scores r
),
normalized AS (
  SELECT
    t.*,
    nullif(btrim(CASE WHEN starts_with(handle_lower, '@') THEN substr(handle_lower, 2)
                      ELSE handle_lower END, $ws), '') AS n_handle
  FROM trimmed t
)
SELECT
  handle, provider, score, scored_at,
  file_id, snapshot_date,
  n_handle, n_provider,
  CASE
    WHEN n_handle IS NULL THEN 'null_key'
    WHEN n_provider IS NULL THEN 'null_value:provider'
    WHEN n_provider NOT IN ('klout', 'kred', 'peerindex') THEN 'unknown_provider'
    WHEN score IS NULL THEN 'null_value:score'
    WHEN isnan(score)
      OR (n_provider = 'klout' AND (score < 1 OR score > 100))
      OR (n_provider = 'kred' AND (score < 0 OR score > 1000))
      OR (n_provider = 'peerindex' AND (score < 0 OR score > 100))
      THEN 'invalid_value:score'
    WHEN scored_at IS NULL THEN 'null_value:scored_at'
  END AS reject_reason,
  false AS is_duplicate
FROM normalized
