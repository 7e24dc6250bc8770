-- 30_interaction_edges: the interaction graph of the run (docs/SPEC.md §9.1),
-- one row per directed edge src -> dst with its weight.
-- From the mentions: the deduplicated valid mentions posted inside the
-- mentions window, each mention giving an edge from its normalized author
-- handle to every handle its text names (counted once per mention, however
-- often the text repeats it). A handle in a text is '@' followed by runs of
-- [A-Za-z0-9_] joined by single dots, lower-cased; the '@' must start the
-- text or follow a character that is not an ASCII letter, digit, '_', '.'
-- or '@' (so e-mail addresses and '@@x' name nobody). The regular
-- expression marks each such handle between chr(31) separators, with
-- chr(30) in front (both first replaced by spaces in the text, which does
-- not change which '@' starts a handle), and the marked pieces are kept.
-- From the connections: the valid rows observed inside the connections
-- window; each distinct (handle, connected_handle, kind) adds 1.
-- Edges from or to an own handle ($own_handles, comma-separated,
-- normalized) and self-edges are dropped: the list is a constant in the
-- filter, not a one-row table joined to every edge (that cross join is a
-- nested loop join with the edges as its build side, which under a memory
-- limit spilled and lost rows: BENCHMARKS.md, "Memory limit"). `mentions`
-- is the mentions' part of the weight (social_circle's mentions_received).
WITH texts AS (
  SELECT
    n_mention_id AS mention_id,
    n_author_handle AS src,
    regexp_replace(
      translate(text, chr(30) || chr(31), '  '),
      '(^|[^A-Za-z0-9_.@])@([A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*)',
      '${1}' || chr(31) || chr(30) || '${2}' || chr(31),
      'g'
    ) AS marked
  FROM checked_mentions
  WHERE reject_reason IS NULL
    AND NOT is_duplicate
    AND posted_at >= $mentions_start
    AND posted_at < $window_end
    AND n_author_handle IS NOT NULL
    AND strpos(text, '@') > 0
),
pieces AS (
  SELECT mention_id, src, unnest(string_to_array(marked, chr(31))) AS piece
  FROM texts
),
named AS (
  -- one row per (mention, handle named)
  SELECT mention_id, src, lower(substr(piece, 2)) AS dst
  FROM pieces
  WHERE starts_with(piece, chr(30))
  GROUP BY mention_id, src, lower(substr(piece, 2))
),
mention_pairs AS (
  SELECT src, dst, count(*) AS mentions
  FROM named
  GROUP BY src, dst
),
connection_kinds AS (
  SELECT n_handle AS src, n_connected_handle AS dst, n_kind
  FROM checked_connections
  WHERE reject_reason IS NULL
    AND observed_at >= $circle_start
    AND observed_at < $window_end
  GROUP BY n_handle, n_connected_handle, n_kind
),
connection_pairs AS (
  SELECT src, dst, count(*) AS links
  FROM connection_kinds
  GROUP BY src, dst
),
joined AS (
  SELECT
    coalesce(m.src, c.src) AS src,
    coalesce(m.dst, c.dst) AS dst,
    coalesce(m.mentions, 0) AS mentions,
    coalesce(c.links, 0) AS links
  FROM mention_pairs m
  FULL OUTER JOIN connection_pairs c ON c.src = m.src AND c.dst = m.dst
)
SELECT
  j.src,
  j.dst,
  CAST(j.mentions + j.links AS BIGINT) AS weight,
  CAST(j.mentions AS BIGINT) AS mentions
FROM joined j
WHERE j.src <> j.dst
  AND NOT array_has(string_to_array($own_handles, ','), j.src)
  AND NOT array_has(string_to_array($own_handles, ','), j.dst)
