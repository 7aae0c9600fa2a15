-- events-per-minute (ClickHouse): distinct events per UTC minute and action name.
-- Parameters: {from_ms:UInt64}, {to_ms:UInt64} (minutes starting in [from, to)), {action:String} ('' = all).
-- Reads the events_per_minute aggregate (uniqExact states of event ids): exact after redelivery.
SELECT
    toUInt32(bucket) AS minute,
    action_name,
    uniqExactMerge(event_ids) AS events
FROM events_per_minute
WHERE toUInt64(bucket) * 1000 >= {from_ms:UInt64}
  AND toUInt64(bucket) * 1000 < {to_ms:UInt64}
  AND ({action:String} = '' OR action_name = {action:String})
GROUP BY bucket, action_name
ORDER BY minute, action_name
