-- report/social_pulse: D's published social_pulse (registered as `t`),
-- every column, in the published order.
SELECT dimension, dimension_value, mentions, with_sentiment, positive, neutral,
       negative, unique_authors, matched_mentions, match_rate, avg_sentiment,
       social_nps
FROM t
ORDER BY dimension, dimension_value
