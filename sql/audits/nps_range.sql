-- Audit nps_range: every nps_aggregates.nps is within [-100, 100]
-- (docs/checks.md). One row: how many groups are not, and the first one.
SELECT
  CAST(count(*) AS BIGINT) AS violations,
  min(dimension || '=' || dimension_value) AS example
FROM audited_nps_aggregates
WHERE nps IS NULL OR isnan(nps) OR nps < -100 OR nps > 100
