-- explain-account: the account's customer_tiers row (22_customer_tiers),
-- exactly as a run publishes it.
SELECT *
FROM customer_tiers
WHERE account_id = $account_id
