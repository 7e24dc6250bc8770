-- report/value_histogram: accounts of D's customer_tiers (registered as
-- `t`) per value_score bin of width $bin_width; bin $last_bin also holds
-- the top of the scale (value_score 100).
SELECT
  LEAST(CAST(FLOOR(value_score / $bin_width) AS BIGINT), $last_bin) AS bin,
  COUNT(*) AS accounts
FROM t
WHERE value_score IS NOT NULL
GROUP BY 1
ORDER BY 1
