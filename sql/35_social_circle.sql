-- 35_social_circle: one row per scored account (customer_tiers), ordered by
-- account_id (docs/SPEC.md §9.3). The account's handle is its handle in the
-- handle map (NULL without a handle or with an ambiguous one). Over that
-- handle's circle (34_circle_links): circle_size (handles linked either
-- way), circle_customers (those that map to a scored account),
-- circle_value (the sum of their value_score, added as exact decimals);
-- mentions_received (the mentions' part of the in-weight,
-- 30_interaction_edges), network_influence (33_network_influence: network_ranks, NULL
-- when the handle is not in the graph) and circle_rank: row_number() by
-- network_influence desc (NULL last), circle_value desc, account_id.
WITH customers AS (
  SELECT m.handle, t.value_score
  FROM handle_map m
  JOIN customer_tiers t ON t.account_id = m.account_id
),
circles AS (
  SELECT
    l.handle,
    count(*) AS circle_size,
    count(c.handle) AS circle_customers,
    sum(CAST(c.value_score AS DECIMAL(18, 2))) AS circle_value
  FROM circle_links l
  JOIN handle_map own ON own.handle = l.handle
  LEFT JOIN customers c ON c.handle = l.linked
  GROUP BY l.handle
),
received AS (
  SELECT e.dst AS handle, sum(e.mentions) AS mentions_received
  FROM interaction_edges e
  JOIN handle_map own ON own.handle = e.dst
  GROUP BY e.dst
),
figures AS (
  SELECT
    t.account_id,
    m.handle,
    CAST(coalesce(c.circle_size, 0) AS BIGINT) AS circle_size,
    CAST(coalesce(c.circle_customers, 0) AS BIGINT) AS circle_customers,
    CAST(coalesce(c.circle_value, CAST(0 AS DECIMAL(18, 2))) AS DOUBLE) AS circle_value,
    CAST(coalesce(r.mentions_received, 0) AS BIGINT) AS mentions_received,
    n.network_influence
  FROM customer_tiers t
  LEFT JOIN handle_map m ON m.account_id = t.account_id
  LEFT JOIN circles c ON c.handle = m.handle
  LEFT JOIN received r ON r.handle = m.handle
  LEFT JOIN network_ranks n ON n.handle = m.handle
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
