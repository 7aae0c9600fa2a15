-- The analytics read model of the canonical log: one row per canonical event, pseudonymized only.
-- Columns hold the actor pseudonym and never actor.id, IP, user agent or session (see docs/analytics.md).
--
-- Time: DateTime('UTC') + UInt16 milliseconds, because 18.16 has no DateTime64; event_ts_ms is the
-- epoch-millisecond instant computed from both, for exact [from, to) filters.
-- Dedup: ReplacingMergeTree keyed by the sorting key. action_name and event_time are functions of the
-- event, so a redelivered event has the same key as its first copy and merges away; until a merge
-- happens, dashboards count with uniqExact(event_id) or read with FINAL.
CREATE TABLE IF NOT EXISTS events (
    event_id String,
    event_time DateTime('UTC'),
    event_ms UInt16,
    observed_time DateTime('UTC'),
    observed_ms UInt16,
    source String,
    action_name String,
    action_type String,
    actor_type String,
    actor_pseudonym String,
    entity_type String,
    entity_id String,
    status String,
    error_code String,
    duration_ms Nullable(Float64),
    trace_id String,
    log_partition UInt32,
    log_offset UInt64,
    event_ts_ms UInt64 MATERIALIZED toUInt64(event_time) * 1000 + event_ms
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (action_name, event_time, event_id);
