-- Figures of customer_tiers for the anomaly checks (docs/checks.md): rows
-- per tier, to compare each tier's share with an earlier run.
SELECT tier, CAST(count(*) AS BIGINT) AS accounts
FROM audited_customer_tiers
GROUP BY tier
ORDER BY tier
