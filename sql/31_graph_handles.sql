-- 31_graph_handles: the handles of the interaction graph (docs/SPEC.md
-- §9.2): every src or dst of 30_interaction_edges, once, numbered 0 … N-1
-- in byte order of the handle (`node_id`, what the PageRank step works on).
SELECT
  handle,
  CAST(row_number() OVER (ORDER BY handle) - 1 AS BIGINT) AS node_id
FROM (
  SELECT src AS handle FROM interaction_edges
  UNION
  SELECT dst AS handle FROM interaction_edges
) h
