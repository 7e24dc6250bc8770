-- 02_check_mentions: the mentions rules of docs/SPEC.md §2.
-- Reads raw_mentions (every row of every partition in the mentions window's
-- date range) and produces checked_mentions: raw columns, normalized values
-- (n_*), reject_reason (NULL = valid) and is_duplicate.
-- A duplicate is the same mention_id delivered twice: among valid rows the
-- copy from the latest partition wins, then the latest posted_at, then the
-- highest sentiment (NULL lowest), then the source file that sorts last
-- (file_id: the files are numbered in URL order); the
-- remaining columns only break ties between otherwise identical copies.
-- Duplicates are resolved over all partitions read, before the time window.
-- Only the rows of a repeated mention_id (found with an aggregate) go through
-- the ranking window; the rest are single copies. A window over every row,
-- partitioned by mention_id, keeps one partition per mention: slow.
WITH trimmed AS (
  SELECT
    r.*,
    nullif(btrim(mention_id, $ws), '') AS n_mention_id,
    coalesce(lower(nullif(btrim(platform, $ws), '')), 'unknown') AS n_platform,
    lower(btrim(author_handle, $ws)) AS handle_lower
  FROM raw_mentions r
),
ruled AS (
  SELECT
    t.*,
    nullif(btrim(CASE WHEN starts_with(handle_lower, '@') THEN substr(handle_lower, 2)
                      ELSE handle_lower END, $ws), '') AS n_author_handle,
    CASE
      WHEN n_mention_id IS NULL THEN 'null_key'
      WHEN posted_at IS NULL THEN 'null_value:posted_at'
      WHEN isnan(sentiment) OR sentiment < -1 OR sentiment > 1 THEN 'invalid_value:sentiment'
    END AS reject_reason
  FROM trimmed t
),
repeated AS (
  SELECT n_mention_id AS repeated_id
  FROM ruled
  WHERE reject_reason IS NULL
  GROUP BY n_mention_id
  HAVING count(*) > 1
),
tagged AS (
  SELECT r.*, r.reject_reason IS NULL AND d.repeated_id IS NOT NULL AS contested
  FROM repeated d
  RIGHT JOIN ruled r ON r.n_mention_id = d.repeated_id
)
SELECT
  mention_id, platform, author_handle, posted_at, sentiment, text,
  file_id, snapshot_date,
  n_mention_id, n_platform, n_author_handle,
  reject_reason,
  false AS is_duplicate
FROM tagged
WHERE NOT contested
UNION ALL
SELECT
  mention_id, platform, author_handle, posted_at, sentiment, text,
  file_id, snapshot_date,
  n_mention_id, n_platform, n_author_handle,
  reject_reason,
  row_number() OVER (
    PARTITION BY n_mention_id
    ORDER BY snapshot_date DESC, posted_at DESC, sentiment DESC NULLS LAST,
             file_id DESC, n_platform, n_author_handle NULLS LAST, text NULLS LAST
  ) > 1 AS is_duplicate
FROM tagged
WHERE contested
