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
 * With ClickHouse, rows accumulate across consumed batches up to the limits (or the commit); with
 * DuckDB (embedded mode) every consumed batch is written before `process()` returns.
 */
import type { SchemaRegistryConnection } from '../connectors/schema-registry/client.js';
import { confluentAvroSerde } from '../connectors/schema-registry/avro-serde.js';
import { canonicalEventAvroSchema } from '../schemas/avro.js';
import { QuintetError } from '../core/errors.js';
import type { Serde } from '../streams/serdes.js';
import { recordTimestampExtractor } from '../streams/time.js';
import { Topology } from '../streams/topology.js';
import type { AnalyticsEventFields, AnalyticsRow } from '../processors/analytics/analytics-row.js';
import { ANALYTICS_EVENT_PATHS, projectAvroRecord } from '../processors/analytics/analytics-projection.js';
import { AnalyticsSinkProcessor, type CanonicalEnvelopeValue, type FlushPolicy } from '../processors/analytics/analytics-sink-processor.js';
import { BatchingSink, type BatchWriter, type BatchWritten, type RetryInfo } from '../processors/analytics/batching-sink.js';
import type { BackoffPolicy, MicroBatchLimits } from '../processors/analytics/micro-batcher.js';

export const ANALYTICS_SOURCE = 'canonical-source';
export const ANALYTICS_SINK = 'analytics-sink';

/** The store rows go to; the writer encodes each batch in the store's format (RowBinary for ClickHouse). */
export interface AnalyticsStoreWriter {
  readonly kind: 'clickhouse' | 'duckdb';
  readonly writer: BatchWriter<AnalyticsRow>;
}

export interface AnalyticsTopologyOptions {
  readonly canonicalTopic: string;
  readonly keySerde: Serde<unknown>;
  /** Decodes canonical-topic values (the Avro serde of the schema registry in Kafka mode). */
  readonly valueSerde: Serde<CanonicalEnvelopeValue>;
  readonly store: AnalyticsStoreWriter;
  readonly limits?: Partial<MicroBatchLimits>;
  /**
   * When rows are written: `commit` accumulates across consumed batches (needs a runtime that calls
   * the processor's `beforeCommit`), `batch-end` writes every consumed batch before `process()`
   * returns. Default: `commit` for ClickHouse, `batch-end` for DuckDB.
   */
  readonly flushAt?: FlushPolicy;
  readonly backoff?: BackoffPolicy;
  readonly onRetry?: (info: RetryInfo) => void;
  readonly onWritten?: (info: BatchWritten) => void;
}

/** Rough encoded size of a row, for the sink's byte limit (bounds memory; the exact size is not needed). */
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
  const flushAt = options.flushAt ?? (store.kind === 'clickhouse' ? 'commit' : 'batch-end');
  const supplier = () =>
    new AnalyticsSinkProcessor<AnalyticsRow>(new BatchingSink<AnalyticsRow>({ writer: store.writer, measure: approximateRowBytes, ...hooks }), (row) => row, flushAt);
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

let projectedSchema: Record<string, unknown> | undefined;
/** The reader schema of the analytics topology: the canonical schema with only the analytics fields. */
export function analyticsReaderSchema(): Record<string, unknown> {
  projectedSchema ??= projectAvroRecord(canonicalEventAvroSchema() as never, ANALYTICS_EVENT_PATHS);
  return projectedSchema;
}

/**
 * The canonical topic's value serde for analytics: the records' writer schemas come from the registry
 * and are read into analyticsReaderSchema(), so the fields analytics does not store are skipped, not
 * decoded. Deserialize only (analytics writes nothing to Kafka but dead letters, which carry the
 * original bytes).
 */
export function analyticsCanonicalSerde(registry: SchemaRegistryConnection): Serde<CanonicalEnvelopeValue> {
  return confluentAvroSerde<CanonicalEnvelopeValue>(registry, {
    schema: canonicalEventAvroSchema() as never,
    readerSchema: analyticsReaderSchema(),
    // The projected record has the event's fields at its top level (absent optional ones are null).
    fromAvro: (record) => ({ event: record as AnalyticsEventFields }),
    toAvro: () => {
      throw new QuintetError('ANALYTICS_SERDE_READ_ONLY', 'the analytics projection serde only reads the canonical topic');
    },
  });
}
