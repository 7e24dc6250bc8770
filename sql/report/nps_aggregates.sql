-- report/nps_aggregates: D's published nps_aggregates (registered as `t`),
-- every column, in the published order.
SELECT dimension, dimension_value, responses, promoters, passives, detractors,
       nps, margin_of_error_95, low_sample
FROM t
ORDER BY dimension, dimension_value
