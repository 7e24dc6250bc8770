-- 12_window_mentions: the deduplicated valid mentions posted inside the
-- mentions window [day_start(D-(mentions_days-1)), day_start(D+1)), with the
-- scored account their author handle maps to (NULL when none or ambiguous).
SELECT
  m.n_mention_id AS mention_id,
  m.n_platform AS platform,
  m.n_author_handle AS author_handle,
  m.sentiment,
  h.account_id
FROM checked_mentions m
LEFT JOIN handle_map h ON m.n_author_handle = h.handle
WHERE m.reject_reason IS NULL
  AND NOT m.is_duplicate
  AND m.posted_at >= $mentions_start
  AND m.posted_at < $window_end
