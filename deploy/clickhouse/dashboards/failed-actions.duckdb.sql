-- failed-actions (DuckDB): failed logins (*.login_failed) and other FAILURE events per UTC hour.
-- Parameters: $from_ms, $to_ms (events in [from, to)).
SELECT
    (event_ts_ms // 3600000) * 3600 AS hour,
    action_name,
    count(*) AS failures
FROM events
WHERE (status = 'FAILURE' OR ends_with(action_name, '.login_failed'))
  AND event_ts_ms >= $from_ms
  AND event_ts_ms < $to_ms
GROUP BY ALL
ORDER BY hour, action_name
