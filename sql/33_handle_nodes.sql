-- 33_handle_nodes: every account of the handle map (docs/SPEC.md §3: the
-- scored accounts with an unambiguous handle) with its handle's node in
-- the interaction graph and that node's figures (docs/SPEC.md §9.3) from
-- network_ranks (the Rust step circle_graph): node_id, circle_size,
-- mentions_received (the mentions' part of the in-weight) and
-- network_influence; NULL node and influence, zero counts, when the
-- handle is in no edge. Planned by the Rust step social_circle
-- (src/circle/social.rs), which merges it with every scored account by
-- account_id.
SELECT
  m.account_id,
  m.handle,
  r.node_id,
  CAST(coalesce(r.circle_size, 0) AS BIGINT) AS circle_size,
  CAST(coalesce(r.mentions_received, 0) AS BIGINT) AS mentions_received,
  r.network_influence
FROM handle_map m
LEFT JOIN network_ranks r ON r.handle = m.handle
