-- 26_tier_movements: how each account's tier moved since the previous
-- committed snapshot P (docs/SPEC.md §6). Every account scored on D
-- (customer_tiers) or on P (previous_tiers: P's published customer_tiers,
-- registered by the pipeline; empty when no date of the last
-- movement_lookback_days is committed), full outer joined on account_id.
-- movement compares the tiers, ranked bronze 1 < silver 2 < gold 3 <
-- platinum 4: up, down, same (same tier, whatever the scores did), new (not
-- scored on P, or no P at all), gone (scored on P, not on D). tier_steps =
-- rank(tier) - rank(previous_tier), null for new and gone; score_change =
-- round(value_score - previous_value_score, 2), null for new and gone.
-- previous_snapshot_date is P on every row (null when there is no P).
-- Kept: 27_tier_migration reads it too.
WITH paired AS (
  SELECT
    coalesce(d.account_id, p.account_id) AS account_id,
    p.tier AS previous_tier,
    d.tier AS tier,
    p.value_score AS previous_value_score,
    d.value_score AS value_score,
    p.account_id IS NOT NULL AS on_previous,
    d.account_id IS NOT NULL AS on_d
  FROM customer_tiers d
  FULL OUTER JOIN previous_tiers p ON p.account_id = d.account_id
),
ranked AS (
  SELECT
    x.*,
    CASE tier
      WHEN 'platinum' THEN 4 WHEN 'gold' THEN 3 WHEN 'silver' THEN 2 WHEN 'bronze' THEN 1
    END AS tier_rank,
    CASE previous_tier
      WHEN 'platinum' THEN 4 WHEN 'gold' THEN 3 WHEN 'silver' THEN 2 WHEN 'bronze' THEN 1
    END AS previous_rank
  FROM paired x
)
SELECT
  account_id,
  CAST($previous_snapshot_date AS DATE) AS previous_snapshot_date,
  previous_tier,
  tier,
  previous_value_score,
  value_score,
  round(value_score - previous_value_score, 2) AS score_change,
  CASE
    WHEN NOT on_previous THEN 'new'
    WHEN NOT on_d THEN 'gone'
    WHEN tier_rank > previous_rank THEN 'up'
    WHEN tier_rank < previous_rank THEN 'down'
    ELSE 'same'
  END AS movement,
  CAST(tier_rank - previous_rank AS INT) AS tier_steps
FROM ranked
