-- 14_latest_response: each valid account's latest valid survey response
-- inside the survey window [day_start(D-(nps_days-1)), day_start(D+1));
-- ties on responded_at go to the greatest response_id.
WITH ranked AS (
  SELECT
    n_account_id AS account_id,
    n_response_id AS response_id,
    score,
    n_channel AS channel,
    row_number() OVER (
      PARTITION BY n_account_id
      ORDER BY responded_at DESC, n_response_id DESC
    ) AS rn
  FROM checked_surveys
  WHERE reject_reason IS NULL
    AND NOT is_duplicate
    AND responded_at >= $surveys_start
    AND responded_at < $window_end
)
SELECT account_id, response_id, score, channel
FROM ranked
WHERE rn = 1
