/**
 * The analytics topology (design Parts 6 and 7): canonical topic → analytics row → micro-batched sink
 * into ClickHouse (Kafka mode) or the DuckDB twin (embedded mode).
 *
 *   source `canonical-source` (canonical topic: CanonicalEnvelope values, or with ClickHouse each
 *                              record transcoded straight to its RowBinary row)
 *     → processor `analytics-sink` (AnalyticsSinkProcessor: row mapping, BatchingSink)
 *
 * It is an independent topology with its own application id (`<applicationId>-analytics`), so that
 * analytics lag never slows the feeds or the canonical pipeline. Each task (input partition) has its
 * own sink buffer, and its offsets are committed only once the store acknowledged the rows before
 * them (the processor's `writesAcknowledged`); all tasks share one writer.
 * With ClickHouse, rows accumulate across consumed batches up to the limits (or the commit); with
 * DuckDB (embedded mode) every consumed batch is written before `process()` returns.
 */
import avro from 'avsc';
import { ConfluentAvroCodec, type WriterSchemaSource } from '../connectors/schema-registry/avro-codec.js';
import { MAGIC_BYTE, WIRE_HEADER_BYTES } from '../connectors/schema-registry/wire-format.js';
import { canonicalEventAvroSchema } from '../schemas/avro.js';
import { QuintetError } from '../core/errors.js';
import type { Headers } from '../streams/processor.js';
import type { MaybePromise, Serde } from '../streams/serdes.js';
import { recordTimestampExtractor } from '../streams/time.js';
import { Topology } from '../streams/topology.js';
import type { AnalyticsEventFields, AnalyticsRow } from '../processors/analytics/analytics-row.js';
import { ANALYTICS_EVENT_PATHS, projectAvroRecord } from '../processors/analytics/analytics-projection.js';
import { AnalyticsSinkProcessor, type AnalyticsSourceValue, type CanonicalEnvelopeValue, type FlushPolicy } from '../processors/analytics/analytics-sink-processor.js';
import { completeLogPosition, compileRowBinaryTranscoder, type RowBinaryTranscoder } from '../processors/analytics/avro-row-binary.js';
import { BatchingSink, type BatchWriter, type BatchWritten, type RetryInfo, type RowBinaryCapable } from '../processors/analytics/batching-sink.js';
import { encodeRowBinary } from '../processors/analytics/row-binary.js';
import type { BackoffPolicy, MicroBatchLimits } from '../processors/analytics/micro-batcher.js';

export const ANALYTICS_SOURCE = 'canonical-source';
export const ANALYTICS_SINK = 'analytics-sink';

/**
 * The store rows go to; the writer encodes each batch in the store's format (RowBinary for ClickHouse).
 * A writer that is RowBinaryCapable also takes rows the source transcoded straight from Avro.
 */
export interface AnalyticsStoreWriter {
  readonly kind: 'clickhouse' | 'duckdb';
  readonly writer: BatchWriter<AnalyticsRow> & Partial<RowBinaryCapable>;
}

export interface AnalyticsTopologyOptions {
  readonly canonicalTopic: string;
  readonly keySerde: Serde<unknown>;
  /**
   * Decodes canonical-topic values (in Kafka mode analyticsCanonicalSerde: RowBinary rows straight
   * from Avro; the store's writer must then be RowBinaryCapable).
   */
  readonly valueSerde: Serde<AnalyticsSourceValue>;
  readonly store: AnalyticsStoreWriter;
  readonly limits?: Partial<MicroBatchLimits>;
  /** Batches written at once per task (BatchingSink maxInFlight; default 1). */
  readonly maxInFlight?: number;
  /**
   * When rows are written: `commit` accumulates across consumed batches (needs a runtime that calls
   * the processor's `writesAcknowledged` before it commits), `batch-end` writes every consumed batch
   * before `process()` returns. Default: `commit` for ClickHouse, `batch-end` for DuckDB.
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
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
    ...(options.onWritten === undefined ? {} : { onWritten: options.onWritten }),
  };
  const store = options.store;
  const flushAt = options.flushAt ?? (store.kind === 'clickhouse' ? 'commit' : 'batch-end');
  const rowBinaryWriter = store.writer.rowBinaryWriter?.();
  const supplier =
    rowBinaryWriter === undefined
      ? () => new AnalyticsSinkProcessor<AnalyticsRow>(new BatchingSink<AnalyticsRow>({ writer: store.writer, measure: approximateRowBytes, ...hooks }), { fromRow: (row) => row }, flushAt)
      : () =>
          new AnalyticsSinkProcessor<Buffer>(
            new BatchingSink<Buffer>({ writer: rowBinaryWriter, measure: (row) => row.length, ...hooks }),
            // Rows of the general path (records the transcoder leaves to it) are encoded one by one.
            { fromRow: (row) => encodeRowBinary([row]), fromRowBinary: completeLogPosition },
            flushAt,
          );
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
 * The canonical topic's value serde for analytics, decoding: the records' writer schemas come from the
 * registry and are read into analyticsReaderSchema(), so the fields analytics does not store are
 * skipped, not decoded. Deserialize only (analytics writes nothing to Kafka but dead letters, which
 * carry the original bytes). The general path of analyticsCanonicalSerde, and the one for stores that
 * do not take RowBinary.
 */
export function analyticsProjectionSerde(registry: WriterSchemaSource): Serde<CanonicalEnvelopeValue> {
  const codec = new ConfluentAvroCodec<AnalyticsEventFields>(registry, { readerSchema: analyticsReaderSchema() });
  // The projected record has the event's fields at its top level (absent optional ones are null).
  const fromAvro = (event: AnalyticsEventFields): CanonicalEnvelopeValue => ({ event });
  return {
    name: 'avro-analytics-projection',
    serialize: readOnly,
    deserialize(_topic: string, data: Buffer | null, _headers: Headers): MaybePromise<CanonicalEnvelopeValue> {
      if (data === null) return null as unknown as CanonicalEnvelopeValue;
      const decoded = codec.decode(data);
      return decoded instanceof Promise ? decoded.then(fromAvro) : fromAvro(decoded);
    },
  };
}

const readOnly = (): never => {
  throw new QuintetError('ANALYTICS_SERDE_READ_ONLY', 'the analytics serdes only read the canonical topic');
};

/**
 * The canonical topic's value serde for the ClickHouse analytics topology: each record is transcoded
 * from its Avro bytes straight to its RowBinary row (processors/analytics/avro-row-binary.ts, one plan
 * per writer schema id); a record the transcoder leaves alone (unusual values, a writer schema it
 * cannot follow, an unknown id) is decoded by analyticsProjectionSerde, so its row, dead letter or
 * error is exactly today's. The first record of a schema id always takes the general path, which
 * fetches the writer schema (and fails for an unknown id as before); the plan is compiled after it.
 */
export function analyticsCanonicalSerde(registry: WriterSchemaSource): Serde<AnalyticsSourceValue> {
  const general = analyticsProjectionSerde(registry);
  const reader = avro.Type.forSchema(analyticsReaderSchema() as avro.Schema);
  /** Per writer schema id: its plan, or null when that schema always takes the general path. */
  const plans = new Map<number, RowBinaryTranscoder | null>();
  const compile = async (schemaId: number): Promise<void> => {
    let writer: avro.Type;
    try {
      writer = await registry.avroType(schemaId);
    } catch {
      return; // not cached after all: the next record of this id tries again
    }
    let plan: RowBinaryTranscoder | null = null;
    try {
      plan = compileRowBinaryTranscoder(writer, reader) ?? null;
    } catch {
      // A schema the compiler does not expect: its records keep the general path, which is exact.
    }
    plans.set(schemaId, plan);
  };
  return {
    name: 'avro-analytics-row-binary',
    serialize: readOnly,
    deserialize(topic: string, data: Buffer | null, headers: Headers): MaybePromise<AnalyticsSourceValue> {
      if (data === null || data.length < WIRE_HEADER_BYTES || data[0] !== MAGIC_BYTE) return general.deserialize(topic, data, headers);
      const schemaId = data.readUInt32BE(1);
      const plan = plans.get(schemaId);
      if (plan === undefined) {
        const decoded = general.deserialize(topic, data, headers);
        // Decoded: the writer schema is cached by now, compiling costs no request.
        return Promise.resolve(decoded).then(async (value) => {
          if (!plans.has(schemaId)) await compile(schemaId);
          return value;
        });
      }
      let row: Buffer | undefined;
      try {
        row = plan === null ? undefined : plan.transcode(data, WIRE_HEADER_BYTES);
      } catch {
        // Not expected (transcode declines instead of throwing); the general path's answer is the right one.
        row = undefined;
      }
      return row ?? general.deserialize(topic, data, headers);
    },
  };
}
