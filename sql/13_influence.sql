-- 13_influence: influence_norm (0–100) per scored account.
-- For each (handle, provider) the latest valid score inside the influence
-- window wins (ties: the higher score); it is scaled to 0–100 (klout and
-- peerindex as is, kred ÷ 10) and averaged over the providers present.
-- The average adds klout, kred, peerindex in that fixed order so the result
-- does not depend on how the engine partitions the rows.
WITH latest AS (
  SELECT
    n_handle,
    n_provider,
    CASE WHEN n_provider = 'kred' THEN score / 10.0 ELSE score END AS norm,
    row_number() OVER (
      PARTITION BY n_handle, n_provider
      ORDER BY scored_at DESC, score DESC
    ) AS rn
  FROM checked_influence_scores
  WHERE reject_reason IS NULL
    AND scored_at >= $influence_start
    AND scored_at < $window_end
),
per_account AS (
  SELECT
    h.account_id,
    max(CASE WHEN l.n_provider = 'klout' THEN l.norm END) AS klout,
    max(CASE WHEN l.n_provider = 'kred' THEN l.norm END) AS kred,
    max(CASE WHEN l.n_provider = 'peerindex' THEN l.norm END) AS peerindex
  FROM latest l
  JOIN handle_map h ON l.n_handle = h.handle
  WHERE l.rn = 1
  GROUP BY h.account_id
)
SELECT
  account_id,
  (coalesce(klout, 0.0) + coalesce(kred, 0.0) + coalesce(peerindex, 0.0))
    / CAST((CASE WHEN klout IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN kred IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN peerindex IS NULL THEN 0 ELSE 1 END) AS DOUBLE) AS influence_norm
FROM per_account
