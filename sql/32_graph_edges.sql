-- 32_graph_edges: 30_interaction_edges by node ids (31_graph_handles), the
-- input of the PageRank step (src/circle.rs, docs/SPEC.md §9.2), which
-- collects it and registers `node_influence` (node_id, network_influence).
SELECT
  s.node_id AS src_id,
  d.node_id AS dst_id,
  e.weight
FROM interaction_edges e
JOIN graph_handles s ON s.handle = e.src
JOIN graph_handles d ON d.handle = e.dst
