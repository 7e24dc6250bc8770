-- 34_circle_customers: for every handle of the graph with at least one
-- scored customer in its circle (docs/SPEC.md §9.3, §9.4), by node id:
-- customers_linked, how many handles of its circle (circle_links, from the
-- Rust step circle_graph) the handle map maps to a scored account
-- (customer_tiers), and customers_value, the sum of their value_score
-- added as exact decimals. Read by 35_social_circle (circle_customers,
-- circle_value) and 36_circle_prospects; computed once for both, joined
-- on integer node ids.
WITH customers AS (
  SELECT r.node_id, t.value_score
  FROM handle_map m
  JOIN customer_tiers t ON t.account_id = m.account_id
  JOIN network_ranks r ON r.handle = m.handle
)
SELECT
  l.node_id,
  count(*) AS customers_linked,
  sum(CAST(c.value_score AS DECIMAL(18, 2))) AS customers_value
FROM circle_links l
JOIN customers c ON c.node_id = l.linked_id
GROUP BY l.node_id
