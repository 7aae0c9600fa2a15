/**
 * The embedded default: every Quintet topology in one process on the streams runtime's in-process
 * engine (the TopologyTestDriver), with the in-memory vault and feed stores and DuckDB for analytics.
 * No Kafka, Redis or ClickHouse. The topologies are the very same objects `quintet run` deploys on
 * Kafka; only the engine and the stores behind their contracts differ.
 *
 *   raw ─► [ingest] ─► canonical ─┬─► [feeds]     ─► inboxes, follow graph   (memory)
 *                                 ├─► [likes]     ─► notifications           (memory)
 *                                 └─► [analytics] ─► events table, dashboards (DuckDB)
 *
 * With a data folder (embedded/data-folder.ts) it is restartable: the topics it produced, the vault,
 * the feed stores and every topology's state stores (the ingest profile table included) are saved
 * after every batch, and a restarted pipeline continues each hash chain from the last saved entry (its
 * head is rebuilt from the saved log itself, so that the log and the head can never disagree).
 */
import type { QuintetConfig } from '../core/config.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { QuintetError } from '../core/errors.js';
import { QuintetMetrics } from '../core/metrics.js';
import { MemoryVaultStore, type MemoryVaultSnapshot } from '../connectors/memory/vault-store.js';
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
import type { ChainHead } from '../processors/chain/hash-chainer.js';
import type { CanonicalEnvelope } from '../schemas/avro.js';
import { readDeadLetterHeaders } from '../streams/dead-letter.js';
import { taskIdOf } from '../streams/kafka/internal-topics.js';
import type { ChangelogRecord } from '../streams/state/store.js';
import type { ReadOnlyKeyValueStore } from '../streams/state/key-value-store.js';
import { Serdes } from '../streams/serdes.js';
import { TopologyTestDriver, type RawTestRecord, type TestInputTopic } from '../streams/test-driver.js';
import type { Topology } from '../streams/topology.js';
import { buildAnalyticsTopology } from '../topologies/analytics.js';
import { buildFeedsTopology } from '../topologies/feeds.js';
import { buildIngestTopology, CHAIN_HEAD_STORE, USER_PROFILE_STORE } from '../topologies/ingest.js';
import { buildLikesTopology } from '../topologies/likes.js';
import { EmbeddedDataFolder } from './data-folder.js';
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
  /**
   * Data folder: generated keys, DuckDB, the produced topics, the vault, the feed stores and the state
   * stores, so that the pipeline can be stopped and started again; undefined keeps everything in memory.
   */
  readonly dataDir?: string;
  /** Folder for generated keys only (default: dataDir), e.g. so that an export can be verified later. */
  readonly keysDir?: string;
  /** Wall clock (epoch ms); default Date.now. */
  readonly now?: () => number;
  /** Wall-clock period of chain checkpoints; default 10 s. */
  readonly checkpointIntervalMs?: number;
  /** Prometheus metrics of the four topologies; default a fresh registry (`pipeline.metrics`). */
  readonly metrics?: QuintetMetrics;
  /** Structured logs (component `embedded`); default silent. Never given record contents. */
  readonly logger?: Logger;
  /** With a data folder: least time between two saves after batches (default 1 s; erasures and close always save). */
  readonly savePeriodMs?: number;
}

/** Metric label of each topology the pipeline runs. */
type EmbeddedTopology = 'ingest' | 'feeds' | 'likes' | 'analytics';

/** What the sealed snapshots of the data folder hold. */
const SEALED = { vault: 'vault', feeds: 'feed-stores' } as const;

interface FeedStoresSnapshot {
  readonly graph: ReturnType<MemoryFollowGraphStore['snapshot']>;
  readonly inboxes: ReturnType<MemoryInboxStore['snapshot']>;
  readonly notifications: ReturnType<MemoryNotificationStore['snapshot']>;
  readonly feedTombstones: ReturnType<MemoryErasureTombstones['snapshot']>;
  readonly likeTombstones: ReturnType<MemoryErasureTombstones['snapshot']>;
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

/** The head of each chain as the saved canonical log ends it: partition → changelog record of the `chain-heads` store. */
function chainHeadsOf(canonical: readonly RawTestRecord[], changelogTopic: string): Map<number, ChangelogRecord> {
  const heads = new Map<number, ChainHead>();
  for (const record of canonical) {
    const chain = (JSON.parse((record.value as Buffer).toString('utf8')) as CanonicalEnvelope).chain;
    if (chain === undefined || chain === null) continue;
    const known = heads.get(chain.partition);
    if (known === undefined || chain.sequence > known.sequence) heads.set(chain.partition, { sequence: chain.sequence, hash: chain.hash, key_id: chain.key_id });
  }
  return new Map(
    [...heads].map(([partition, head]) => [
      partition,
      { key: Serdes.Long().serialize(changelogTopic, partition, {}), value: Serdes.Json<ChainHead>().serialize(changelogTopic, head, {}) },
    ]),
  );
}

/** What a restarted pipeline starts from: the saved topics and stores (empty without a data folder). */
interface Saved {
  readonly folder: EmbeddedDataFolder | undefined;
  /** topic → records saved by earlier runs */
  readonly topics: Map<string, RawTestRecord[]>;
  readonly vault: MemoryVaultSnapshot | undefined;
  readonly feeds: FeedStoresSnapshot | undefined;
}

export class EmbeddedPipeline {
  readonly config: QuintetConfig;
  readonly secrets: EmbeddedSecrets;
  readonly vault: PiiVault;
  readonly feedReader: FeedReader;
  readonly dashboards: DashboardRunner;
  readonly analytics: DuckDbAnalyticsStore;
  readonly partitions: number;
  readonly metrics: QuintetMetrics;
  readonly #logger: Logger;
  readonly #ingest: TopologyTestDriver;
  readonly #readModels: readonly { readonly name: EmbeddedTopology; readonly driver: TopologyTestDriver }[];
  readonly #raw: TestInputTopic<Buffer | null, Buffer>;
  readonly #erasure: TestInputTopic<Buffer | null, Buffer>;
  readonly #canonicalLink: Link;
  readonly #now: () => number;
  readonly #vaultStore: MemoryVaultStore;
  readonly #stores: {
    readonly graph: MemoryFollowGraphStore;
    readonly inboxes: MemoryInboxStore;
    readonly notifications: MemoryNotificationStore;
    readonly feedTombstones: MemoryErasureTombstones;
    readonly likeTombstones: MemoryErasureTombstones;
  };
  readonly #folder: EmbeddedDataFolder | undefined;
  /** Records of earlier runs, by topic; this run's records follow them, their offsets continuing. */
  readonly #history: Map<string, RawTestRecord[]>;
  /** topic → partition → offset of the first record this run produced */
  readonly #offsetBase = new Map<string, number[]>();
  /** `<topology>\u0000<topic>` → records of that driver's topic already saved to the data folder */
  readonly #savedUpTo = new Map<string, number>();
  readonly #savePeriodMs: number;
  #lastSave = Number.NEGATIVE_INFINITY;
  #closed = false;

  private constructor(options: EmbeddedPipelineOptions, analytics: DuckDbAnalyticsStore, secrets: EmbeddedSecrets, saved: Saved) {
    const config = options.config;
    this.config = config;
    this.#now = options.now ?? Date.now;
    this.partitions = options.partitions ?? config.topics.partitions;
    this.secrets = secrets;
    this.analytics = analytics;
    this.metrics = options.metrics ?? new QuintetMetrics();
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'embedded' });
    this.#folder = saved.folder;
    this.#savePeriodMs = options.savePeriodMs ?? 1_000;
    this.#history = saved.topics;
    for (const [topic, records] of saved.topics) {
      const base: number[] = [];
      for (const r of records) base[r.partition] = Math.max(base[r.partition] ?? 0, Number(r.offset) + 1);
      this.#offsetBase.set(topic, base);
    }
    const topics = config.topics;
    const start = this.#now();
    const driverOptions = (application: EmbeddedTopology) => ({
      applicationId: `${config.streams.applicationId}-${application}`,
      partitions: this.partitions,
      initialWallClockTimeMs: start,
      deadLetterTopic: topics.deadLetter,
      captureChangelogs: false,
      metrics: this.metrics.runtimeCounters(application),
      onOutput: (record: RawTestRecord) => this.#produced(application, record),
    });

    this.#vaultStore = new MemoryVaultStore(saved.vault === undefined ? {} : { snapshot: saved.vault });
    this.vault = new PiiVault(this.#vaultStore, { masterKeys: secrets.masterKeys, lookupKey: secrets.lookupKey });
    this.metrics.observeVault(this.vault);
    const ingest: Topology = buildIngestTopology({
      topics,
      translator: new CanonicalTranslator({ limits: config.limits }),
      vault: this.vault,
      chainKeys: secrets.chainKeys,
      masterKeys: secrets.masterKeys,
      signer: new CheckpointSigner(secrets.signingKey),
      checkpointIntervalMs: options.checkpointIntervalMs ?? 10_000,
      // An erasure request reaches one partition; the others drop their profile copies through control records.
      partitions: this.partitions,
    });
    const ingestOptions = driverOptions('ingest');
    const savedCanonical = saved.topics.get(topics.canonical) ?? [];
    const stateDir = saved.folder === undefined ? {} : { stateDir: saved.folder.stateDirectory };
    if (saved.folder !== undefined) this.#resetChainHeadFiles(ingest, ingestOptions.applicationId, saved.folder, savedCanonical);
    // The ingest stores restore from the state files like the read models' (the profile table as saved).
    this.#ingest = new TopologyTestDriver(ingest, { ...ingestOptions, ...stateDir });
    this.#raw = this.#ingest.createInputTopic(topics.raw, Serdes.Bytes(), Serdes.Bytes()) as TestInputTopic<Buffer | null, Buffer>;
    this.#erasure = this.#ingest.createInputTopic(topics.erasureRequests, Serdes.Bytes(), Serdes.Bytes()) as TestInputTopic<Buffer | null, Buffer>;

    this.#stores = {
      graph: new MemoryFollowGraphStore(),
      inboxes: this.metrics.instrumentBatches(new MemoryInboxStore(), 'writeBatch', 'inboxes'),
      notifications: this.metrics.instrumentBatches(new MemoryNotificationStore(), 'upsertBatch', 'notifications'),
      feedTombstones: new MemoryErasureTombstones(),
      likeTombstones: new MemoryErasureTombstones(),
    };
    if (saved.feeds !== undefined) {
      this.#stores.graph.restore(saved.feeds.graph);
      this.#stores.inboxes.restore(saved.feeds.inboxes);
      this.#stores.notifications.restore(saved.feeds.notifications);
      this.#stores.feedTombstones.restore(saved.feeds.feedTombstones);
      this.#stores.likeTombstones.restore(saved.feeds.likeTombstones);
    }
    const feeds = new TopologyTestDriver(
      buildFeedsTopology({ canonicalTopic: topics.canonical, stores: { graph: this.#stores.graph, inboxes: this.#stores.inboxes, tombstones: this.#stores.feedTombstones } }),
      { ...driverOptions('feeds'), ...stateDir },
    );
    const likes = new TopologyTestDriver(
      buildLikesTopology({ canonicalTopic: topics.canonical, stores: { notifications: this.#stores.notifications, tombstones: this.#stores.likeTombstones } }),
      { ...driverOptions('likes'), ...stateDir },
    );
    const analyticsDriver = new TopologyTestDriver(
      buildAnalyticsTopology({
        canonicalTopic: topics.canonical,
        keySerde: Serdes.String() as never,
        valueSerde: Serdes.Json<CanonicalEnvelope>() as never,
        store: { kind: 'duckdb', writer: analytics },
        onWritten: (batch) => this.metrics.sinkBatch('duckdb', batch.rows, batch.seconds),
      }),
      { ...driverOptions('analytics'), ...stateDir },
    );
    this.#readModels = [
      { name: 'feeds', driver: feeds },
      { name: 'likes', driver: likes },
      { name: 'analytics', driver: analyticsDriver },
    ];
    this.#canonicalLink = {
      from: this.#ingest,
      topic: topics.canonical,
      to: this.#readModels.map((m) => m.driver.createInputTopic(topics.canonical, Serdes.Bytes(), Serdes.Bytes()) as TestInputTopic<Buffer, Buffer>),
      cursor: 0,
    };
    this.feedReader = new FeedReader(this.#stores);
    this.dashboards = new DashboardRunner(analytics, { now: this.#now });
    this.metrics.onScrape(() => this.#refreshGauges());
    if (saved.folder !== undefined) {
      this.#logger.info(
        { canonical_records: savedCanonical.length, vault_subjects: this.#vaultStore.size, partitions: this.partitions },
        savedCanonical.length > 0 ? 'resumed from the data folder' : 'data folder initialised',
      );
    }
  }

  /**
   * Replaces the ingest tasks' `chain-heads` state files with the heads the saved log ends with. The
   * chain heads come from the log itself rather than from their own file, so that a stop between two
   * writes can never make the head and the log disagree (a fork or a gap): the file is written during
   * a run like any store's, but only the log's heads are ever restored from it.
   */
  #resetChainHeadFiles(ingest: Topology, applicationId: string, folder: EmbeddedDataFolder, canonical: readonly RawTestRecord[]): void {
    const changelog = ingest.metadata(applicationId).changelogTopics.find((c) => c.store === CHAIN_HEAD_STORE);
    if (changelog === undefined) throw new QuintetError('EMBEDDED_TOPOLOGY_INVALID', `the ingest topology has no logged ${CHAIN_HEAD_STORE} store: its chains could not continue after a restart`);
    const heads = chainHeadsOf(canonical, changelog.topic);
    const files = folder.stateChangelogs(applicationId);
    for (let partition = 0; partition < this.partitions; partition++) {
      const head = heads.get(partition);
      files.replace(taskIdOf(changelog.subtopology, partition), CHAIN_HEAD_STORE, head === undefined ? [] : [head]);
    }
  }

  static async open(options: EmbeddedPipelineOptions): Promise<EmbeddedPipeline> {
    const secrets = embeddedSecrets(options.config, options.keysDir ?? options.dataDir);
    const partitions = options.partitions ?? options.config.topics.partitions;
    let saved: Saved = { folder: undefined, topics: new Map(), vault: undefined, feeds: undefined };
    if (options.dataDir !== undefined) {
      const folder = new EmbeddedDataFolder(options.dataDir, secrets.masterKeys);
      folder.checkLayout({ partitions });
      const topics = options.config.topics;
      saved = {
        folder,
        topics: new Map([topics.canonical, topics.checkpoints, topics.deadLetter].map((topic) => [topic, folder.loadTopic(topic)])),
        vault: folder.readSealed<MemoryVaultSnapshot>(SEALED.vault),
        feeds: folder.readSealed<FeedStoresSnapshot>(SEALED.feeds),
      };
    }
    const analytics = await DuckDbAnalyticsStore.open(options.dataDir === undefined ? ':memory:' : `${options.dataDir}/analytics.duckdb`);
    return new EmbeddedPipeline(options, analytics, secrets, saved);
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
    const started = performance.now();
    await this.#raw.pipeRecordListAsync(byPartition(inputs));
    this.metrics.processingLatency.observe({ topology: 'ingest' }, (performance.now() - started) / 1000);
    this.metrics.recordsIn.inc({ topology: 'ingest', topic }, records.length);
    await this.#propagate();
    this.#logger.debug({ records: records.length, partitions: new Set(inputs.map((i) => i.partition)).size }, 'batch processed');
    this.#save(false);
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
    this.metrics.recordsIn.inc({ topology: 'ingest', topic: this.config.topics.erasureRequests });
    await this.#propagate();
    this.#logger.info({ request: request.request_id }, 'erasure request processed');
    // An erasure is saved at once: the shredded key must leave the disk now, not at the next save.
    this.#save(true);
    this.#compactProfileFiles();
  }

  /**
   * Compacts the ingest tasks' profile-table files: the state files are append-only, so an erased
   * profile's traits would stay in them, behind its tombstone, until the next start; compacted, only the
   * tombstone (a pseudonym, which the log names anyway) is left.
   */
  #compactProfileFiles(): void {
    const folder = this.#folder;
    if (folder === undefined) return;
    const files = folder.stateChangelogs(this.#ingest.applicationId);
    for (const task of this.#ingest.tasks) if (task.storeNames.includes(USER_PROFILE_STORE)) files.load(task.id, USER_PROFILE_STORE);
  }

  /** Advances every engine's wall clock: closes analytics micro-batches and writes chain checkpoints. */
  async tick(ms: number): Promise<void> {
    await this.#ingest.advanceWallClockTimeAsync(ms);
    await this.#propagate();
    for (const { driver } of this.#readModels) await driver.advanceWallClockTimeAsync(ms);
    this.#save(false);
  }

  async #propagate(): Promise<void> {
    const link = this.#canonicalLink;
    const records = link.from.readRawRecords(link.topic);
    if (link.cursor >= records.length) return;
    const fresh = records.slice(link.cursor);
    link.cursor = records.length;
    const inputs = byPartition(fresh.map((r) => ({ key: r.key as Buffer, value: r.value as Buffer, timestamp: r.timestamp, headers: r.headers, partition: r.partition })));
    for (const [i, topic] of link.to.entries()) {
      const name = (this.#readModels[i] as { name: EmbeddedTopology }).name;
      const started = performance.now();
      await topic.pipeRecordListAsync(inputs);
      this.metrics.processingLatency.observe({ topology: name }, (performance.now() - started) / 1000);
      this.metrics.recordsIn.inc({ topology: name, topic: link.topic }, inputs.length);
    }
  }

  #produced(topology: EmbeddedTopology, record: RawTestRecord): void {
    // Dead letters arrive as the runtime's (kind `dead-letter`) or through a topology's own sink node.
    if (record.kind !== 'dead-letter' && record.topic !== this.config.topics.deadLetter) {
      this.metrics.recordProduced(topology, record.topic);
      return;
    }
    const reason = readDeadLetterHeaders(record.headers);
    this.metrics.recordProduced(topology, record.topic, { stage: reason?.stage ?? 'unknown', code: reason?.code ?? 'UNKNOWN' });
    // Code, stage and position only: the record itself (and its encrypted payload) stays out of logs.
    this.#logger.debug({ topology, code: reason?.code, stage: reason?.stage, partition: record.partition, offset: record.offset }, 'record dead-lettered');
  }

  /**
   * With a data folder: rewrites the sealed vault, makes the ingest state stores durable, appends what
   * this run produced since the last save, makes the read models' state stores durable and rewrites the
   * sealed feed snapshot. Runs after a batch when the last save is `savePeriodMs` old, after every
   * erasure and at close, so a clean stop loses nothing; a kill loses at most the last period, and one
   * in the middle of a save can leave the read models one batch apart from the log (their stores are
   * idempotent for feeds, not for like counts). The period bounds the cost of rewriting the sealed
   * snapshots, which grows with the state, under small batches.
   */
  #save(force: boolean): void {
    const folder = this.#folder;
    if (folder === undefined) return;
    const started = performance.now();
    if (!force && started - this.#lastSave < this.#savePeriodMs) return;
    this.#lastSave = started;
    // Order matters for a kill between two writes: the vault first, so that every pseudonym the saved
    // log names is in the saved vault (else a restart would give its subject a second pseudonym); then
    // the ingest stores, so that an erasure's profile tombstones are on disk before its event is in the
    // log (a profile may be ahead of the log, never back from the dead; the chain-heads file is not
    // restored from, see #resetChainHeadFiles); then the log, which the chain heads are rebuilt from;
    // then the read models, which may lag it.
    folder.writeSealed(SEALED.vault, this.#vaultStore.snapshot());
    this.#ingest.flush();
    const topics = this.config.topics;
    for (const topic of [topics.canonical, topics.checkpoints, topics.deadLetter]) folder.appendTopic(topic, this.#unsaved('ingest', this.#ingest, topic));
    for (const { name, driver } of this.#readModels) {
      folder.appendTopic(topics.deadLetter, this.#unsaved(name, driver, topics.deadLetter));
      driver.flush();
    }
    const feeds: FeedStoresSnapshot = {
      graph: this.#stores.graph.snapshot(),
      inboxes: this.#stores.inboxes.snapshot(),
      notifications: this.#stores.notifications.snapshot(),
      feedTombstones: this.#stores.feedTombstones.snapshot(),
      likeTombstones: this.#stores.likeTombstones.snapshot(),
    };
    folder.writeSealed(SEALED.feeds, feeds);
    const seconds = (performance.now() - started) / 1000;
    this.metrics.commitLatency.observe({ topology: 'embedded' }, seconds);
    this.#logger.debug({ seconds: Math.round(seconds * 1000) / 1000 }, 'state saved to the data folder');
  }

  /** Records of a driver's topic produced since the last save (offsets continuing the saved ones), and marks them saved. */
  #unsaved(name: EmbeddedTopology, driver: TopologyTestDriver, topic: string): RawTestRecord[] {
    const all = driver.readRawRecords(topic);
    const id = `${name}\u0000${topic}`;
    const from = this.#savedUpTo.get(id) ?? 0;
    this.#savedUpTo.set(id, all.length);
    const fresh = all.slice(from);
    // The ingest driver's offsets are the topic's; read models number their dead letters apart.
    return name === 'ingest' ? fresh.map((r) => this.#continued(r)) : fresh;
  }

  /** The record with its offset moved past what earlier runs wrote to the same partition. */
  #continued(record: RawTestRecord): RawTestRecord {
    const base = this.#offsetBase.get(record.topic)?.[record.partition] ?? 0;
    return base === 0 ? record : { ...record, offset: String(base + Number(record.offset)) };
  }

  /** Records of a topic written by the ingest topology (canonical, dead letters, checkpoints), earlier runs' included. */
  records(topic: string): readonly RawTestRecord[] {
    const current = this.#ingest.readRawRecords(topic);
    const history = this.#history.get(topic) ?? [];
    if (history.length === 0) return current;
    return [...history, ...current.map((r) => this.#continued(r))];
  }

  /** Dead letters of every topology, earlier runs' included. */
  deadLetters(): RawTestRecord[] {
    const topic = this.config.topics.deadLetter;
    const drivers = [this.#ingest, ...this.#readModels.map((m) => m.driver)];
    return [...(this.#history.get(topic) ?? []), ...drivers.flatMap((d) => (d.topics.includes(topic) ? [...d.readRawRecords(topic)] : []))];
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

  /** The figures read at scrape time: state store sizes, chain heads, read-model lag. */
  #refreshGauges(): void {
    const drivers: { name: EmbeddedTopology; driver: TopologyTestDriver }[] = [{ name: 'ingest', driver: this.#ingest }, ...this.#readModels];
    for (const { name, driver } of drivers) this.metrics.reportStateStores(name, driver.tasks);
    this.metrics.stateStoreEntries.set({ topology: 'ingest', store: 'vault' }, this.#vaultStore.size);
    for (const { key, value } of this.#ingest.getKeyValueStore<number, ChainHead>(CHAIN_HEAD_STORE).all() as ReturnType<ReadOnlyKeyValueStore<number, ChainHead>['all']>) {
      this.metrics.chainHeadSequence.set({ partition: String(key) }, value.sequence);
    }
    // Read models consume the canonical log as ingest appends it: what they have not been handed yet is their lag.
    const produced = this.#ingest.readRawRecords(this.config.topics.canonical);
    const pending = new Map<number, number>();
    for (let p = 0; p < this.partitions; p++) pending.set(p, 0);
    for (let i = this.#canonicalLink.cursor; i < produced.length; i++) {
      const partition = (produced[i] as RawTestRecord).partition;
      pending.set(partition, (pending.get(partition) ?? 0) + 1);
    }
    for (const { name } of this.#readModels) {
      for (const [partition, lag] of pending) this.metrics.consumerLag.set({ topology: name, topic: this.config.topics.canonical, partition: String(partition) }, lag);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#save(true);
    await this.#ingest.close();
    for (const { driver } of this.#readModels) await driver.close();
    await this.vault.close();
    await this.analytics.close();
  }
}
