-- duration-percentiles (ClickHouse): exact p50 and p95 of telemetry.duration_ms by source.
-- Parameters: {from_ms:UInt64}, {to_ms:UInt64} (events in [from, to)).
-- FINAL collapses redelivered copies first (count() with FINAL is exact on ReplacingMergeTree).
-- quantileExact(q) is the element at 0-based rank floor(q * n) of the sorted values.
SELECT
    source,
    count() AS events,
    quantileExact(0.5)(duration_ms) AS p50_ms,
    quantileExact(0.95)(duration_ms) AS p95_ms
FROM events FINAL
WHERE isNotNull(duration_ms)
  AND event_time >= toDateTime(intDiv({from_ms:UInt64}, 1000))
  AND event_time <= toDateTime(intDiv({to_ms:UInt64}, 1000))
  AND event_ts_ms >= {from_ms:UInt64}
  AND event_ts_ms < {to_ms:UInt64}
GROUP BY source
ORDER BY source
