/**
 * The analytics topology (design Parts 6 and 7): canonical topic → analytics row → micro-batched sink
 * into ClickHouse (Kafka mode) or the DuckDB twin (embedded mode).
 *
 *   source `canonical-source` (canonical topic, CanonicalEnvelope values)
 *     → processor `analytics-sink` (AnalyticsSinkProcessor: row mapping, BatchingSink)
 *
 * It is an independent topology with its own application id (`<applicationId>-analytics`), so that
 * analytics lag never slows the feeds or the canonical pipeline. Each task (input partition) has its
 * own sink buffer and flushes it before its offsets can be committed; all tasks share one writer.
 */
import type { Serde } from '../streams/serdes.js';
import { recordTimestampExtractor } from '../streams/time.js';
import { Topology } from '../streams/topology.js';
import { encodeJsonEachRow, type AnalyticsRow } from '../processors/analytics/analytics-row.js';
import { AnalyticsSinkProcessor, type CanonicalEnvelopeValue } from '../processors/analytics/analytics-sink-processor.js';
import { BatchingSink, type BatchWriter, type BatchWritten, type RetryInfo } from '../processors/analytics/batching-sink.js';
import type { BackoffPolicy, MicroBatchLimits } from '../processors/analytics/micro-batcher.js';

export const ANALYTICS_SOURCE = 'canonical-source';
export const ANALYTICS_SINK = 'analytics-sink';

/** How rows are handed to a store: JSONEachRow lines for ClickHouse, row objects for DuckDB. */
export type AnalyticsStoreWriter =
  | { readonly kind: 'clickhouse'; readonly writer: BatchWriter<string> }
  | { readonly kind: 'duckdb'; readonly writer: BatchWriter<AnalyticsRow> };

export interface AnalyticsTopologyOptions {
  readonly canonicalTopic: string;
  readonly keySerde: Serde<unknown>;
  /** Decodes canonical-topic values (the Avro serde of the schema registry in Kafka mode). */
  readonly valueSerde: Serde<CanonicalEnvelopeValue>;
  readonly store: AnalyticsStoreWriter;
  readonly limits?: Partial<MicroBatchLimits>;
  readonly backoff?: BackoffPolicy;
  readonly onRetry?: (info: RetryInfo) => void;
  readonly onWritten?: (info: BatchWritten) => void;
}

/** Rough JSON size of a row, for the byte limit of the DuckDB path (ClickHouse measures its lines). */
function approximateRowBytes(row: AnalyticsRow): number {
  return 160 + row.event_id.length + row.source.length + row.action_name.length + row.actor_pseudonym.length + row.entity_id.length + row.entity_type.length;
}

export function buildAnalyticsTopology(options: AnalyticsTopologyOptions): Topology {
  const hooks = {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
    ...(options.onWritten === undefined ? {} : { onWritten: options.onWritten }),
  };
  const store = options.store;
  const supplier =
    store.kind === 'clickhouse'
      ? () => new AnalyticsSinkProcessor<string>(new BatchingSink<string>({ writer: store.writer, measure: (line) => line.length + 1, ...hooks }), encodeJsonEachRow)
      : () => new AnalyticsSinkProcessor<AnalyticsRow>(new BatchingSink<AnalyticsRow>({ writer: store.writer, measure: approximateRowBytes, ...hooks }), (row) => row);
  return new Topology()
    .addSource(ANALYTICS_SOURCE, options.canonicalTopic, {
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      // No windows here: the log time is enough, and an event with an unusable event time must reach
      // toAnalyticsRow to be dead-lettered with its analytics reason.
      timestampExtractor: recordTimestampExtractor,
    })
    .addProcessor(ANALYTICS_SINK, supplier, ANALYTICS_SOURCE);
}
