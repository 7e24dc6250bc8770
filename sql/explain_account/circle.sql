-- explain-account: the account's row of D's social_circle (35_social_circle,
-- docs/SPEC.md §9.3): its handle's circle size, customers, their value,
-- mentions received, network_influence and circle_rank.
SELECT handle, circle_size, circle_customers, circle_value, mentions_received,
       network_influence, circle_rank
FROM social_circle
WHERE account_id = $account_id
