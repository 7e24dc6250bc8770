-- 36_circle_prospects: handles of the graph that are not scored customers
-- and are linked (either way, 34_circle_links) to at least
-- $prospect_min_customers scored customers (docs/SPEC.md §9.4).
-- "Not a scored customer": no scored account (active or suspended) has the
-- handle, ambiguous handles included. A linked customer is a handle of the
-- handle map; customers_value is the sum of their value_score, added as
-- exact decimals. prospect_order (customers_linked desc, customers_value
-- desc, handle) gives the row order and is not written.
WITH scored_handles AS (
  SELECT social_handle AS handle
  FROM valid_accounts
  WHERE status IN ('active', 'suspended')
    AND social_handle IS NOT NULL
  GROUP BY social_handle
),
customers AS (
  SELECT m.handle, t.value_score
  FROM handle_map m
  JOIN customer_tiers t ON t.account_id = m.account_id
),
linked AS (
  SELECT
    l.handle,
    count(*) AS customers_linked,
    sum(CAST(c.value_score AS DECIMAL(18, 2))) AS customers_value
  FROM circle_links l
  JOIN customers c ON c.handle = l.linked
  LEFT JOIN scored_handles s ON s.handle = l.handle
  WHERE s.handle IS NULL
  GROUP BY l.handle
),
prospects AS (
  SELECT
    k.handle,
    CAST(k.customers_linked AS BIGINT) AS customers_linked,
    CAST(k.customers_value AS DOUBLE) AS customers_value,
    n.network_influence
  FROM linked k
  JOIN network_ranks n ON n.handle = k.handle
  WHERE k.customers_linked >= $prospect_min_customers
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
