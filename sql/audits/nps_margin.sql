-- Audit nps_margin: every nps_aggregates.margin_of_error_95 is ≥ 0
-- (docs/checks.md). One row: how many groups are not, and the first one.
SELECT
  CAST(count(*) AS BIGINT) AS violations,
  min(dimension || '=' || dimension_value) AS example
FROM audited_nps_aggregates
WHERE margin_of_error_95 IS NULL OR isnan(margin_of_error_95) OR margin_of_error_95 < 0
