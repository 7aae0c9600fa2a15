-- Events per minute and action name, for the events_per_minute dashboard.
-- The materialized view sees every inserted block, duplicates included (ReplacingMergeTree dedups only
-- later, at merge time). A count would therefore double after a redelivery; the state is the exact set
-- of event ids instead (uniqExact), so a redelivered event adds nothing and the dashboard stays exact.
CREATE TABLE IF NOT EXISTS events_per_minute (
    bucket DateTime('UTC'),
    action_name String,
    event_ids AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, action_name);

CREATE MATERIALIZED VIEW IF NOT EXISTS events_per_minute_mv TO events_per_minute AS
SELECT
    toStartOfMinute(event_time) AS bucket,
    action_name,
    uniqExactState(event_id) AS event_ids
FROM events
GROUP BY bucket, action_name;
