-- duration-percentiles (DuckDB): exact p50 and p95 of telemetry.duration_ms by source.
-- Parameters: $from_ms, $to_ms (events in [from, to)).
-- Same definition as ClickHouse's quantileExact: the element at 0-based rank floor(q * n).
SELECT
    source,
    count(*) AS events,
    list_sort(list(duration_ms))[CAST(floor(0.5 * count(*)) AS BIGINT) + 1] AS p50_ms,
    list_sort(list(duration_ms))[CAST(floor(0.95 * count(*)) AS BIGINT) + 1] AS p95_ms
FROM events
WHERE duration_ms IS NOT NULL
  AND event_ts_ms >= $from_ms
  AND event_ts_ms < $to_ms
GROUP BY ALL
ORDER BY source
