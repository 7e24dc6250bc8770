-- 27_tier_migration: the tier migration matrix (docs/SPEC.md §6): how many
-- accounts of 26_tier_movements went from each tier on P to each tier on D,
-- '(none)' standing for "not scored" (new accounts come from it, gone ones
-- go to it). Every cell is listed, zero counts included (a full matrix for
-- heatmaps): the four tiers and '(none)' on each side, except '(none)' to
-- '(none)', which no account can be: 24 rows. from_order and to_order
-- (platinum 1, gold 2, silver 3, bronze 4, '(none)' 5) give the row order
-- and are not written. movement as in 26_tier_movements.
WITH tiers AS (
  SELECT * FROM (VALUES
    ('platinum', 1), ('gold', 2), ('silver', 3), ('bronze', 4), ('(none)', 5)
  ) AS t(tier, tier_order)
),
cells AS (
  SELECT f.tier AS from_tier, f.tier_order AS from_order, t.tier AS to_tier, t.tier_order AS to_order
  FROM tiers f
  CROSS JOIN tiers t
  WHERE f.tier_order < 5 OR t.tier_order < 5
),
pairs AS (
  -- grouped on the tiers as they are; '(none)' is put in on the few groups
  SELECT previous_tier, tier, count(*) AS accounts
  FROM tier_movements
  GROUP BY previous_tier, tier
),
counts AS (
  SELECT
    coalesce(previous_tier, '(none)') AS from_tier,
    coalesce(tier, '(none)') AS to_tier,
    accounts
  FROM pairs
)
SELECT
  CAST($previous_snapshot_date AS DATE) AS previous_snapshot_date,
  c.from_tier,
  c.to_tier,
  CASE
    WHEN c.from_order = 5 THEN 'new'
    WHEN c.to_order = 5 THEN 'gone'
    WHEN c.to_order < c.from_order THEN 'up'
    WHEN c.to_order > c.from_order THEN 'down'
    ELSE 'same'
  END AS movement,
  CAST(coalesce(k.accounts, 0) AS BIGINT) AS accounts,
  c.from_order,
  c.to_order
FROM cells c
LEFT JOIN counts k ON k.from_tier = c.from_tier AND k.to_tier = c.to_tier
