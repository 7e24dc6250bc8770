-- 35_social_circle: social_circle (docs/SPEC.md §9.3): the figures of
-- 35_circle_figures with circle_rank, row_number() by network_influence
-- desc (NULL last), circle_value desc, account_id; written ordered by
-- account_id.
-- Computed without sorting every account twice: an account whose handle is
-- not in the graph (network_influence NULL) has no circle, so circle_value
-- 0, and ranks after the G accounts in the graph; among those it is
-- ordered by account_id alone. So the accounts in the graph (few) are
-- ranked by the full order (in_graph), and every other account gets G +
-- the number of such accounts up to it in account_id order: a running
-- count over account_id, the order the output is written in anyway.
WITH in_graph AS (
  SELECT
    account_id,
    CAST(row_number() OVER (
      ORDER BY network_influence DESC, circle_value DESC, account_id ASC
    ) AS BIGINT) AS graph_rank
  FROM circle_figures
  WHERE network_influence IS NOT NULL
),
graph_size AS (
  SELECT count(*) AS accounts FROM in_graph
)
SELECT
  f.account_id,
  f.handle,
  f.circle_size,
  f.circle_customers,
  f.circle_value,
  f.mentions_received,
  f.network_influence,
  CAST(coalesce(
    g.graph_rank,
    s.accounts + sum(CASE WHEN g.graph_rank IS NULL THEN 1 ELSE 0 END) OVER (
      ORDER BY f.account_id ASC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
  ) AS BIGINT) AS circle_rank
FROM circle_figures f
LEFT JOIN in_graph g ON g.account_id = f.account_id
CROSS JOIN graph_size s
