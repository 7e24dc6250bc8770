-- explain-account: every row of the accounts snapshot whose account_id
-- (trimmed, as 01_check_accounts compares it) is $account_id, valid or
-- rejected: its reject_reason (NULL = the valid row) and source file.
SELECT c.reject_reason, f.source_file
FROM checked_accounts c
JOIN files_accounts f ON f.file_id = c.file_id
WHERE c.n_account_id = $account_id
ORDER BY f.source_file, c.reject_reason
