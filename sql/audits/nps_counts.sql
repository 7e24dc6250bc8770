-- Audit nps_counts: promoters + passives + detractors = responses, none
-- negative (docs/checks.md). One row: how many groups break it, and the
-- first one.
SELECT
  CAST(count(*) AS BIGINT) AS violations,
  min(dimension || '=' || dimension_value) AS example
FROM audited_nps_aggregates
WHERE responses IS NULL
  OR promoters IS NULL OR passives IS NULL OR detractors IS NULL
  OR promoters < 0 OR passives < 0 OR detractors < 0
  OR promoters + passives + detractors <> responses
