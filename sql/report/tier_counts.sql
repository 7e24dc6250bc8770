-- report/tier_counts: accounts per tier of one committed customer_tiers
-- partition (registered as `t`), for the tiers-over-time chart.
SELECT tier, COUNT(*) AS accounts
FROM t
GROUP BY tier
ORDER BY tier
