/**
 * The embedded default: every Quintet topology in one process on the streams runtime's in-process
 * engine (the TopologyTestDriver), with the in-memory vault and feed stores and DuckDB for analytics.
 * No Kafka, Redis or ClickHouse. The topologies are the very same objects `quintet run` deploys on
 * Kafka; only the engine and the stores behind their contracts differ.
 *
 *   raw ─► [ingest] ─► canonical ─┬─► [feeds]     ─► inboxes, follow graph   (memory)
 *                                 ├─► [likes]     ─► notifications           (memory)
 *                                 └─► [analytics] ─► events table, dashboards (DuckDB)
 */
import type { QuintetConfig } from '../core/config.js';
import { MemoryVaultStore } from '../connectors/memory/vault-store.js';
import { MemoryErasureTombstones, MemoryFollowGraphStore, MemoryInboxStore, MemoryNotificationStore } from '../connectors/memory/feed-stores.js';
import { DuckDbAnalyticsStore } from '../connectors/duckdb/analytics-store.js';
import { FeedReader } from '../connectors/redis/feed-reader.js';
import { CanonicalTranslator } from '../processors/adapters/translator.js';
import { DashboardRunner } from '../processors/analytics/dashboards.js';
import { CheckpointSigner, type ChainCheckpoint } from '../processors/chain/checkpoint.js';
import { ChainVerifier, type VerificationReport } from '../processors/chain/chain-verifier.js';
import { erasureRequest } from '../processors/pseudonymization/erasure.js';
import { PiiVault } from '../processors/pseudonymization/pii-vault.js';
import { SUBJECT_KINDS } from '../processors/pseudonymization/vault-crypto.js';
import type { CanonicalEnvelope } from '../schemas/avro.js';
import { Serdes } from '../streams/serdes.js';
import { TopologyTestDriver, type RawTestRecord, type TestInputTopic } from '../streams/test-driver.js';
import { buildAnalyticsTopology } from '../topologies/analytics.js';
import { buildFeedsTopology } from '../topologies/feeds.js';
import { buildIngestTopology } from '../topologies/ingest.js';
import { buildLikesTopology } from '../topologies/likes.js';
import { embeddedSecrets, type EmbeddedSecrets } from './secrets.js';

export interface RawInput {
  readonly key?: string;
  readonly value: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EmbeddedPipelineOptions {
  readonly config: QuintetConfig;
  /** Partitions of the raw and canonical topics (one hash chain each); default config.topics.partitions. */
  readonly partitions?: number;
  /** Folder for the DuckDB file and generated keys; undefined keeps everything in memory. */
  readonly dataDir?: string;
  /** Folder for generated keys only (default: dataDir), e.g. so that an export can be verified later. */
  readonly keysDir?: string;
  /** Wall clock (epoch ms); default Date.now. */
  readonly now?: () => number;
  /** Wall-clock period of chain checkpoints; default 10 s. */
  readonly checkpointIntervalMs?: number;
}

/** Outcome of handing a batch of records from one topology to the next. */
interface Link {
  readonly from: TopologyTestDriver;
  readonly topic: string;
  readonly to: readonly TestInputTopic<Buffer, Buffer>[];
  cursor: number;
}

/** Stable grouping by partition: the order within each partition is kept. */
function byPartition<T extends { readonly partition: number }>(records: readonly T[]): T[] {
  return records
    .map((record, index) => ({ record, index }))
    .sort((a, b) => a.record.partition - b.record.partition || a.index - b.index)
    .map((entry) => entry.record);
}

export class EmbeddedPipeline {
  readonly config: QuintetConfig;
  readonly secrets: EmbeddedSecrets;
  readonly vault: PiiVault;
  readonly feedReader: FeedReader;
  readonly dashboards: DashboardRunner;
  readonly analytics: DuckDbAnalyticsStore;
  readonly partitions: number;
  readonly #ingest: TopologyTestDriver;
  readonly #readModels: readonly TopologyTestDriver[];
  readonly #raw: TestInputTopic<Buffer | null, Buffer>;
  readonly #erasure: TestInputTopic<Buffer | null, Buffer>;
  readonly #canonicalLink: Link;
  readonly #now: () => number;
  readonly #stores: {
    readonly graph: MemoryFollowGraphStore;
    readonly inboxes: MemoryInboxStore;
    readonly notifications: MemoryNotificationStore;
  };
  #closed = false;

  private constructor(options: EmbeddedPipelineOptions, analytics: DuckDbAnalyticsStore) {
    const config = options.config;
    this.config = config;
    this.#now = options.now ?? Date.now;
    this.partitions = options.partitions ?? config.topics.partitions;
    this.secrets = embeddedSecrets(config, options.keysDir ?? options.dataDir);
    this.analytics = analytics;
    const topics = config.topics;
    const start = this.#now();
    const driverOptions = (application: string) => ({
      applicationId: `${config.streams.applicationId}-${application}`,
      partitions: this.partitions,
      initialWallClockTimeMs: start,
      deadLetterTopic: topics.deadLetter,
      captureChangelogs: false,
    });

    this.vault = new PiiVault(new MemoryVaultStore(), { masterKeys: this.secrets.masterKeys, lookupKey: this.secrets.lookupKey });
    this.#ingest = new TopologyTestDriver(
      buildIngestTopology({
        topics,
        translator: new CanonicalTranslator({ limits: config.limits }),
        vault: this.vault,
        chainKeys: this.secrets.chainKeys,
        masterKeys: this.secrets.masterKeys,
        signer: new CheckpointSigner(this.secrets.signingKey),
        checkpointIntervalMs: options.checkpointIntervalMs ?? 10_000,
      }),
      driverOptions('ingest'),
    );
    this.#raw = this.#ingest.createInputTopic(topics.raw, Serdes.Bytes(), Serdes.Bytes()) as TestInputTopic<Buffer | null, Buffer>;
    this.#erasure = this.#ingest.createInputTopic(topics.erasureRequests, Serdes.Bytes(), Serdes.Bytes()) as TestInputTopic<Buffer | null, Buffer>;

    this.#stores = {
      graph: new MemoryFollowGraphStore(),
      inboxes: new MemoryInboxStore(),
      notifications: new MemoryNotificationStore(),
    };
    const feeds = new TopologyTestDriver(
      buildFeedsTopology({ canonicalTopic: topics.canonical, stores: { graph: this.#stores.graph, inboxes: this.#stores.inboxes, tombstones: new MemoryErasureTombstones() } }),
      driverOptions('feeds'),
    );
    const likes = new TopologyTestDriver(
      buildLikesTopology({ canonicalTopic: topics.canonical, stores: { notifications: this.#stores.notifications, tombstones: new MemoryErasureTombstones() } }),
      driverOptions('likes'),
    );
    const analyticsDriver = new TopologyTestDriver(
      buildAnalyticsTopology({
        canonicalTopic: topics.canonical,
        keySerde: Serdes.String() as never,
        valueSerde: Serdes.Json<CanonicalEnvelope>() as never,
        store: { kind: 'duckdb', writer: analytics },
      }),
      driverOptions('analytics'),
    );
    this.#readModels = [feeds, likes, analyticsDriver];
    this.#canonicalLink = {
      from: this.#ingest,
      topic: topics.canonical,
      to: this.#readModels.map((d) => d.createInputTopic(topics.canonical, Serdes.Bytes(), Serdes.Bytes()) as TestInputTopic<Buffer, Buffer>),
      cursor: 0,
    };
    this.feedReader = new FeedReader(this.#stores);
    this.dashboards = new DashboardRunner(analytics, { now: this.#now });
  }

  static async open(options: EmbeddedPipelineOptions): Promise<EmbeddedPipeline> {
    const analytics = await DuckDbAnalyticsStore.open(options.dataDir === undefined ? ':memory:' : `${options.dataDir}/analytics.duckdb`);
    return new EmbeddedPipeline(options, analytics);
  }

  /** Runs a batch of raw records through ingest and every read model. */
  async ingest(records: readonly RawInput[]): Promise<void> {
    const at = this.#now();
    const topic = this.config.topics.raw;
    // Like a Kafka consumer, hand each task its partition's records as one batch (one vault round trip,
    // one analytics flush per partition), keeping the order within each partition.
    const inputs = records.map((r) => {
      const key = r.key === undefined ? null : Buffer.from(r.key);
      return {
        key,
        value: typeof r.value === 'string' ? Buffer.from(r.value) : r.value,
        timestamp: at,
        partition: this.#ingest.partitionFor(topic, key, undefined),
        ...(r.headers === undefined ? {} : { headers: r.headers }),
      };
    });
    await this.#raw.pipeRecordListAsync(byPartition(inputs));
    await this.#propagate();
  }

  /**
   * Crypto-shreds a subject the way `quintet erase` does in Kafka mode: the request names the subject by
   * its lookup hashes only; the ingest topology shreds it and appends a chained `privacy.subject.erased`
   * event, which the read models obey.
   */
  async erase(subjectId: string): Promise<void> {
    const request = erasureRequest(
      SUBJECT_KINDS.map((kind) => this.vault.lookupHashOf({ kind, id: subjectId })),
      [],
      new Date(this.#now()),
    );
    await this.#erasure.pipeRecordListAsync([{ key: null, value: Buffer.from(JSON.stringify(request)), timestamp: this.#now() }]);
    await this.#propagate();
  }

  /** Advances every engine's wall clock: closes analytics micro-batches and writes chain checkpoints. */
  async tick(ms: number): Promise<void> {
    await this.#ingest.advanceWallClockTimeAsync(ms);
    await this.#propagate();
    for (const driver of this.#readModels) await driver.advanceWallClockTimeAsync(ms);
  }

  async #propagate(): Promise<void> {
    const link = this.#canonicalLink;
    const records = link.from.readRawRecords(link.topic);
    if (link.cursor >= records.length) return;
    const fresh = records.slice(link.cursor);
    link.cursor = records.length;
    const inputs = byPartition(fresh.map((r) => ({ key: r.key as Buffer, value: r.value as Buffer, timestamp: r.timestamp, headers: r.headers, partition: r.partition })));
    for (const topic of link.to) await topic.pipeRecordListAsync(inputs);
  }

  /** Records of a topic written by the ingest topology (canonical, dead letters, checkpoints). */
  records(topic: string): readonly RawTestRecord[] {
    return this.#ingest.readRawRecords(topic);
  }

  /** Dead letters of every topology. */
  deadLetters(): RawTestRecord[] {
    const topic = this.config.topics.deadLetter;
    return [this.#ingest, ...this.#readModels].flatMap((d) => (d.topics.includes(topic) ? [...d.readRawRecords(topic)] : []));
  }

  canonicalEnvelopes(): CanonicalEnvelope[] {
    return this.records(this.config.topics.canonical).map((r) => JSON.parse((r.value as Buffer).toString('utf8')) as CanonicalEnvelope);
  }

  checkpoints(): ChainCheckpoint[] {
    return this.records(this.config.topics.checkpoints).map((r) => JSON.parse((r.value as Buffer).toString('utf8')) as ChainCheckpoint);
  }

  /** Verifies every chain of the canonical log against the signed checkpoints. */
  verifyChains(): VerificationReport {
    const verifier = new ChainVerifier(this.secrets.chainKeys, this.checkpoints(), [this.secrets.verifyingKey]);
    for (const r of this.records(this.config.topics.canonical)) {
      const envelope = JSON.parse((r.value as Buffer).toString('utf8')) as CanonicalEnvelope;
      verifier.add({ partition: r.partition, offset: r.offset, event: envelope.event, chain: envelope.chain });
    }
    return verifier.report();
  }

  /** Counters of the streams engines (late drops, dead letters, records processed). */
  metrics(): Record<string, unknown> {
    return { ingest: this.#ingest.metrics, readModels: this.#readModels.map((d) => d.metrics) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ingest.close();
    for (const driver of this.#readModels) await driver.close();
    await this.vault.close();
    await this.analytics.close();
  }
}
