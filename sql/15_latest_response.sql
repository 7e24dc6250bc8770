-- 15_latest_response: each valid account's latest valid survey response
-- inside the survey window [day_start(D-(nps_days-1)), day_start(D+1));
-- ties on responded_at go to the greatest response_id. Two aggregates
-- (latest responded_at, then the greatest response_id at that instant) and
-- a join back: after 03's deduplication a response_id names one row.
WITH responses AS (
  SELECT
    n_account_id AS account_id,
    n_response_id AS response_id,
    responded_at,
    score,
    n_channel AS channel
  FROM checked_surveys
  WHERE reject_reason IS NULL
    AND NOT is_duplicate
    AND responded_at >= $surveys_start
    AND responded_at < $window_end
),
latest_at AS (
  SELECT account_id, max(responded_at) AS responded_at
  FROM responses
  GROUP BY account_id
),
latest_id AS (
  SELECT r.account_id, max(r.response_id) AS response_id
  FROM responses r
  JOIN latest_at l ON r.account_id = l.account_id AND r.responded_at = l.responded_at
  GROUP BY r.account_id
)
SELECT r.account_id, r.response_id, r.score, r.channel
FROM responses r
JOIN latest_id l ON r.account_id = l.account_id AND r.response_id = l.response_id
