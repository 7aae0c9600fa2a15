/**
 * KafkaStreams: runs a topology on Kafka, as its namesake in Kafka Streams does.
 *
 *   const streams = new KafkaStreams(topology, { config, applicationId: 'likes', processingGuarantee: 'exactly_once' });
 *   streams.on('stateChange', (next, previous) => …);
 *   await streams.start();
 *   …
 *   await streams.close();
 *
 * One consumer group `<applicationId>` per topology, with a task assignor that gives each member
 * whole tasks (`<subTopology>_<partition>`). Each task is restored from its changelog partitions
 * before it processes anything, then fed the batches kafkajs fetches (eachBatch, manual commits).
 *
 * Exactly-once follows Kafka Streams' first design (EOS "alpha", KIP-129): one transactional
 * producer per task with transactional id `<applicationId>-<taskId>`. Every commit interval a task
 * sends its consumed offsets into its open transaction (`sendOffsets`) and commits it, so outputs,
 * changelog records and input offsets become visible together or not at all. A new owner of a task
 * initialises the same transactional id first, which fences the previous owner and completes or
 * aborts its open transaction, and only then reads the committed offsets and restores the stores.
 * That is why correctness never depends on observing a rebalance in time: kafkajs has no
 * "partitions revoked" callback, and a zombie's late commit is rejected by the broker.
 * See docs/kafka-engine.md for the full reasoning.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, Producer, TopicMessages } from 'kafkajs';
import { Partitioners } from '../../connectors/kafka/kafkajs.js';
import type { Logger } from 'pino';
import type { ProcessingGuarantee, QuintetConfig } from '../../core/config.js';
import { QuintetError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import type { QuintetMetrics } from '../../core/metrics.js';
import { KafkaTopicAdmin } from '../../connectors/kafka/admin.js';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { isRetriableKafkaError } from '../../connectors/kafka/retriable.js';
import { ChangelogRestorer } from './changelog-restorer.js';
import { planInternalTopics, taskIdOf, transactionalIdOf, type InternalTopicPlan } from './internal-topics.js';
import type { ConsumedRecord, EngineTopology, StreamTask, TopologyMetadata } from './seam.js';
import { kafkaTopology } from './kafka-topology.js';
import { taskAssignor } from './task-assignor.js';
import type { StateStore } from '../processor.js';
import type { Topology } from '../topology.js';
import { NO_COMPRESSION, TaskRuntime, decodeCommitMetadata, type TaskSender } from './task-runtime.js';

/** Kafka Streams' client states. */
export type KafkaStreamsState = 'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'PENDING_ERROR' | 'ERROR';

export interface KafkaStreamsOptions {
  readonly config: QuintetConfig;
  /** Consumer group, transactional id prefix and internal topic prefix; defaults to `streams.applicationId`. */
  readonly applicationId?: string;
  /** Defaults to `streams.processingGuarantee`. */
  readonly processingGuarantee?: ProcessingGuarantee;
  /** How often every task commits (closes its transaction); defaults to `streams.commitIntervalMs`. */
  readonly commitIntervalMs?: number;
  /** Wall-clock punctuation resolution. */
  readonly wallClockTickMs?: number;
  /** Above this many bytes sent but not yet acknowledged, a task's partitions are paused. */
  readonly maxInFlightBytesPerTask?: number;
  readonly consumer?: {
    readonly sessionTimeoutMs?: number;
    readonly rebalanceTimeoutMs?: number;
    readonly heartbeatIntervalMs?: number;
    readonly maxBytesPerPartition?: number;
    readonly maxBytes?: number;
    readonly maxWaitTimeMs?: number;
    /** Batches (of different partitions) processed at the same time. */
    readonly partitionsConsumedConcurrently?: number;
  };
  /**
   * How often consumed records of repartition topics are deleted (up to the committed offsets), as
   * Kafka Streams does; repartition topics have no time retention. Default 30 s.
   */
  readonly repartitionPurgeIntervalMs?: number;
  /** Transaction timeout of the per-task producers (exactly-once). */
  readonly transactionTimeoutMs?: number;
  readonly logger?: Logger;
  readonly metrics?: QuintetMetrics;
  /** Metric label; defaults to the application id. */
  readonly topologyName?: string;
  /** An existing kafkajs client (otherwise one is made from `config`). */
  readonly kafka?: Kafka;
}

const MIB = 1024 * 1024;
/** Task initialization attempts on retriable broker errors (doubling delays up to 2 s: about 30 s in all). */
const INIT_RETRIES = 18;

export class KafkaStreams extends EventEmitter {
  readonly applicationId: string;
  readonly processingGuarantee: ProcessingGuarantee;
  readonly #topology: EngineTopology;
  readonly #options: KafkaStreamsOptions;
  readonly #kafka: Kafka;
  readonly #admin: KafkaTopicAdmin;
  readonly #logger: Logger;
  readonly #instanceId = randomUUID().slice(0, 8);
  readonly #commitIntervalMs: number;
  readonly #maxInFlightBytes: number;

  #state: KafkaStreamsState = 'CREATED';
  #metadata: TopologyMetadata | undefined;
  #plan: InternalTopicPlan | undefined;
  /** input topic -> sub-topology id */
  readonly #subTopologyOf = new Map<string, number>();
  readonly #inputTopicsOf = new Map<number, string[]>();
  readonly #changelogsOf = new Map<number, { storeName: string; topic: string }[]>();
  readonly #tasks = new Map<string, TaskRuntime>();
  #consumer: Consumer | undefined;
  #producer: Producer | undefined;
  #restorer: ChangelogRestorer | undefined;
  #joined = false;
  /** Whether the group was ever joined: before that, a retriable consumer crash is a restart, not a failure. */
  #everJoined = false;
  #stopping = false;
  #commitTimer: NodeJS.Timeout | undefined;
  #punctuateTimer: NodeJS.Timeout | undefined;
  #committing: Promise<void> | undefined;
  #repartitionTopics = new Set<string>();
  #lastPurge = performance.now();
  #purging: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** Takes a core `Topology` (run with the core `StreamTask`) or any `EngineTopology`. */
  constructor(topology: Topology | EngineTopology, options: KafkaStreamsOptions) {
    super();
    this.#topology = 'createTask' in topology ? topology : kafkaTopology(topology);
    this.#options = options;
    this.applicationId = options.applicationId ?? options.config.streams.applicationId;
    this.processingGuarantee = options.processingGuarantee ?? options.config.streams.processingGuarantee;
    this.#commitIntervalMs = options.commitIntervalMs ?? options.config.streams.commitIntervalMs;
    this.#maxInFlightBytes = options.maxInFlightBytesPerTask ?? 16 * MIB;
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'kafka-streams', applicationId: this.applicationId });
    this.#kafka = options.kafka ?? createKafkaClient(options.config, { clientIdSuffix: this.applicationId, logger: this.#logger });
    this.#admin = new KafkaTopicAdmin(this.#kafka);
  }

  get state(): KafkaStreamsState {
    return this.#state;
  }

  /** Tasks currently processing on this instance (restored and running), by task id. */
  runningTasks(): Map<string, StreamTask> {
    const running = new Map<string, StreamTask>();
    for (const [id, runtime] of this.#tasks) if (runtime.state === 'running' && runtime.task !== undefined) running.set(id, runtime.task);
    return running;
  }

  /**
   * Interactive queries, like Kafka Streams' `store()`: the named store of every task running on
   * this instance (one per partition it owns). Read-only by convention.
   */
  localStores<S extends StateStore>(storeName: string): S[] {
    const stores: S[] = [];
    for (const task of this.runningTasks().values()) {
      if (task.getStateStore !== undefined && (task.storeNames === undefined || task.storeNames.includes(storeName))) {
        stores.push(task.getStateStore<S>(storeName));
      }
    }
    return stores;
  }

  /** Resolves once the client is in `state` (or rejects if it reaches ERROR / NOT_RUNNING first). */
  waitForState(state: KafkaStreamsState, timeoutMs = 60_000): Promise<void> {
    if (this.#state === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('stateChange', listener);
        reject(new QuintetError('STREAMS_STATE_TIMEOUT', `state ${state} not reached within ${timeoutMs} ms (now ${this.#state})`));
      }, timeoutMs);
      const listener = (next: KafkaStreamsState): void => {
        if (next === state) {
          clearTimeout(timer);
          this.off('stateChange', listener);
          resolve();
        } else if ((next === 'ERROR' || next === 'NOT_RUNNING') && state !== next) {
          clearTimeout(timer);
          this.off('stateChange', listener);
          reject(new QuintetError('STREAMS_STOPPED', `stopped in state ${next} while waiting for ${state}`));
        }
      };
      this.on('stateChange', listener);
    });
  }

  #setState(next: KafkaStreamsState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.#logger.info({ state: next, previous }, 'state change');
    this.emit('stateChange', next, previous);
  }

  /** Creates internal topics, joins the group and starts processing. Resolves once the group is joined. */
  async start(): Promise<void> {
    if (this.#state !== 'CREATED') throw new QuintetError('STREAMS_ALREADY_STARTED', `start() called in state ${this.#state}`);
    this.#setState('REBALANCING');
    try {
      await this.#prepareTopics();
      await this.#startClients();
    } catch (error) {
      await this.#fail(error);
      throw error;
    }
    this.#commitTimer = setInterval(() => this.#commitAllIfIdle(), this.#commitIntervalMs);
    this.#punctuateTimer = setInterval(() => this.#punctuateAll(), this.#options.wallClockTickMs ?? 100);
  }

  async #prepareTopics(): Promise<void> {
    const metadata = this.#topology.metadata(this.applicationId);
    this.#metadata = metadata;
    const userCounts = await this.#admin.partitionCounts(metadata.sourceTopics).catch((error: unknown) => {
      throw new QuintetError('STREAMS_SOURCE_TOPIC_MISSING', `source topics of ${this.applicationId} could not be read`, { cause: error });
    });
    this.#plan = planInternalTopics(metadata, userCounts, { replicationFactor: this.#options.config.topics.replicationFactor });
    await this.#admin.ensureTopics([...this.#plan.repartitionTopics, ...this.#plan.changelogTopics]);
    this.#repartitionTopics = new Set(this.#plan.repartitionTopics.map((topic) => topic.name));
    for (const sub of metadata.subtopologies) {
      this.#inputTopicsOf.set(sub.id, [...sub.sourceTopics]);
      for (const topic of sub.sourceTopics) this.#subTopologyOf.set(topic, sub.id);
    }
    for (const changelog of metadata.changelogTopics) {
      const list = this.#changelogsOf.get(changelog.subtopology) ?? [];
      list.push({ storeName: changelog.store, topic: changelog.topic });
      this.#changelogsOf.set(changelog.subtopology, list);
    }
  }

  async #startClients(): Promise<void> {
    const metadata = this.#metadata as TopologyMetadata;
    const changelogTopics = metadata.changelogTopics.map((c) => c.topic);
    if (changelogTopics.length > 0) {
      this.#restorer = new ChangelogRestorer(this.#kafka, { groupId: `${this.applicationId}-restore-${this.#instanceId}`, topics: changelogTopics });
    }
    if (this.processingGuarantee === 'at_least_once') {
      this.#producer = this.#kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, idempotent: false });
      await this.#producer.connect();
    }
    const consumerOptions = this.#options.consumer ?? {};
    const consumer = this.#kafka.consumer({
      groupId: this.applicationId,
      partitionAssigners: [
        taskAssignor({
          sources: metadata.subtopologies.map((sub) => ({ subTopologyId: sub.id, topics: sub.sourceTopics })),
          ownedTasks: () => [...this.#tasks.keys()],
        }),
      ],
      sessionTimeout: consumerOptions.sessionTimeoutMs ?? 10_000,
      rebalanceTimeout: consumerOptions.rebalanceTimeoutMs ?? 30_000,
      heartbeatInterval: consumerOptions.heartbeatIntervalMs ?? 1_000,
      maxBytesPerPartition: consumerOptions.maxBytesPerPartition ?? MIB,
      maxBytes: consumerOptions.maxBytes ?? 16 * MIB,
      maxWaitTimeInMs: consumerOptions.maxWaitTimeMs ?? 100,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      // Before the first join, a retriable failure (a just-started broker answers JoinGroup with
      // COORDINATOR_LOAD_IN_PROGRESS for a few seconds) lets kafkajs restart the consumer; once tasks
      // exist, a consumer crash is fatal and the instance's owner restarts it cleanly.
      retry: { retries: 8, restartOnFailure: async (error: Error) => !this.#stopping && !this.#everJoined && isRetriableKafkaError(error) },
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.REBALANCING, () => this.#onRebalancing());
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.#onGroupJoin(payload.memberAssignment));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#stopping) return;
      if (payload.restart) this.#logger.warn({ error: errorSummary(payload.error) }, 'consumer failed before joining the group on a retriable error; kafkajs restarts it');
      else void this.#fail(payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.#subTopologyOf.keys()], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: consumerOptions.partitionsConsumedConcurrently ?? 4,
      eachBatch: (payload) => this.#onBatch(payload),
    });
  }

  // ---------------------------------------------------------------- rebalances

  /**
   * kafkajs is about to re-join (a heartbeat or fetch reported a rebalance). Nothing can block the
   * join, so commit what every task has done so far, racing it: whichever tasks stay here lose
   * nothing either way, and for tasks that move the new owner's fencing decides (commit landed
   * before its InitProducerId: the new owner starts after it; otherwise it is aborted and redone).
   */
  #onRebalancing(): void {
    if (this.#stopping) return;
    this.#joined = false;
    if (this.#state === 'RUNNING') this.#setState('REBALANCING');
    this.#commitAllIfIdle();
  }

  #onGroupJoin(memberAssignment: Record<string, number[]>): void {
    const consumer = this.#consumer as Consumer;
    const assigned = new Map<string, { subTopologyId: number; partition: number }>();
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      const subTopologyId = this.#subTopologyOf.get(topic);
      if (subTopologyId === undefined) continue;
      for (const partition of partitions) assigned.set(taskIdOf(subTopologyId, partition), { subTopologyId, partition });
    }
    this.#logger.info({ tasks: [...assigned.keys()].sort() }, 'assignment received');
    this.emit('assignment', [...assigned.keys()].sort());
    for (const [id, task] of this.#tasks) {
      if (!assigned.has(id)) {
        this.#tasks.delete(id);
        void this.#closeTask(task, 'revoked');
      }
    }
    for (const task of this.#tasks.values()) {
      if (task.state === 'running') {
        // kafkajs rebuilt its offset manager and would restart from the last *committed* offsets;
        // this task has processed further (in its open transaction), so continue from its own position.
        for (const [topic, position] of task.positions) consumer.seek({ topic, partition: task.partition, offset: String(position) });
      } else {
        this.#pauseTask(task);
      }
    }
    for (const [id, { subTopologyId, partition }] of assigned) {
      if (this.#tasks.has(id)) continue;
      const task = new TaskRuntime({
        taskId: id,
        subTopologyId,
        partition,
        inputTopics: this.#inputTopicsOf.get(subTopologyId) ?? [],
        changelogs: this.#changelogsOf.get(subTopologyId) ?? [],
      });
      this.#tasks.set(id, task);
      // Paused synchronously, before kafkajs fetches anything: nothing is processed before the
      // producer is fenced-in, offsets are read and stores are restored.
      this.#pauseTask(task);
      void this.#initTask(task);
    }
    this.#joined = true;
    this.#everJoined = true;
    this.#updateRunningState();
  }

  #pauseTask(task: TaskRuntime): void {
    this.#consumer?.pause(task.inputTopics.map((topic) => ({ topic, partitions: [task.partition] })));
  }

  #resumeTask(task: TaskRuntime): void {
    this.#consumer?.resume(task.inputTopics.map((topic) => ({ topic, partitions: [task.partition] })));
  }

  #updateRunningState(): void {
    if (this.#state !== 'REBALANCING' && this.#state !== 'RUNNING') return;
    const allRunning = [...this.#tasks.values()].every((t) => t.state === 'running');
    this.#setState(this.#joined && allRunning ? 'RUNNING' : 'REBALANCING');
  }

  async #initTask(task: TaskRuntime, attempt = 0): Promise<void> {
    try {
      if (this.processingGuarantee === 'exactly_once') {
        const producer = this.#kafka.producer({
          createPartitioner: Partitioners.DefaultPartitioner,
          allowAutoTopicCreation: false,
          transactionalId: transactionalIdOf(this.applicationId, task.taskId),
          idempotent: true,
          maxInFlightRequests: 1,
          transactionTimeout: this.#options.transactionTimeoutMs ?? 60_000,
          // Right after a commit, the coordinator answers CONCURRENT_TRANSACTIONS to the next
          // AddPartitionsToTxn until the commit markers are written (a few ms): retry quickly, as the
          // Java client does, instead of kafkajs' default 300 ms back-off that would stall every commit.
          retry: { initialRetryTime: 5, maxRetryTime: 1_000, retries: 15 },
        });
        task.producer = producer;
        await producer.connect();
        // InitProducerId happens here: it fences any previous owner of this task and waits until
        // that owner's open transaction is committed or aborted, so the offsets read next are final.
        task.transaction = await producer.transaction();
      }
      if (task.state === 'closed') return await this.#releaseProducer(task);

      let streamTime: number | undefined;
      for (const topic of task.inputTopics) {
        const entry = (await this.#admin.committedOffsetsAndMetadata(this.applicationId, topic)).get(task.partition);
        const committed = Number(entry?.offset ?? -1);
        const start = committed >= 0 ? committed : Number((await this.#admin.offsetRange(topic)).get(task.partition)?.low ?? 0);
        task.positions.set(topic, start);
        task.committed.set(topic, start);
        const committedStreamTime = decodeCommitMetadata(entry?.metadata);
        if (committedStreamTime !== undefined) streamTime = Math.max(streamTime ?? committedStreamTime, committedStreamTime);
      }

      const streamTask = this.#topology.createTask({
        applicationId: this.applicationId,
        taskId: task.taskId,
        subTopologyId: task.subTopologyId,
        partition: task.partition,
        collector: task.collector,
      });
      task.task = streamTask;
      // Stores are restored before processors' init, which may read them.
      for (const changelog of task.changelogs) {
        const range = (await this.#admin.offsetRange(changelog.topic)).get(task.partition);
        if (range === undefined || this.#restorer === undefined) continue;
        const started = performance.now();
        let restored = 0;
        await this.#restorer.restore(changelog.topic, task.partition, { lowOffset: Number(range.low), endOffset: Number(range.high) }, (records) => {
          restored += records.length;
          return streamTask.restoreStore(changelog.storeName, records);
        });
        this.#logger.info(
          { task: task.taskId, store: changelog.storeName, records: restored, ms: Math.round(performance.now() - started) },
          'store restored',
        );
      }
      if (streamTime !== undefined) streamTask.restoreStreamTime?.(streamTime);
      await streamTask.initialize();
      // Restoring writes nothing: anything a store might have logged while replaying is dropped.
      task.collector.drain();
      if (isClosed(task)) {
        await streamTask.close();
        return await this.#releaseProducer(task);
      }
      const consumer = this.#consumer as Consumer;
      for (const [topic, position] of task.positions) consumer.seek({ topic, partition: task.partition, offset: String(position) });
      task.state = 'running';
      this.#resumeTask(task);
      this.#logger.info({ task: task.taskId, positions: Object.fromEntries(task.positions) }, 'task running');
      this.#updateRunningState();
    } catch (error) {
      if (this.#stopping || task.state === 'closed') return;
      // A broker that has just started loads its group and transaction coordinators for a few seconds
      // (COORDINATOR_LOAD_IN_PROGRESS): start the task again from the beginning rather than fail.
      if (isRetriableKafkaError(error) && attempt < INIT_RETRIES) {
        this.#logger.warn({ task: task.taskId, attempt: attempt + 1, error: errorSummary(error) }, 'task initialization hit a retriable broker error; retrying');
        await this.#releaseProducer(task);
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2_000)));
        if (this.#stopping || isClosed(task)) return;
        return this.#initTask(task, attempt + 1);
      }
      await this.#fail(error);
    }
  }

  // ---------------------------------------------------------------- processing

  #senderOf(task: TaskRuntime): TaskSender {
    if (this.processingGuarantee === 'exactly_once') {
      return {
        sendBatch: (topicMessages: TopicMessages[]) =>
          (task.transaction as NonNullable<TaskRuntime['transaction']>).sendBatch({ topicMessages, acks: -1, compression: NO_COMPRESSION }),
      };
    }
    const producer = this.#producer as Producer;
    return { sendBatch: (topicMessages: TopicMessages[]) => producer.sendBatch({ topicMessages, acks: -1, compression: NO_COMPRESSION }) };
  }

  async #onBatch({ batch, resolveOffset, isStale }: EachBatchPayload): Promise<void> {
    const subTopologyId = this.#subTopologyOf.get(batch.topic);
    if (subTopologyId === undefined) return;
    const task = this.#tasks.get(taskIdOf(subTopologyId, batch.partition));
    if (task === undefined || task.state !== 'running' || this.#stopping) return;
    try {
      await task.run(async () => {
        if (task.state !== 'running' || this.#stopping || isStale()) return;
        const position = task.positions.get(batch.topic) ?? 0;
        const messages = batch.messages;
        let first = 0;
        // A batch fetched before a seek can overlap what this task already processed.
        while (first < messages.length && Number((messages[first] as (typeof messages)[number]).offset) < position) first += 1;
        const count = messages.length - first;
        if (count > 0) {
          const records: ConsumedRecord[] = new Array<ConsumedRecord>(count);
          const topic = batch.topic;
          const partition = batch.partition;
          for (let i = 0; i < count; i += 1) {
            const message = messages[first + i] as (typeof messages)[number];
            records[i] = {
              topic,
              partition,
              offset: message.offset,
              key: message.key ?? null,
              value: message.value ?? null,
              timestamp: Number(message.timestamp),
              headers: (message.headers ?? EMPTY_HEADERS) as ConsumedRecord['headers'],
            };
          }
          await (task.task as StreamTask).process(records);
          task.dirty = true;
          this.#options.metrics?.recordsIn.inc({ topology: this.#topologyLabel, topic }, count);
        }
        const last = Number(batch.lastOffset());
        if (last + 1 > position) task.positions.set(batch.topic, last + 1);
        resolveOffset(batch.lastOffset());
        task.sendBuffered(this.#senderOf(task));
        if (task.inFlightBytes > this.#maxInFlightBytes) this.#throttle(task);
        else if (task.outputHeld && task.collector.bufferedBytes > this.#maxInFlightBytes) this.#throttleWhileHeld(task);
      });
    } catch (error) {
      await this.#onTaskError(task, error);
    }
  }

  get #topologyLabel(): string {
    return this.#options.topologyName ?? this.applicationId;
  }

  /** Backpressure: the producer is behind; stop fetching for this task until half the bytes are acknowledged. */
  #throttle(task: TaskRuntime): void {
    if (task.throttled) return;
    task.throttled = true;
    this.#pauseTask(task);
    task
      .awaitInFlightBelow(this.#maxInFlightBytes / 2)
      .catch(() => undefined) // the failure surfaces at the next commit
      .finally(() => {
        task.throttled = false;
        if (task.state === 'running' && this.#tasks.get(task.taskId) === task && !this.#stopping) this.#resumeTask(task);
      });
  }

  /** Backpressure while a commit holds the task's output back: stop fetching for it until the commit released it. */
  #throttleWhileHeld(task: TaskRuntime): void {
    if (task.throttled) return;
    task.throttled = true;
    this.#pauseTask(task);
    void task.outputReleased().then(() => {
      task.throttled = false;
      if (task.state === 'running' && this.#tasks.get(task.taskId) === task && !this.#stopping) this.#resumeTask(task);
    });
  }

  #punctuateAll(): void {
    if (this.#stopping) return;
    const now = Date.now();
    for (const task of this.#tasks.values()) {
      if (task.state !== 'running') continue;
      task
        .run(async () => {
          if (task.state !== 'running') return;
          await (task.task as StreamTask).punctuateWallClock(now);
          task.sendBuffered(this.#senderOf(task));
        })
        .catch((error: unknown) => this.#onTaskError(task, error));
    }
  }

  // ---------------------------------------------------------------- commits

  #commitAllIfIdle(): void {
    if (this.#committing !== undefined || this.#stopping) return;
    this.#committing = this.#commitAll().finally(() => {
      this.#committing = undefined;
    });
  }

  async #commitAll(): Promise<void> {
    const tasks = [...this.#tasks.values()].filter((t) => t.state === 'running');
    const commit = this.processingGuarantee === 'exactly_once' ? (task: TaskRuntime) => this.#commitExactlyOnce(task) : (task: TaskRuntime) => this.#commitAtLeastOnce(task);
    await Promise.all(tasks.map((task) => commit(task).catch((error: unknown) => this.#onTaskError(task, error))));
    if (this.#repartitionTopics.size > 0 && this.#purging === undefined && performance.now() - this.#lastPurge >= (this.#options.repartitionPurgeIntervalMs ?? 30_000)) {
      this.#lastPurge = performance.now();
      this.#purging = this.#purgeRepartitionTopics().finally(() => {
        this.#purging = undefined;
      });
    }
  }

  /**
   * Deletes what running tasks have consumed and committed from the repartition topics they read,
   * which have no time retention. Best effort: a failure only delays the clean-up.
   */
  async #purgeRepartitionTopics(): Promise<void> {
    const below = new Map<string, Map<number, number>>();
    for (const task of this.#tasks.values()) {
      if (task.state !== 'running') continue;
      for (const [topic, offset] of task.committed) {
        if (!this.#repartitionTopics.has(topic) || offset <= 0) continue;
        const partitions = below.get(topic) ?? new Map<number, number>();
        partitions.set(task.partition, offset);
        below.set(topic, partitions);
      }
    }
    for (const [topic, offsets] of below) {
      await this.#admin.deleteRecordsBefore(topic, offsets).catch((error: unknown) => {
        this.#logger.warn({ topic, error: errorSummary(error) }, 'repartition topic purge failed');
      });
    }
  }

  /**
   * The periodic commit under at-least-once, without stopping the task: inside its queue only the
   * flush and a snapshot of the positions; then, while the task goes on processing, wait for the
   * sends handed out so far (chained, so all earlier ones too) and commit the snapshot. Offsets are
   * still committed only once everything produced before them is acknowledged. Under exactly-once
   * the transaction cannot stay open for more sends while it commits, so `#commitTask` runs in the queue.
   */
  async #commitAtLeastOnce(task: TaskRuntime): Promise<void> {
    const prepared = await task.run(async () => {
      if (task.state !== 'running') return undefined;
      const { acknowledged } = await (task.task as StreamTask).flushDeferred();
      task.sendBuffered(this.#senderOf(task));
      const offsets = task.offsetsToCommit();
      if (!task.dirty && offsets.length === 0 && acknowledged === undefined) return undefined;
      return { offsets, snapshot: task.snapshotPositions(), sent: task.sendsSoFar(), acknowledged };
    });
    if (prepared === undefined) return;
    const started = performance.now();
    // Together: a refusal of the writes while the sends are awaited must not go unhandled.
    await Promise.all([prepared.sent, prepared.acknowledged]);
    if (prepared.offsets.length > 0 && task.state === 'running') {
      await (this.#consumer as Consumer).commitOffsets(
        prepared.offsets.flatMap(({ topic, partitions }) => partitions.map(({ partition, offset, metadata }) => ({ topic, partition, offset, metadata }))),
      );
    }
    task.markCommittedAt(prepared.snapshot);
    this.#options.metrics?.commitLatency.observe({ topology: this.#topologyLabel }, (performance.now() - started) / 1000);
  }

  /**
   * The periodic commit under exactly-once. When processors' writes outside Kafka are still pending
   * (`StreamTask.flushDeferred`, e.g. the analytics sink's insert into ClickHouse), the task is not
   * stopped for them: inside its queue, the flush, the sends so far and a snapshot of the positions;
   * then the task's output is held back in its collector while it goes on processing; once the writes
   * are acknowledged, back in the queue, the transaction (holding exactly the output produced before
   * the snapshot) commits the snapshot's offsets, and the held output goes into the next transaction.
   * Without pending writes it is `#commitTask`, in the queue.
   */
  async #commitExactlyOnce(task: TaskRuntime): Promise<void> {
    const deferred = await task.run(async () => {
      if (task.state !== 'running') return undefined;
      const { acknowledged } = await (task.task as StreamTask).flushDeferred();
      if (acknowledged === undefined) {
        await this.#commitFlushed(task);
        return undefined;
      }
      task.sendBuffered(this.#senderOf(task));
      task.holdOutput();
      return { acknowledged, offsets: task.offsetsToCommit(), snapshot: task.snapshotPositions() };
    });
    if (deferred === undefined) return;
    try {
      await deferred.acknowledged;
      await task.run(async () => {
        // 'closing': a revocation or shutdown waits for this commit before its final one.
        if (task.state !== 'running' && task.state !== 'closing') return;
        const started = performance.now();
        await task.awaitSends();
        const transaction = task.transaction as NonNullable<TaskRuntime['transaction']>;
        if (deferred.offsets.length > 0) await transaction.sendOffsets({ consumerGroupId: this.applicationId, topics: deferred.offsets });
        await transaction.commit();
        task.markCommittedAt(deferred.snapshot);
        task.transaction = await (task.producer as Producer).transaction();
        task.releaseOutput();
        task.sendBuffered(this.#senderOf(task));
        this.#options.metrics?.commitLatency.observe({ topology: this.#topologyLabel }, (performance.now() - started) / 1000);
      });
    } finally {
      // Released above after a commit; after a failure the task is closed dirty and its output dropped.
      task.releaseOutput();
    }
  }

  /** Runs inside the task's queue. */
  async #commitTask(task: TaskRuntime): Promise<void> {
    if (task.state !== 'running' && task.state !== 'closing') return;
    await (task.task as StreamTask).flush();
    await this.#commitFlushed(task);
  }

  /** The commit of a flushed task (`#commitTask` after `StreamTask.flush()`), inside the task's queue. */
  async #commitFlushed(task: TaskRuntime): Promise<void> {
    task.sendBuffered(this.#senderOf(task));
    const offsets = task.offsetsToCommit();
    if (!task.dirty && offsets.length === 0) return;
    const started = performance.now();
    await task.awaitSends();
    if (this.processingGuarantee === 'exactly_once') {
      const transaction = task.transaction as NonNullable<TaskRuntime['transaction']>;
      if (offsets.length > 0) await transaction.sendOffsets({ consumerGroupId: this.applicationId, topics: offsets });
      await transaction.commit();
      task.markCommitted();
      task.transaction = await (task.producer as Producer).transaction();
    } else {
      if (offsets.length > 0) {
        await (this.#consumer as Consumer).commitOffsets(
          offsets.flatMap(({ topic, partitions }) => partitions.map(({ partition, offset, metadata }) => ({ topic, partition, offset, metadata }))),
        );
      }
      task.markCommitted();
    }
    this.#options.metrics?.commitLatency.observe({ topology: this.#topologyLabel }, (performance.now() - started) / 1000);
  }

  /**
   * A task failed to process, send or commit. A fenced or failed transaction (exactly-once) is not
   * fatal: the task is closed dirty — its transaction aborted, its in-memory state dropped — and, if
   * this instance still owns it, re-initialised (fence, read committed offsets, restore). Anything
   * else (a bug in a processor, a failure under at-least-once) stops the client.
   */
  async #onTaskError(task: TaskRuntime, error: unknown): Promise<void> {
    if (this.#stopping || task.state === 'closed') return;
    if (this.processingGuarantee === 'exactly_once' && isKafkaError(error)) {
      this.#logger.warn({ task: task.taskId, error: errorSummary(error) }, 'task transaction failed; re-initialising the task');
      task.state = 'closed';
      await task.run(() => this.#closeDirty(task));
      if (this.#tasks.get(task.taskId) === task && !this.#stopping) {
        const fresh = new TaskRuntime({
          taskId: task.taskId,
          subTopologyId: task.subTopologyId,
          partition: task.partition,
          inputTopics: task.inputTopics,
          changelogs: task.changelogs,
        });
        this.#tasks.set(task.taskId, fresh);
        this.#pauseTask(fresh);
        this.#updateRunningState();
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (this.#tasks.get(task.taskId) === fresh) await this.#initTask(fresh);
      }
      return;
    }
    await this.#fail(error);
  }

  // ---------------------------------------------------------------- closing

  async #closeTask(task: TaskRuntime, reason: 'revoked' | 'shutdown'): Promise<void> {
    const wasRunning = task.state === 'running';
    task.state = wasRunning ? 'closing' : 'closed';
    if (!wasRunning) return; // #initTask notices and cleans up
    // A periodic at-least-once commit may still be waiting for acknowledgements outside the task's
    // queue: let it land first, so that it cannot overwrite this final commit with older offsets.
    await this.#committing;
    await task.run(async () => {
      try {
        await this.#commitTask(task);
        task.state = 'closed';
        await (task.task as StreamTask).close();
        await this.#releaseProducer(task);
        this.#logger.info({ task: task.taskId, reason }, 'task closed');
      } catch (error) {
        // Fenced by the new owner, or the broker is gone: the new owner redoes what was not committed.
        this.#logger.warn({ task: task.taskId, reason, error: errorSummary(error) }, 'task closed without a final commit');
        await this.#closeDirty(task);
      }
    });
  }

  /** Abandons a task: aborts its transaction (best effort), closes it, drops its state. */
  async #closeDirty(task: TaskRuntime): Promise<void> {
    task.state = 'closed';
    task.collector.drain();
    if (task.transaction?.isActive() === true) await task.transaction.abort().catch(() => undefined);
    await Promise.resolve(task.task?.close()).catch(() => undefined);
    await this.#releaseProducer(task);
  }

  async #releaseProducer(task: TaskRuntime): Promise<void> {
    const producer = task.producer;
    task.producer = undefined;
    task.transaction = undefined;
    if (producer !== undefined) await producer.disconnect().catch(() => undefined);
  }

  /**
   * Clean shutdown: stop fetching, let in-flight batches finish, commit every task (its transaction
   * under exactly-once), close the tasks, then leave the group so the partitions move at once.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#state === 'CREATED') {
      this.#setState('NOT_RUNNING');
      return;
    }
    if (this.#state !== 'ERROR' && this.#state !== 'PENDING_ERROR') this.#setState('PENDING_SHUTDOWN');
    this.#stopping = true;
    clearInterval(this.#commitTimer);
    clearInterval(this.#punctuateTimer);
    const consumer = this.#consumer;
    if (consumer !== undefined) {
      try {
        consumer.pause([...this.#subTopologyOf.keys()].map((topic) => ({ topic })));
      } catch {
        // not running: nothing to pause
      }
    }
    await this.#committing;
    await this.#purging;
    await Promise.all([...this.#tasks.values()].map((task) => this.#closeTask(task, 'shutdown')));
    this.#tasks.clear();
    await consumer?.disconnect().catch(() => undefined);
    await this.#restorer?.close().catch(() => undefined);
    await this.#producer?.disconnect().catch(() => undefined);
    await this.#admin.close().catch(() => undefined);
    if (this.#state === 'PENDING_SHUTDOWN') this.#setState('NOT_RUNNING');
    else if (this.#state === 'PENDING_ERROR') this.#setState('ERROR');
  }

  async #fail(error: unknown): Promise<void> {
    if (this.#state === 'ERROR' || this.#state === 'PENDING_ERROR') return;
    this.#logger.error({ error: errorSummary(error) }, 'streams client failed');
    this.#setState('PENDING_ERROR');
    // Under exactly-once nothing uncommitted survives: open transactions are aborted by closing dirty.
    this.#stopping = true;
    for (const task of this.#tasks.values()) {
      if (task.state === 'running') {
        task.state = 'closing';
        void task.run(() => this.#closeDirty(task));
      }
    }
    if (this.listenerCount('error') > 0) this.emit('error', error);
    await this.close();
  }
}

const EMPTY_HEADERS = Object.freeze({});

/** Re-reads the state after an await (a rebalance may have closed the task meanwhile). */
const isClosed = (task: TaskRuntime): boolean => task.state === 'closed';

function isKafkaError(error: unknown): boolean {
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' && name.startsWith('KafkaJS');
}

function errorSummary(error: unknown): Record<string, unknown> {
  const e = error as { name?: string; message?: string; code?: string; type?: string };
  return { name: e.name, message: e.message, code: e.code, type: e.type };
}

/** Closes the client on SIGTERM/SIGINT (finishing in-flight work, committing, leaving the group), then exits. */
export function closeOnSignals(streams: KafkaStreams, options: { exit?: boolean } = {}): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    void streams.close().finally(() => {
      if (options.exit ?? true) process.exit(signal === 'SIGINT' ? 130 : 0);
    });
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
