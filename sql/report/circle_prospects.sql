-- report/circle_prospects: the first $prospect_rows prospects of D's
-- circle_prospects (registered as `t`) in their published order
-- (customers_linked desc, customers_value desc, handle; a handle is one
-- row, so the order is total), each with its place and how many
-- prospects D has in all.
SELECT prospect_rank, prospects, handle, customers_linked, customers_value, network_influence
FROM (
  SELECT CAST(ROW_NUMBER() OVER (ORDER BY customers_linked DESC, customers_value DESC, handle) AS BIGINT)
           AS prospect_rank,
         COUNT(*) OVER () AS prospects,
         handle,
         customers_linked,
         customers_value,
         network_influence
  FROM t
) ranked
WHERE prospect_rank <= $prospect_rows
ORDER BY prospect_rank
