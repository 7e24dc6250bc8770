-- report/care_lanes: D's published care_queue (registered as `t`) per
-- lane: its shouts, how many are already past due when D ends
-- (due_at < $day_end, which is day_start(D + 1)) and how many carry churn
-- intent. Lanes with no shout have no row (the page shows them as 0).
SELECT lane,
       COUNT(*) AS shouts,
       SUM(CASE WHEN due_at < $day_end THEN 1 ELSE 0 END) AS past_due,
       SUM(CASE WHEN churn_intent THEN 1 ELSE 0 END) AS churn_intent
FROM t
GROUP BY lane
ORDER BY lane
