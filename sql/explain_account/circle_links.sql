-- explain-account: the top 10 handles of the account's circle (docs/SPEC.md
-- §9.3): each handle linked to the account's handle (its handle in the
-- handle map) either way in 30_interaction_edges, with the weight of the
-- edge from the account's handle (weight_out) and to it (weight_in), the
-- scored account the linked handle maps to (null for a non-customer) and
-- its network_influence (network_ranks). Ordered by
-- weight_out + weight_in desc, network_influence desc, handle.
WITH own AS (
  SELECT handle FROM handle_map WHERE account_id = $account_id
),
links AS (
  SELECT e.dst AS handle, e.weight AS weight_out, CAST(0 AS BIGINT) AS weight_in
  FROM interaction_edges e JOIN own o ON e.src = o.handle
  UNION ALL
  SELECT e.src AS handle, CAST(0 AS BIGINT) AS weight_out, e.weight AS weight_in
  FROM interaction_edges e JOIN own o ON e.dst = o.handle
),
linked AS (
  SELECT handle, sum(weight_out) AS weight_out, sum(weight_in) AS weight_in
  FROM links
  GROUP BY handle
)
SELECT handle, weight_out, weight_in, account_id, network_influence
FROM (
  SELECT
    l.handle,
    CAST(l.weight_out AS BIGINT) AS weight_out,
    CAST(l.weight_in AS BIGINT) AS weight_in,
    m.account_id,
    n.network_influence,
    l.weight_out + l.weight_in AS weight
  FROM linked l
  LEFT JOIN handle_map m ON m.handle = l.handle
  LEFT JOIN network_ranks n ON n.handle = l.handle
) x
ORDER BY weight DESC, network_influence DESC NULLS LAST, handle
LIMIT 10
