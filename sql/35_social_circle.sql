-- 35_social_circle: one row per scored account (customer_tiers), ordered by
-- account_id (docs/SPEC.md §9.3). The account's handle is its handle in the
-- handle map (NULL without a handle or with an ambiguous one). That
-- handle's circle_size, mentions_received (the mentions' part of the
-- in-weight) and network_influence (NULL when the handle is not in the
-- graph) come from network_ranks (the Rust step circle_graph);
-- circle_customers and circle_value from 34_circle_customers (0 when the
-- circle holds no customer); circle_rank: row_number() by
-- network_influence desc (NULL last), circle_value desc, account_id.
WITH figures AS (
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
)
SELECT
  account_id,
  handle,
  circle_size,
  circle_customers,
  circle_value,
  mentions_received,
  network_influence,
  CAST(row_number() OVER (
    ORDER BY network_influence DESC NULLS LAST, circle_value DESC, account_id ASC
  ) AS BIGINT) AS circle_rank
FROM figures
