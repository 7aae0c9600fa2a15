-- Distinct actor pseudonyms per UTC day, for the daily and weekly active users dashboards.
-- A set state (uniqExact) is idempotent under redelivery, and states of the days of a week merge into
-- the exact weekly distinct count.
CREATE TABLE IF NOT EXISTS daily_actors (
    bucket Date,
    actors AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY bucket;

CREATE MATERIALIZED VIEW IF NOT EXISTS daily_actors_mv TO daily_actors AS
SELECT
    toDate(event_time) AS bucket,
    uniqExactState(actor_pseudonym) AS actors
FROM events
WHERE actor_pseudonym != ''
GROUP BY bucket;
