-- top-entities (DuckDB): entities with the most distinct events of one action name.
-- Parameters: $from_ms, $to_ms (events in [from, to)), $action, $limit.
SELECT
    entity_type,
    entity_id,
    count(*) AS events
FROM events
WHERE action_name = $action
  AND event_ts_ms >= $from_ms
  AND event_ts_ms < $to_ms
  AND entity_id <> ''
GROUP BY ALL
ORDER BY events DESC, entity_type, entity_id
LIMIT $limit
