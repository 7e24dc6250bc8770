-- 14_handle_influence: each handle's influence providers, one row per
-- handle with at least one: klout, kred, peerindex (13_handle_scores, the
-- latest scaled scores) and, with $network_provider (`[influence]
-- network_provider`, docs/SPEC.md §9.5), `network`: the handle's
-- network_influence (network_scores: network_ranks' handle and
-- network_influence, registered by the Rust step circle_graph with the
-- provider, empty without it). A handle with only the network provider
-- gets a row too.
-- Without $network_provider the network side is empty: the rows are those
-- of 13_handle_scores with network NULL. Read by 14_influence (scored
-- accounts) and 29_care_queue (every author).
WITH network AS (
  SELECT handle AS n_handle, network_influence AS network
  FROM network_scores
  WHERE $network_provider = true
)
SELECT
  coalesce(p.n_handle, w.n_handle) AS n_handle,
  p.klout,
  p.kred,
  p.peerindex,
  w.network
FROM handle_scores p
FULL OUTER JOIN network w ON w.n_handle = p.n_handle
