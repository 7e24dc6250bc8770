-- 19_scored_mentions: 18_scored_influence with the mention features of
-- 16_mention_features (zero mentions for an account without any).
SELECT
  s.*,
  coalesce(f.mentions_30d, 0) AS mentions_30d,
  coalesce(f.negative_mentions_30d, 0) AS negative_mentions_30d,
  f.avg_sentiment_30d
FROM scored_influence s
LEFT JOIN mention_features f ON f.account_id = s.account_id
