-- failed-actions (ClickHouse): failed logins (*.login_failed) and other FAILURE events per UTC hour.
-- Parameters: {from_ms:UInt64}, {to_ms:UInt64} (events in [from, to)).
-- Hours are computed from epoch seconds, independent of the server's time zone.
SELECT
    intDiv(toUInt32(event_time), 3600) * 3600 AS hour,
    action_name,
    uniqExact(event_id) AS failures
FROM events
WHERE (status = 'FAILURE' OR endsWith(action_name, '.login_failed'))
  AND event_time >= toDateTime(intDiv({from_ms:UInt64}, 1000))
  AND event_time <= toDateTime(intDiv({to_ms:UInt64}, 1000))
  AND event_ts_ms >= {from_ms:UInt64}
  AND event_ts_ms < {to_ms:UInt64}
GROUP BY hour, action_name
ORDER BY hour, action_name
