-- 05_check_connections: the connections rules of docs/SPEC.md §2 (§9).
-- Reads raw_connections (every row of every partition in the connections
-- window's date range; none when the table or a partition is missing) and
-- produces checked_connections: raw columns, normalized values (n_*),
-- reject_reason (NULL = valid) and is_duplicate (always false: a link seen
-- again is not a duplicate to drop; 30_interaction_edges counts each
-- distinct (handle, connected_handle, kind) once).
-- Both handles are normalized as handles are (lower(trim(h)), one leading
-- '@' removed, trimmed again); kind is a code, lower-cased.
WITH trimmed AS (
  SELECT
    r.*,
    lower(btrim(handle, $ws)) AS handle_lower,
    lower(btrim(connected_handle, $ws)) AS connected_lower,
    lower(nullif(btrim(kind, $ws), '')) AS n_kind
  FROM raw_connections r
),
normalized AS (
  SELECT
    t.*,
    nullif(btrim(CASE WHEN starts_with(handle_lower, '@') THEN substr(handle_lower, 2)
                      ELSE handle_lower END, $ws), '') AS n_handle,
    nullif(btrim(CASE WHEN starts_with(connected_lower, '@') THEN substr(connected_lower, 2)
                      ELSE connected_lower END, $ws), '') AS n_connected_handle
  FROM trimmed t
)
SELECT
  handle, connected_handle, kind, observed_at,
  file_id, snapshot_date,
  n_handle, n_connected_handle, n_kind,
  CASE
    WHEN n_handle IS NULL THEN 'null_key'
    WHEN n_connected_handle IS NULL THEN 'null_value:connected_handle'
    WHEN n_kind IS NULL THEN 'null_value:kind'
    WHEN n_kind NOT IN ('follows', 'reply', 'retweet', 'other') THEN 'invalid_value:kind'
    WHEN observed_at IS NULL THEN 'null_value:observed_at'
  END AS reject_reason,
  false AS is_duplicate
FROM normalized
