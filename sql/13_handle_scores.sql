-- 13_handle_scores: one row per handle with a valid score inside the
-- influence window (12_window_influence): for each provider (klout, kred,
-- peerindex) its latest score (ties: the higher score), scaled to 0–100
-- (12_window_influence's `norm`); null for a provider without a score.
-- "Latest, then highest" is two aggregates by handle (each provider's latest
-- scored_at, then the highest score at that instant) and one join on the
-- handle, rather than a window partitioned by (handle, provider), which
-- would keep one partition per pair, or aggregates by (handle, provider),
-- whose two-string groups take more memory and time.
WITH scores AS (
  SELECT n_handle, n_provider, scored_at, norm FROM window_influence
),
latest_at AS (
  SELECT
    n_handle,
    max(CASE WHEN n_provider = 'klout' THEN scored_at END) AS klout_at,
    max(CASE WHEN n_provider = 'kred' THEN scored_at END) AS kred_at,
    max(CASE WHEN n_provider = 'peerindex' THEN scored_at END) AS peerindex_at
  FROM scores
  GROUP BY n_handle
)
SELECT
  s.n_handle,
  max(CASE WHEN s.n_provider = 'klout' AND s.scored_at = l.klout_at THEN s.norm END) AS klout,
  max(CASE WHEN s.n_provider = 'kred' AND s.scored_at = l.kred_at THEN s.norm END) AS kred,
  max(CASE WHEN s.n_provider = 'peerindex' AND s.scored_at = l.peerindex_at THEN s.norm END)
    AS peerindex
FROM scores s
JOIN latest_at l ON l.n_handle = s.n_handle
GROUP BY s.n_handle
