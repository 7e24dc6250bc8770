-- 14_influence: influence_norm (0–100) per scored account: the average of
-- its handle's providers (14_handle_influence: the latest scaled vendor
-- scores of 13_handle_scores and, with `[influence] network_provider`, the
-- network_influence of docs/SPEC.md §9.5) over the providers present. Only
-- handles of the handle map count. The average adds klout, kred,
-- peerindex, network in that fixed order so the result does not depend on
-- how the engine partitions the rows; without the network provider its
-- term is 0.0 and its count 0, so every value is what the three vendors
-- give (x + 0.0 = x).
SELECT
  h.account_id,
  (coalesce(p.klout, 0.0) + coalesce(p.kred, 0.0) + coalesce(p.peerindex, 0.0)
     + coalesce(p.network, 0.0))
    / CAST((CASE WHEN p.klout IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN p.kred IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN p.peerindex IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN p.network IS NULL THEN 0 ELSE 1 END) AS DOUBLE) AS influence_norm
FROM handle_influence p
JOIN handle_map h ON p.n_handle = h.handle
