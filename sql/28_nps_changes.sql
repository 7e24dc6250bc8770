-- 28_nps_changes: NPS on D against the previous non-overlapping window
-- (docs/SPEC.md §6). For each group of D's nps_aggregates, the same group
-- of baseline_nps: the published nps_aggregates of B = D - nps_days,
-- registered by the pipeline (empty when B is not committed). The change
-- and its margin use the published (rounded) nps values, so
-- change = nps_now - nps_before as shown. margin_of_error_95_change is the
-- adjusted-Wald two-sample margin (Rocks 2016): per side n' = n + 3,
-- p' = (promoters + 0.75)/n', d' = (detractors + 0.75)/n',
-- var = p' + d' - (p' - d')^2, margin = 196 sqrt(var_now/n'_now +
-- var_before/n'_before), rounded to 2. significant = |change| > margin.
-- Before-columns, change, margin and significant are null when there is no
-- baseline or the group is not in it; low_sample = either side under
-- min_responses (only D's side when there is no before side).
WITH sides AS (
  SELECT
    d.dimension,
    d.dimension_value,
    d.responses AS responses_now,
    d.nps AS nps_now,
    b.responses AS responses_before,
    b.nps AS nps_before,
    CAST(d.responses + 3 AS DOUBLE) AS n_now,
    (CAST(d.promoters AS DOUBLE) + 0.75) / CAST(d.responses + 3 AS DOUBLE) AS p_now,
    (CAST(d.detractors AS DOUBLE) + 0.75) / CAST(d.responses + 3 AS DOUBLE) AS d_now,
    CAST(b.responses + 3 AS DOUBLE) AS n_before,
    (CAST(b.promoters AS DOUBLE) + 0.75) / CAST(b.responses + 3 AS DOUBLE) AS p_before,
    (CAST(b.detractors AS DOUBLE) + 0.75) / CAST(b.responses + 3 AS DOUBLE) AS d_before
  FROM nps_aggregates d
  LEFT JOIN baseline_nps b
    ON b.dimension = d.dimension AND b.dimension_value = d.dimension_value
),
compared AS (
  SELECT
    s.*,
    round(nps_now - nps_before, 2) AS change,
    round(196.0 * sqrt(
      (p_now + d_now - (p_now - d_now) * (p_now - d_now)) / n_now
      + (p_before + d_before - (p_before - d_before) * (p_before - d_before)) / n_before
    ), 2) AS margin
  FROM sides s
)
SELECT
  dimension,
  dimension_value,
  CAST($baseline_snapshot_date AS DATE) AS baseline_snapshot_date,
  responses_before,
  responses_now,
  nps_before,
  nps_now,
  change,
  margin AS margin_of_error_95_change,
  abs(change) > margin AS significant,
  responses_now < $min_responses OR coalesce(responses_before < $min_responses, false)
    AS low_sample
FROM compared
