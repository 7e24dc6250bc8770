-- report/circle_influence: the scored accounts of D's social_circle
-- (registered as `t`) whose handle is in the interaction graph
-- (network_influence not null), counted per network_influence band and
-- vendor influence band. Bands have width $band_width over 0 … 100, named
-- by their index; band $last_band also holds 100. The vendor band is that
-- of the account's influence_norm in D's customer_tiers (registered as
-- `tiers`), null when it has no vendor score. influence_norm is the vendors'
-- alone only while [influence] network_provider is off (SPEC §9.5); the
-- page does not show this comparison otherwise.
SELECT LEAST(CAST(FLOOR(t.network_influence / $band_width) AS BIGINT), $last_band) AS network_band,
       -- LEAST skips a null argument: a null influence_norm stays null here
       CASE WHEN c.influence_norm IS NOT NULL
            THEN LEAST(CAST(FLOOR(c.influence_norm / $band_width) AS BIGINT), $last_band)
            END AS vendor_band,
       COUNT(*) AS accounts
FROM t
JOIN tiers c ON c.account_id = t.account_id
WHERE t.network_influence IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
