-- explain-account: the mentions 12_window_mentions matched to the account,
-- with the posted_at and source file of the kept (deduplicated) row.
SELECT w.mention_id, w.platform, w.author_handle, m.posted_at, w.sentiment, f.source_file
FROM window_mentions w
JOIN checked_mentions m
  ON m.n_mention_id = w.mention_id AND m.reject_reason IS NULL AND NOT m.is_duplicate
JOIN files_mentions f ON f.file_id = m.file_id
WHERE w.account_id = $account_id
ORDER BY m.posted_at, w.mention_id
