-- 23_nps_population: the responses NPS is computed over (docs/SPEC.md §4): the
-- latest response per valid account (any status) in the survey window
-- (15_latest_response), with the account's tier (closed accounts:
-- 'unscored'), segment, region and plan and the response's channel; NULL
-- values show as '(unknown)'. Computed once: 24_nps_aggregates reads it six
-- times (one per dimension).
SELECT
  r.score,
  coalesce(t.tier, 'unscored') AS tier,
  coalesce(a.segment, '(unknown)') AS segment,
  coalesce(a.region, '(unknown)') AS region,
  coalesce(a.plan, '(unknown)') AS plan,
  coalesce(r.channel, '(unknown)') AS channel
FROM latest_response r
JOIN valid_accounts a ON a.account_id = r.account_id
LEFT JOIN customer_tiers t ON t.account_id = r.account_id
