-- explain-account: the other valid accounts holding the account's handle,
-- with their status and whether they are scored (have a customer_tiers row).
SELECT o.account_id, o.status, c.account_id IS NOT NULL AS scored
FROM valid_accounts v
JOIN valid_accounts o ON o.social_handle = v.social_handle AND o.account_id <> v.account_id
LEFT JOIN customer_tiers c ON c.account_id = o.account_id
WHERE v.account_id = $account_id
ORDER BY o.account_id
