-- 35_circle_figures: social_circle's figures, one row per scored account
-- (customer_tiers), in no order (docs/SPEC.md §9.3); 35_social_circle adds
-- circle_rank and the order. The account's handle is its handle in the
-- handle map (NULL without a handle or with an ambiguous one). That
-- handle's circle_size, mentions_received (the mentions' part of the
-- in-weight) and network_influence (NULL when the handle is not in the
-- graph) come from network_ranks (the Rust step circle_graph);
-- circle_customers and circle_value from 34_circle_customers (0 when the
-- circle holds no customer).
SELECT
  t.account_id,
  m.handle,
  CAST(coalesce(r.circle_size, 0) AS BIGINT) AS circle_size,
  CAST(coalesce(c.customers_linked, 0) AS BIGINT) AS circle_customers,
  CAST(coalesce(c.customers_value, CAST(0 AS DECIMAL(18, 2))) AS DOUBLE) AS circle_value,
  CAST(coalesce(r.mentions_received, 0) AS BIGINT) AS mentions_received,
  r.network_influence
FROM customer_tiers t
LEFT JOIN handle_map m ON m.account_id = t.account_id
LEFT JOIN network_ranks r ON r.handle = m.handle
LEFT JOIN circle_customers c ON c.node_id = r.node_id
