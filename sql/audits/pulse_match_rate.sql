-- Audit pulse_match_rate: social_pulse.match_rate is within [0, 1] and
-- equals matched_mentions / mentions (docs/checks.md). One row: how many
-- groups break it, and the first one.
SELECT
  CAST(count(*) AS BIGINT) AS violations,
  min(dimension || '=' || dimension_value) AS example
FROM audited_social_pulse
WHERE match_rate IS NULL OR isnan(match_rate)
  OR match_rate < 0 OR match_rate > 1
  OR mentions <= 0
  OR abs(match_rate - CAST(matched_mentions AS DOUBLE) / CAST(mentions AS DOUBLE)) > 1e-9
