-- 13_influence: influence_norm (0–100) per scored account.
-- For each (handle, provider) the latest valid score inside the influence
-- window wins (ties: the higher score); it is scaled to 0–100 (klout and
-- peerindex as is, kred ÷ 10) and averaged over the providers present.
-- Only handles of the handle map count. "Latest, then highest" is two
-- aggregates (latest scored_at, then the highest score at that instant)
-- rather than a window partitioned by (handle, provider), which would keep
-- one partition per pair. The average adds klout, kred, peerindex in that
-- fixed order so the result does not depend on how the engine partitions
-- the rows.
WITH scores AS (
  SELECT
    h.account_id,
    s.n_provider,
    s.scored_at,
    CASE WHEN s.n_provider = 'kred' THEN s.score / 10.0 ELSE s.score END AS norm
  FROM checked_influence_scores s
  JOIN handle_map h ON s.n_handle = h.handle
  WHERE s.reject_reason IS NULL
    AND s.scored_at >= $influence_start
    AND s.scored_at < $window_end
),
latest_at AS (
  SELECT account_id, n_provider, max(scored_at) AS scored_at
  FROM scores
  GROUP BY account_id, n_provider
),
latest AS (
  SELECT s.account_id, s.n_provider, max(s.norm) AS norm
  FROM scores s
  JOIN latest_at l
    ON s.account_id = l.account_id
   AND s.n_provider = l.n_provider
   AND s.scored_at = l.scored_at
  GROUP BY s.account_id, s.n_provider
),
per_account AS (
  SELECT
    account_id,
    max(CASE WHEN n_provider = 'klout' THEN norm END) AS klout,
    max(CASE WHEN n_provider = 'kred' THEN norm END) AS kred,
    max(CASE WHEN n_provider = 'peerindex' THEN norm END) AS peerindex
  FROM latest
  GROUP BY account_id
)
SELECT
  account_id,
  (coalesce(klout, 0.0) + coalesce(kred, 0.0) + coalesce(peerindex, 0.0))
    / CAST((CASE WHEN klout IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN kred IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN peerindex IS NULL THEN 0 ELSE 1 END) AS DOUBLE) AS influence_norm
FROM per_account
