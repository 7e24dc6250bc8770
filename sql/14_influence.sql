-- 14_influence: influence_norm (0–100) per scored account: the average of
-- its handle's latest scaled scores (13_handle_scores) over the providers
-- present. Only handles of the handle map count. The average adds klout,
-- kred, peerindex in that fixed order so the result does not depend on how
-- the engine partitions the rows.
SELECT
  h.account_id,
  (coalesce(p.klout, 0.0) + coalesce(p.kred, 0.0) + coalesce(p.peerindex, 0.0))
    / CAST((CASE WHEN p.klout IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN p.kred IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN p.peerindex IS NULL THEN 0 ELSE 1 END) AS DOUBLE) AS influence_norm
FROM handle_scores p
JOIN handle_map h ON p.n_handle = h.handle
