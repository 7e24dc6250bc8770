-- 11_handle_map: normalized handle → account, for mentions and influence.
-- Only the scored population (active, suspended) counts. A handle held by
-- exactly one scored account maps to it; a handle shared by two or more is
-- ambiguous and maps to nobody.
SELECT
  social_handle AS handle,
  min(account_id) AS account_id
FROM valid_accounts
WHERE status IN ('active', 'suspended')
  AND social_handle IS NOT NULL
GROUP BY social_handle
HAVING count(*) = 1
