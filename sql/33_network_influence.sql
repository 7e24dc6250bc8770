-- 33_network_influence: network_ranks, network_influence (0–100) per handle of the graph
-- (docs/SPEC.md §9.2): the PageRank step's `node_influence` joined back to
-- the handles of 31_graph_handles. Read by 36_social_circle and
-- 37_circle_prospects.
SELECT g.handle, n.network_influence
FROM graph_handles g
JOIN node_influence n ON n.node_id = g.node_id
