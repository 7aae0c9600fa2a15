-- daily-active-users (ClickHouse): distinct actor pseudonyms per UTC day.
-- Parameters: {from_ms:UInt64}, {to_ms:UInt64} (days starting in [from, to)).
-- Reads the daily_actors aggregate; a Date is a day number, so day * 86400 is its UTC start in seconds.
SELECT
    toUInt32(toUInt16(bucket)) * 86400 AS date,
    uniqExactMerge(actors) AS active_users
FROM daily_actors
WHERE toUInt64(toUInt16(bucket)) * 86400000 >= {from_ms:UInt64}
  AND toUInt64(toUInt16(bucket)) * 86400000 < {to_ms:UInt64}
GROUP BY bucket
ORDER BY date
