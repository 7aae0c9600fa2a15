-- weekly-active-users (DuckDB): distinct actor pseudonyms per ISO week (Monday start, UTC).
-- Parameters: $from_ms, $to_ms (days starting in [from, to); edge weeks may be partial).
-- Day 0 (1970-01-01) was a Thursday, so the Monday of day d is d - (d + 3) % 7.
SELECT
    ((event_ts_ms // 86400000) - ((event_ts_ms // 86400000) + 3) % 7) * 86400 AS week,
    count(DISTINCT actor_pseudonym) AS active_users
FROM events
WHERE actor_pseudonym <> ''
  AND (event_ts_ms // 86400000) * 86400000 >= $from_ms
  AND (event_ts_ms // 86400000) * 86400000 < $to_ms
GROUP BY ALL
ORDER BY week
