-- 12_window_influence: the valid influence scores delivered inside the
-- influence window [day_start(D-(influence_max_age_days-1)), day_start(D+1)),
-- each scaled to 0–100 by its provider's divisor (klout and peerindex 1,
-- kred 10): `norm` = score / divisor. A view, planned into
-- 13_handle_scores (which picks each provider's latest); `explain-account`
-- reads it to show the row behind each provider's score, with its file.
WITH scaled AS (
  SELECT
    n_handle,
    n_provider,
    scored_at,
    score,
    CASE WHEN n_provider = 'kred' THEN 10.0 ELSE 1.0 END AS divisor,
    file_id
  FROM checked_influence_scores
  WHERE reject_reason IS NULL
    AND scored_at >= $influence_start
    AND scored_at < $window_end
)
SELECT n_handle, n_provider, scored_at, score, divisor, score / divisor AS norm, file_id
FROM scaled
