-- explain-account: per provider, the influence row behind the score
-- 13_handle_scores took for the account's handle: a 12_window_influence row
-- of that handle and provider carrying that scaled value (the latest such
-- row, then the file that sorts last, when several carry it).
SELECT DISTINCT ON (w.n_provider)
  w.n_provider AS provider, w.score, w.divisor, w.norm, w.scored_at, f.source_file
FROM valid_accounts v
JOIN handle_scores s ON s.n_handle = v.social_handle
JOIN window_influence w ON w.n_handle = s.n_handle
  AND w.norm = CASE w.n_provider
                 WHEN 'klout' THEN s.klout
                 WHEN 'kred' THEN s.kred
                 WHEN 'peerindex' THEN s.peerindex
               END
JOIN files_influence_scores f ON f.file_id = w.file_id
WHERE v.account_id = $account_id
ORDER BY w.n_provider, w.scored_at DESC, f.source_file DESC
