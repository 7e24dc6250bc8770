-- 36_circle_prospects: handles of the graph that are not scored customers
-- and are linked (either way) to at least $prospect_min_customers scored
-- customers (docs/SPEC.md §9.4): customers_linked and customers_value
-- from 34_circle_customers, network_influence from network_ranks.
-- "Not a scored customer": no scored account (active or suspended) has the
-- handle, ambiguous handles included. prospect_order (customers_linked
-- desc, customers_value desc, handle) gives the row order and is not
-- written.
WITH prospects AS (
  SELECT
    r.handle,
    CAST(c.customers_linked AS BIGINT) AS customers_linked,
    CAST(c.customers_value AS DOUBLE) AS customers_value,
    r.network_influence
  FROM circle_customers c
  JOIN network_ranks r ON r.node_id = c.node_id
  WHERE c.customers_linked >= $prospect_min_customers
    AND NOT EXISTS (
      SELECT 1
      FROM valid_accounts a
      WHERE a.social_handle = r.handle
        AND a.status IN ('active', 'suspended')
    )
)
SELECT
  handle,
  customers_linked,
  customers_value,
  network_influence,
  row_number() OVER (
    ORDER BY customers_linked DESC, customers_value DESC, handle ASC
  ) AS prospect_order
FROM prospects
