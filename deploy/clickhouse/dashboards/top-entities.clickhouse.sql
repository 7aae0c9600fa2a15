-- top-entities (ClickHouse): entities with the most distinct events of one action name.
-- Parameters: {from_ms:UInt64}, {to_ms:UInt64} (events in [from, to)), {action:String}, {limit:UInt32}.
-- uniqExact(event_id) counts each event once even before ReplacingMergeTree merged a redelivery.
-- The coarse event_time bounds let ClickHouse prune partitions and use the (action_name, event_time) key.
SELECT
    entity_type,
    entity_id,
    uniqExact(event_id) AS events
FROM events
WHERE action_name = {action:String}
  AND event_time >= toDateTime(intDiv({from_ms:UInt64}, 1000))
  AND event_time <= toDateTime(intDiv({to_ms:UInt64}, 1000))
  AND event_ts_ms >= {from_ms:UInt64}
  AND event_ts_ms < {to_ms:UInt64}
  AND entity_id != ''
GROUP BY entity_type, entity_id
ORDER BY events DESC, entity_type, entity_id
LIMIT {limit:UInt32}
