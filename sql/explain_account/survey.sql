-- explain-account: the account's latest response (15_latest_response), with
-- the responded_at and source file of the kept (deduplicated) row.
SELECT l.response_id, s.responded_at, l.score, l.channel, f.source_file
FROM latest_response l
JOIN checked_surveys s
  ON s.n_response_id = l.response_id AND s.reject_reason IS NULL AND NOT s.is_duplicate
JOIN files_surveys f ON f.file_id = s.file_id
WHERE l.account_id = $account_id
