-- daily-active-users (DuckDB): distinct actor pseudonyms per UTC day.
-- Parameters: $from_ms, $to_ms (days starting in [from, to)).
SELECT
    (event_ts_ms // 86400000) * 86400 AS date,
    count(DISTINCT actor_pseudonym) AS active_users
FROM events
WHERE actor_pseudonym <> ''
  AND (event_ts_ms // 86400000) * 86400000 >= $from_ms
  AND (event_ts_ms // 86400000) * 86400000 < $to_ms
GROUP BY ALL
ORDER BY date
