-- likes-per-post (ClickHouse): distinct like and unlike events per post, most liked first.
-- Parameters: {from_ms:UInt64}, {to_ms:UInt64} (events in [from, to)), {like_action:String},
-- {unlike_action:String}, {limit:UInt32}.
SELECT
    entity_id AS post_id,
    uniqExactIf(event_id, action_name = {like_action:String}) AS likes,
    uniqExactIf(event_id, action_name = {unlike_action:String}) AS unlikes,
    toInt64(likes) - toInt64(unlikes) AS net_likes
FROM events
WHERE action_name IN ({like_action:String}, {unlike_action:String})
  AND entity_id != ''
  AND event_time >= toDateTime(intDiv({from_ms:UInt64}, 1000))
  AND event_time <= toDateTime(intDiv({to_ms:UInt64}, 1000))
  AND event_ts_ms >= {from_ms:UInt64}
  AND event_ts_ms < {to_ms:UInt64}
GROUP BY entity_id
ORDER BY likes DESC, post_id
LIMIT {limit:UInt32}
