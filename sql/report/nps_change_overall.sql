-- report/nps_change_overall: the overall row (dimension 'all') of D's
-- published nps_changes (registered as `t`), for the headline: D's NPS
-- against its baseline B, the change, its margin and whether it is
-- significant (each null when there is no B).
SELECT CAST(baseline_snapshot_date AS VARCHAR) AS baseline_snapshot_date,
       responses_before,
       responses_now,
       nps_before,
       nps_now,
       change,
       margin_of_error_95_change,
       significant
FROM t
WHERE dimension = 'all'
