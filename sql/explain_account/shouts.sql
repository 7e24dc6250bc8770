-- explain-account: the account's shouts in D's care queue (29_care_queue),
-- in queue order, with lane and due time.
SELECT queue_rank, mention_id, posted_at, lane, due_at, topic, route, churn_intent, sentiment
FROM care_queue
WHERE account_id = $account_id
ORDER BY queue_rank
