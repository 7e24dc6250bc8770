-- 13_influence: influence_norm (0–100) per scored account.
-- For each (handle, provider) the latest valid score inside the influence
-- window wins (ties: the higher score); it is scaled to 0–100 (klout and
-- peerindex as is, kred ÷ 10) and averaged over the providers present.
-- Only handles of the handle map count; they are joined last, to the
-- handful of rows left per handle. "Latest, then highest" is two aggregates
-- (latest scored_at, then the highest score at that instant) rather than a
-- window partitioned by (handle, provider), which would keep one partition
-- per pair. The average adds klout, kred, peerindex in that fixed order so
-- the result does not depend on how the engine partitions the rows.
WITH scores AS (
  SELECT
    n_handle,
    n_provider,
    scored_at,
    CASE WHEN n_provider = 'kred' THEN score / 10.0 ELSE score END AS norm
  FROM checked_influence_scores
  WHERE reject_reason IS NULL
    AND scored_at >= $influence_start
    AND scored_at < $window_end
),
latest_at AS (
  SELECT n_handle, n_provider, max(scored_at) AS scored_at
  FROM scores
  GROUP BY n_handle, n_provider
),
latest AS (
  SELECT s.n_handle, s.n_provider, max(s.norm) AS norm
  FROM scores s
  JOIN latest_at l
    ON s.n_handle = l.n_handle
   AND s.n_provider = l.n_provider
   AND s.scored_at = l.scored_at
  GROUP BY s.n_handle, s.n_provider
),
per_handle AS (
  SELECT
    n_handle,
    max(CASE WHEN n_provider = 'klout' THEN norm END) AS klout,
    max(CASE WHEN n_provider = 'kred' THEN norm END) AS kred,
    max(CASE WHEN n_provider = 'peerindex' THEN norm END) AS peerindex
  FROM latest
  GROUP BY n_handle
)
SELECT
  h.account_id,
  (coalesce(klout, 0.0) + coalesce(kred, 0.0) + coalesce(peerindex, 0.0))
    / CAST((CASE WHEN klout IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN kred IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN peerindex IS NULL THEN 0 ELSE 1 END) AS DOUBLE) AS influence_norm
FROM per_handle p
JOIN handle_map h ON p.n_handle = h.handle
