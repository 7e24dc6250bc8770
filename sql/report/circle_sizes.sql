-- report/circle_sizes: D's social_circle (registered as `t`), one row per
-- scored account, counted per circle_size bucket 0, 1, 2–4, 5–9, 10–19,
-- 20–49, 50+ (each bucket named by its smallest size), with how many of
-- them have at least one other scored customer in their circle. A bucket
-- without accounts has no row (the page shows it as 0).
SELECT CASE WHEN circle_size >= 50 THEN 50
            WHEN circle_size >= 20 THEN 20
            WHEN circle_size >= 10 THEN 10
            WHEN circle_size >= 5 THEN 5
            WHEN circle_size >= 2 THEN 2
            ELSE circle_size END AS size_from,
       COUNT(*) AS accounts,
       SUM(CASE WHEN circle_customers > 0 THEN 1 ELSE 0 END) AS with_customers
FROM t
GROUP BY 1
ORDER BY 1
