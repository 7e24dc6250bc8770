-- 16_mention_features: per account, the docs/SPEC.md §3 mention features over the
-- mentions window (window_mentions): count, negative count, mean sentiment.
-- Only accounts with at least one mention in the window have a row.
SELECT
  account_id,
  count(*) AS mentions_30d,
  sum(CASE WHEN sentiment <= $negative_sentiment THEN 1 ELSE 0 END) AS negative_mentions_30d,
  -- exact decimal sum: the mean does not depend on the engine's partitioning
  CAST(sum(CAST(sentiment AS DECIMAL(38, 17))) AS DOUBLE)
    / CAST(count(sentiment) AS DOUBLE) AS avg_sentiment_30d
FROM window_mentions
WHERE account_id IS NOT NULL
GROUP BY account_id
