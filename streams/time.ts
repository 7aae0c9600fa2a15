/**
 * Event time. A timestamp extractor chooses each record's event time; the default reads the
 * canonical `event_timestamp` (ISO-8601) of an object value and falls back to the record's own
 * timestamp, so canonical events are windowed by when they happened, not when Kafka saw them.
 */

export interface TimestampedInput<K, V> {
  readonly key: K;
  readonly value: V;
  /** The record's producer/broker timestamp. */
  readonly timestamp: number;
  readonly topic: string;
  readonly partition: number;
}

/**
 * Returns the event time in epoch ms. A negative or non-finite result is an invalid timestamp: the
 * record goes to the deserialization error handler with code INVALID_TIMESTAMP.
 * `partitionTime` is the largest timestamp the task has seen so far (-1 before the first record).
 */
export type TimestampExtractor<K = unknown, V = unknown> = (record: TimestampedInput<K, V>, partitionTime: number) => number;

/** The canonical `event_timestamp` when the value is an object carrying a parseable one, else the record timestamp. */
export const eventTimestampExtractor: TimestampExtractor = (record) => {
  const value = record.value as { event_timestamp?: unknown } | null;
  if (value !== null && typeof value === 'object') {
    const iso = value.event_timestamp;
    if (typeof iso === 'string') {
      const parsed = Date.parse(iso);
      if (!Number.isNaN(parsed)) return parsed;
    }
  }
  return record.timestamp;
};

/** Kafka's producer/broker timestamp, ignoring the payload. */
export const recordTimestampExtractor: TimestampExtractor = (record) => record.timestamp;
