-- 18_scored_influence: 17_scored_accounts with the account's influence
-- (14_influence): influence_norm (null without a score) and the docs/SPEC.md §3
-- influence component (0 without a score).
SELECT
  s.*,
  i.influence_norm,
  coalesce(i.influence_norm / 100.0, 0.0) AS influence_score
FROM scored_accounts s
LEFT JOIN account_influence i ON i.account_id = s.account_id
