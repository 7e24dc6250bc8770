-- Audit queue_rank: care_queue.queue_rank is exactly 1..n, n the rows, and
-- each mention is queued once (docs/checks.md, docs/SPEC.md §8). One row:
-- how many ranks are null, outside 1..n or repeated, plus how many
-- mention_id values repeat, and the smallest offending rank.
WITH ranked AS (
  SELECT queue_rank, count(*) OVER () AS n
  FROM audited_care_queue
),
ranks AS (
  SELECT queue_rank, n, count(*) AS copies
  FROM ranked
  GROUP BY queue_rank, n
),
bad_ranks AS (
  SELECT count(*) AS violations, min(queue_rank) AS example
  FROM ranks
  WHERE queue_rank IS NULL OR queue_rank < 1 OR queue_rank > n OR copies > 1
),
bad_mentions AS (
  SELECT count(*) AS violations
  FROM (
    SELECT mention_id FROM audited_care_queue GROUP BY mention_id HAVING count(*) > 1
  ) repeated
)
SELECT
  CAST(r.violations + m.violations AS BIGINT) AS violations,
  r.example
FROM bad_ranks r CROSS JOIN bad_mentions m
