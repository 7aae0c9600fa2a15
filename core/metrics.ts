/**
 * Prometheus metrics of every Quintet process (served on /metrics). Label values are topology,
 * topic, partition, store, stage and reason codes only — never identifiers, so never PII.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The streams runtime's counter interface (streams/metrics.ts), restated so that core depends on nothing. */
interface RuntimeCounters {
  increment(name: string, labels: Readonly<Record<string, string>>, by?: number): void;
}

/** A task as far as store sizes go (the streams runtime's StreamTask). */
interface TaskWithStores {
  readonly storeNames?: readonly string[];
  getStateStore?(name: string): unknown;
}

/** What the vault reports about its pseudonym cache (PiiVault.stats()). */
interface VaultCacheSource {
  stats(): { readonly hits: number; readonly misses: number; readonly cachedSubjects?: number };
}

/** streams/metrics.ts STREAMS_METRICS.dropped: records dropped on purpose, labelled by reason. */
const RUNTIME_DROPPED = 'streams_dropped_records_total';

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
  readonly vaultCachedSubjects: Gauge;
  readonly sinkBatchRows: Histogram<'sink'>;
  readonly sinkBatchLatency: Histogram<'sink'>;
  readonly lateRecordsDropped: Counter<'topology' | 'store'>;
  readonly chainHeadSequence: Gauge<'partition'>;
  readonly httpRequests: Counter<'route' | 'status'>;
  /** Refreshers of the figures that are read rather than counted (store sizes, chain heads, lag, vault cache), run at each scrape. */
  readonly #onScrape: (() => void | Promise<void>)[] = [];

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
    this.vaultCachedSubjects = new Gauge({
      name: 'quintet_vault_cached_subjects',
      help: 'Subjects in the PII vault cache of this process (those used within its time to live, at most its capacity)',
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

  /** Runs `refresh` before every scrape, to set gauges from the state they describe. */
  onScrape(refresh: () => void | Promise<void>): void {
    this.#onScrape.push(refresh);
  }

  /** The text exposition of every metric, after refreshing the figures that are read at scrape time. */
  async scrape(): Promise<string> {
    for (const refresh of this.#onScrape) await refresh();
    return this.registry.metrics();
  }

  /**
   * Binds the streams runtime's counters of one topology: late records dropped by windows. (Records in
   * and out and dead letters are counted where records cross the engine, see `recordProduced`.)
   */
  runtimeCounters(topology: string): RuntimeCounters {
    return {
      increment: (name, labels, by = 1) => {
        if (name === RUNTIME_DROPPED && labels.reason === 'late') this.lateRecordsDropped.inc({ topology, store: labels.node ?? '' }, by);
      },
    };
  }

  /** One record produced by a topology; dead letters also by stage and reason code (never by content). */
  recordProduced(topology: string, topic: string, deadLetter?: { readonly stage: string; readonly code: string }): void {
    this.recordsOut.inc({ topology, topic });
    if (deadLetter !== undefined) this.deadLetters.inc({ topology, stage: deadLetter.stage, reason: deadLetter.code });
  }

  /** Sets the entries of each state store of a topology, summed over its tasks; returns the store names seen. */
  reportStateStores(topology: string, tasks: Iterable<TaskWithStores>): Set<string> {
    const sizes = new Map<string, number>();
    for (const task of tasks) {
      for (const store of task.storeNames ?? []) {
        const state = task.getStateStore?.(store) as { approximateSize?(): number } | undefined;
        if (state?.approximateSize !== undefined) sizes.set(store, (sizes.get(store) ?? 0) + state.approximateSize());
      }
    }
    for (const [store, entries] of sizes) this.stateStoreEntries.set({ topology, store }, entries);
    return new Set(sizes.keys());
  }

  /** Reports the vault's cache hits and misses (counted by the vault itself) at each scrape. */
  observeVault(vault: VaultCacheSource): void {
    let reported = { hits: 0, misses: 0 };
    this.onScrape(() => {
      const now = vault.stats();
      if (now.hits > reported.hits) this.vaultCacheRequests.inc({ result: 'hit' }, now.hits - reported.hits);
      if (now.misses > reported.misses) this.vaultCacheRequests.inc({ result: 'miss' }, now.misses - reported.misses);
      reported = { hits: now.hits, misses: now.misses };
      if (now.cachedSubjects !== undefined) this.vaultCachedSubjects.set(now.cachedSubjects);
    });
  }

  sinkBatch(sink: string, rows: number, seconds: number): void {
    this.sinkBatchRows.observe({ sink }, rows);
    this.sinkBatchLatency.observe({ sink }, seconds);
  }

  /**
   * Times every call of a store's batch-write method (`writeBatch`, `upsertBatch`, …) as one sink batch.
   * The store is changed in place and returned.
   */
  instrumentBatches<S extends object>(store: S, method: keyof S & string, sink: string): S {
    const original = (store[method] as (batch: readonly unknown[]) => Promise<void>).bind(store);
    const timed = async (batch: readonly unknown[]): Promise<void> => {
      const started = performance.now();
      await original(batch);
      this.sinkBatch(sink, batch.length, (performance.now() - started) / 1000);
    };
    Object.defineProperty(store, method, { value: timed, configurable: true, writable: true });
    return store;
  }

  /** Vault cache hit rate so far (0..1), or undefined before any lookup. */
  async vaultCacheHitRate(): Promise<number | undefined> {
    const values = (await this.vaultCacheRequests.get()).values;
    const hits = values.find((v) => v.labels.result === 'hit')?.value ?? 0;
    const misses = values.find((v) => v.labels.result === 'miss')?.value ?? 0;
    return hits + misses === 0 ? undefined : hits / (hits + misses);
  }
}
