-- weekly-active-users (ClickHouse): distinct actor pseudonyms per ISO week (Monday start, UTC).
-- Parameters: {from_ms:UInt64}, {to_ms:UInt64}: the days starting in [from, to) are counted, so the
-- first and last weeks may be partial. Merging the daily uniqExact states gives the exact weekly count.
SELECT
    toUInt32(toUInt16(toMonday(bucket))) * 86400 AS week,
    uniqExactMerge(actors) AS active_users
FROM daily_actors
WHERE toUInt64(toUInt16(bucket)) * 86400000 >= {from_ms:UInt64}
  AND toUInt64(toUInt16(bucket)) * 86400000 < {to_ms:UInt64}
GROUP BY week
ORDER BY week
