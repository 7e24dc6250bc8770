-- report/tier_migration: D's published tier_migration (registered as `t`),
-- in the published order (from_tier, then to_tier, platinum first).
SELECT from_tier, to_tier, movement, accounts
FROM t
