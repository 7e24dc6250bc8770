-- report/care_topics: D's published care_queue (registered as `t`) per
-- topic and route: its shouts, how many are past due when D ends
-- (due_at < $day_end = day_start(D + 1)) and how many carry churn intent;
-- the busiest topic first.
SELECT topic,
       route,
       COUNT(*) AS shouts,
       SUM(CASE WHEN due_at < $day_end THEN 1 ELSE 0 END) AS past_due,
       SUM(CASE WHEN churn_intent THEN 1 ELSE 0 END) AS churn_intent
FROM t
GROUP BY topic, route
ORDER BY shouts DESC, topic, route
