/**
 * Prometheus metrics of every Quintet process (served on /metrics). Label values are topology,
 * topic, partition, store, stage and reason codes only — never identifiers, so never PII.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 10, 100, 500, 1_000, 5_000, 10_000, 50_000, 100_000];

export class QuintetMetrics {
  readonly registry: Registry;
  readonly recordsIn: Counter<'topology' | 'topic'>;
  readonly recordsOut: Counter<'topology' | 'topic'>;
  readonly deadLetters: Counter<'topology' | 'stage' | 'reason'>;
  readonly processingLatency: Histogram<'topology'>;
  readonly consumerLag: Gauge<'topology' | 'topic' | 'partition'>;
  readonly commitLatency: Histogram<'topology'>;
  readonly stateStoreEntries: Gauge<'topology' | 'store'>;
  readonly vaultCacheRequests: Counter<'result'>;
  readonly sinkBatchRows: Histogram<'sink'>;
  readonly sinkBatchLatency: Histogram<'sink'>;
  readonly lateRecordsDropped: Counter<'topology' | 'store'>;
  readonly chainHeadSequence: Gauge<'partition'>;
  readonly httpRequests: Counter<'route' | 'status'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    if (options.defaultMetrics ?? false) collectDefaultMetrics({ register: this.registry, prefix: 'quintet_process_' });
    this.recordsIn = new Counter({ name: 'quintet_records_in_total', help: 'Records consumed', labelNames: ['topology', 'topic'], registers });
    this.recordsOut = new Counter({ name: 'quintet_records_out_total', help: 'Records produced', labelNames: ['topology', 'topic'], registers });
    this.deadLetters = new Counter({
      name: 'quintet_dead_letters_total',
      help: 'Records sent to the dead-letter topic, by stage and reason code',
      labelNames: ['topology', 'stage', 'reason'],
      registers,
    });
    this.processingLatency = new Histogram({
      name: 'quintet_processing_latency_seconds',
      help: 'Time from consuming a batch to handing its outputs to the producer',
      labelNames: ['topology'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'quintet_consumer_lag',
      help: 'Records between the committed offset and the end of the partition',
      labelNames: ['topology', 'topic', 'partition'],
      registers,
    });
    this.commitLatency = new Histogram({
      name: 'quintet_commit_latency_seconds',
      help: 'Duration of commits (transaction commit under exactly-once)',
      labelNames: ['topology'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.stateStoreEntries = new Gauge({ name: 'quintet_state_store_entries', help: 'Entries per state store', labelNames: ['topology', 'store'], registers });
    this.vaultCacheRequests = new Counter({
      name: 'quintet_vault_cache_requests_total',
      help: 'PII vault pseudonym lookups by cache result (hit or miss)',
      labelNames: ['result'],
      registers,
    });
    this.sinkBatchRows = new Histogram({ name: 'quintet_sink_batch_rows', help: 'Rows per sink batch', labelNames: ['sink'], buckets: BATCH_BUCKETS, registers });
    this.sinkBatchLatency = new Histogram({
      name: 'quintet_sink_batch_seconds',
      help: 'Duration of one sink batch write',
      labelNames: ['sink'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.lateRecordsDropped = new Counter({
      name: 'quintet_late_records_dropped_total',
      help: 'Records later than window end plus grace, dropped',
      labelNames: ['topology', 'store'],
      registers,
    });
    this.chainHeadSequence = new Gauge({ name: 'quintet_chain_head_sequence', help: 'Sequence number of each chain head', labelNames: ['partition'], registers });
    this.httpRequests = new Counter({ name: 'quintet_http_requests_total', help: 'HTTP API requests', labelNames: ['route', 'status'], registers });
  }

  /** Vault cache hit rate so far (0..1), or undefined before any lookup. */
  async vaultCacheHitRate(): Promise<number | undefined> {
    const values = (await this.vaultCacheRequests.get()).values;
    const hits = values.find((v) => v.labels.result === 'hit')?.value ?? 0;
    const misses = values.find((v) => v.labels.result === 'miss')?.value ?? 0;
    return hits + misses === 0 ? undefined : hits / (hits + misses);
  }
}
