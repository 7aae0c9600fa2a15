-- events-per-minute (DuckDB): distinct events per UTC minute and action name.
-- Parameters: $from_ms, $to_ms (minutes starting in [from, to)), $action ('' = all).
-- events has one row per event id (primary key), so count(*) is exact.
SELECT
    (event_ts_ms // 60000) * 60 AS minute,
    action_name,
    count(*) AS events
FROM events
WHERE (event_ts_ms // 60000) * 60000 >= $from_ms
  AND (event_ts_ms // 60000) * 60000 < $to_ms
  AND ($action = '' OR action_name = $action)
GROUP BY ALL
ORDER BY minute, action_name
