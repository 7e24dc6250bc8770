-- Audit pulse_counts: positive + neutral + negative + unknown = mentions,
-- where unknown = mentions - with_sentiment ≥ 0; matched_mentions and
-- unique_authors at most mentions; nothing negative (docs/checks.md). One
-- row: how many social_pulse groups break it, and the first one.
SELECT
  CAST(count(*) AS BIGINT) AS violations,
  min(dimension || '=' || dimension_value) AS example
FROM audited_social_pulse
WHERE mentions IS NULL OR with_sentiment IS NULL
  OR positive IS NULL OR neutral IS NULL OR negative IS NULL
  OR matched_mentions IS NULL OR unique_authors IS NULL
  OR positive < 0 OR neutral < 0 OR negative < 0 OR matched_mentions < 0 OR unique_authors < 0
  OR positive + neutral + negative <> with_sentiment
  OR with_sentiment > mentions
  OR matched_mentions > mentions
  OR unique_authors > mentions
