-- report/care_first: the first $first_rows shouts of D's published
-- care_queue (registered as `t`), in queue order, for the care desk's
-- table. A text longer than $text_chars characters is cut to its first
-- $text_chars (text_chars keeps the whole length); past_due says whether
-- the answer is due before D ends (due_at < $day_end = day_start(D + 1)).
SELECT queue_rank,
       lane,
       due_at,
       due_at < $day_end AS past_due,
       mention_id,
       platform,
       posted_at,
       author_handle,
       CASE WHEN CAST(character_length(text) AS BIGINT) > $text_chars
            THEN substr(text, 1, $text_chars)
            ELSE text END AS text,
       CAST(character_length(text) AS BIGINT) AS text_chars,
       sentiment,
       topic,
       route,
       churn_intent,
       account_id,
       tier,
       CAST(care_priority AS BIGINT) AS care_priority,
       influence_norm
FROM t
WHERE queue_rank <= $first_rows
ORDER BY queue_rank
