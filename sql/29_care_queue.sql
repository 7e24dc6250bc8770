-- 29_care_queue: the care queue of D (docs/SPEC.md §8), one row per shout,
-- in queue order. A post is a deduplicated valid mention (checked_mentions)
-- posted in [day_start(D-(queue_days-1)), day_start(D+1)). Its topic rules
-- come from care_topics (registered by the pipeline from [[care.topics]]:
-- rule_order, name, route, pattern, churn_intent, shout; `pattern` is the
-- rule's keywords as one case-insensitive whole-word regular expression
-- built in Rust): the first matching rule (lowest rule_order) names topic
-- and route, `other` / $other_route when none matches; churn_intent and a
-- rule's shout flag hold when ANY matching rule has them. A post is a shout
-- when sentiment <= negative_sentiment or a matching rule is a shout rule,
-- and it is not in queued_before (the committed care_queue partitions of
-- D-(queue_days-1) … D-1, registered by the pipeline; empty when none).
-- The author: a scored account when the handle maps to exactly one
-- (handle_map, then customer_tiers' tier, value_score, care_priority);
-- influence_norm is the handle's, as in 14_influence (its providers in
-- 14_handle_influence, the network one with `[influence] network_provider`),
-- for non-customers too, null for an ambiguous handle (held by two or more scored accounts).
-- Lanes (care_lanes, registered from [care.sla_minutes]: lane_order, lane,
-- sla): 1-4 customer_p1-p4 by care_priority; 5 influencer_prospect (no
-- scored account holds the handle, influence_norm >= influencer_threshold);
-- 6 public. due_at = posted_at + the lane's sla. queue_rank orders lane,
-- due_at, influence_norm desc (nulls last), sentiment asc (nulls last),
-- mention_id.
WITH posts AS (
  SELECT
    n_mention_id AS mention_id,
    n_platform AS platform,
    posted_at,
    n_author_handle AS author_handle,
    nullif(btrim(text, $ws), '') AS post_text,
    sentiment
  FROM checked_mentions
  WHERE reject_reason IS NULL
    AND NOT is_duplicate
    AND posted_at >= $queue_start
    AND posted_at < $window_end
),
matched AS (
  SELECT
    p.mention_id,
    min(t.rule_order) AS rule_order,
    bool_or(t.churn_intent) AS churn_intent,
    bool_or(t.shout) AS shout
  FROM posts p
  JOIN care_topics t ON regexp_like(p.post_text, t.pattern)
  GROUP BY p.mention_id
),
shouts AS (
  SELECT p.*, m.rule_order, coalesce(m.churn_intent, false) AS churn_intent
  FROM posts p
  LEFT JOIN matched m ON m.mention_id = p.mention_id
  WHERE (p.sentiment <= $negative_sentiment OR coalesce(m.shout, false))
    AND NOT EXISTS (SELECT 1 FROM queued_before q WHERE q.mention_id = p.mention_id)
),
ambiguous AS (
  SELECT social_handle AS handle
  FROM valid_accounts
  WHERE status IN ('active', 'suspended')
    AND social_handle IS NOT NULL
  GROUP BY social_handle
  HAVING count(*) > 1
),
authors AS (
  SELECT
    s.*,
    t.name AS rule_name,
    t.route AS rule_route,
    c.account_id,
    c.tier,
    c.value_score,
    c.care_priority,
    a.handle IS NOT NULL AS ambiguous,
    CASE WHEN a.handle IS NULL THEN
      (coalesce(h.klout, 0.0) + coalesce(h.kred, 0.0) + coalesce(h.peerindex, 0.0)
         + coalesce(h.network, 0.0))
      / CAST(nullif((CASE WHEN h.klout IS NULL THEN 0 ELSE 1 END)
                  + (CASE WHEN h.kred IS NULL THEN 0 ELSE 1 END)
                  + (CASE WHEN h.peerindex IS NULL THEN 0 ELSE 1 END)
                  + (CASE WHEN h.network IS NULL THEN 0 ELSE 1 END), 0) AS DOUBLE)
    END AS influence_norm
  FROM shouts s
  LEFT JOIN care_topics t ON t.rule_order = s.rule_order
  LEFT JOIN handle_map hm ON hm.handle = s.author_handle
  LEFT JOIN customer_tiers c ON c.account_id = hm.account_id
  LEFT JOIN ambiguous a ON a.handle = s.author_handle
  LEFT JOIN handle_influence h ON h.n_handle = s.author_handle
),
laned AS (
  SELECT
    x.*,
    CASE
      WHEN x.care_priority IS NOT NULL THEN x.care_priority
      WHEN NOT x.ambiguous AND x.influence_norm >= $influencer_threshold THEN 5
      ELSE 6
    END AS lane_order
  FROM authors x
)
SELECT
  x.mention_id,
  x.platform,
  x.posted_at,
  x.author_handle,
  x.post_text AS "text",
  x.sentiment,
  coalesce(x.rule_name, $other_topic) AS topic,
  coalesce(x.rule_route, $other_route) AS route,
  x.churn_intent,
  x.account_id,
  x.tier,
  x.value_score,
  x.care_priority,
  x.influence_norm,
  l.lane,
  x.posted_at + l.sla AS due_at,
  CAST(row_number() OVER (
    ORDER BY x.lane_order, x.posted_at + l.sla, x.influence_norm DESC NULLS LAST,
             x.sentiment ASC NULLS LAST, x.mention_id
  ) AS BIGINT) AS queue_rank
FROM laned x
JOIN care_lanes l ON l.lane_order = x.lane_order
