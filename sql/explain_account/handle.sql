-- explain-account: the account's normalized handle and the account
-- 11_handle_map maps it to (NULL: nobody).
SELECT v.social_handle AS handle, h.account_id AS mapped_to
FROM valid_accounts v
LEFT JOIN handle_map h ON h.handle = v.social_handle
WHERE v.account_id = $account_id
  AND v.social_handle IS NOT NULL
