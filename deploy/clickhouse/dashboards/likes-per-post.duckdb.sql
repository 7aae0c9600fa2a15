-- likes-per-post (DuckDB): distinct like and unlike events per post, most liked first.
-- Parameters: $from_ms, $to_ms (events in [from, to)), $like_action, $unlike_action, $limit.
SELECT
    entity_id AS post_id,
    count(*) FILTER (WHERE action_name = $like_action) AS likes,
    count(*) FILTER (WHERE action_name = $unlike_action) AS unlikes,
    likes - unlikes AS net_likes
FROM events
WHERE action_name IN ($like_action, $unlike_action)
  AND entity_id <> ''
  AND event_ts_ms >= $from_ms
  AND event_ts_ms < $to_ms
GROUP BY entity_id
ORDER BY likes DESC, post_id
LIMIT $limit
