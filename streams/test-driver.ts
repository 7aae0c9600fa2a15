/**
 * TopologyTestDriver: runs a Topology in memory, in the spirit of Kafka Streams' driver, through the
 * very StreamTask code the Kafka engine uses: records are really serialized, deserialized, stamped
 * with event time, and every output goes through a RecordCollector. It creates one task per partition
 * of each sub-topology, routes repartition topics (and any output topic the topology also reads) back
 * to the task owning the record's partition (Kafka's default partitioner), and keeps every produced
 * record so tests can read outputs, changelogs and dead letters. No broker, no timers, no sleeps.
 *
 * Synchronous by default: `pipeInput` returns once the record and everything it caused (repartitioned
 * records included) is processed. A topology with asynchronous processors or serdes is driven with the
 * `...Async` methods instead; the synchronous ones throw STREAMS_ASYNC_IN_SYNC_DRIVER if they meet a
 * Promise (the driver is then unusable, as a half-processed record cannot be rolled back).
 *
 * It is also the engine of the embedded (no services) mode, so the hot path avoids per-record
 * allocations beyond the records themselves: see bench/streams-driver.ts.
 */
import type { Headers, StateStore } from './processor.js';
import type { ConsumedRecord, ProducedRecord, ProducedRecordKind, RecordCollector } from './records.js';
import { StreamsError, type ErrorHandlers } from './errors.js';
import { DEFAULT_DEAD_LETTER_TOPIC, readDeadLetterHeaders, type DeadLetterPayload, DEAD_LETTER_HEADERS } from './dead-letter.js';
import { InMemoryStreamsMetrics, type StreamsMetrics } from './metrics.js';
import { defaultPartition } from './partitioner.js';
import { isThenable, type Serde } from './serdes.js';
import type { ReadOnlyKeyValueStore, KeyValue } from './state/key-value-store.js';
import type { ReadOnlySessionStore, SessionValue, KeySessionValue } from './state/session-store.js';
import type { ReadOnlyWindowStore, KeyWindowValue, WindowedValue } from './state/window-store.js';
import type { ChangelogRecord } from './state/store.js';
import { ChangelogFiles } from './state/changelog-file.js';
import { StreamTask } from './task.js';
import type { Topology, TopologyMetadata } from './topology.js';

export interface TopologyTestDriverOptions {
  /** Default `test-driver`. Prefixes repartition and changelog topics. */
  readonly applicationId?: string;
  /** Partition count of the user source topics: one number for all, or per topic (default 1). */
  readonly partitions?: number | Readonly<Record<string, number>>;
  /** Starting wall-clock time in epoch ms (default 0). */
  readonly initialWallClockTimeMs?: number;
  readonly deadLetterTopic?: string;
  readonly deadLetterPayload?: DeadLetterPayload;
  readonly errorHandlers?: ErrorHandlers;
  /** Default: an InMemoryStreamsMetrics, readable as `driver.metrics`. */
  readonly metrics?: StreamsMetrics;
  /**
   * Which produced records the driver keeps in memory:
   * - `all` (default, for tests): every record on every topic, inputs, repartition, changelog and
   *   dead-letter records included, readable with `readRawRecords`;
   * - `outputs`: only records on topics the topology does not read (sinks, dead letters); records an
   *   output topic has read are released;
   * - `none`: nothing is kept; outputs are only handed to `onOutput` (the embedded mode streams them
   *   to its sinks this way and memory stays flat).
   */
  readonly capture?: 'all' | 'outputs' | 'none';
  /** With capture `all`: also keep changelog records (default true). */
  readonly captureChangelogs?: boolean;
  /**
   * Embedded mode: keep each store's changelog in files under this directory, restore from them at
   * construction and append at each `flush()` (and `close()`). See streams/state/changelog-file.ts.
   */
  readonly stateDir?: string;
  /** Called for every record produced to a topic the topology does not read (sink and dead-letter records). */
  readonly onOutput?: (record: RawTestRecord) => void;
  /**
   * Changelog contents to restore before processing starts, by changelog topic: each task replays the
   * records of its own partition, like the Kafka engine does on assignment.
   */
  readonly restoreFrom?: Readonly<Record<string, readonly RawTestRecord[]>>;
}

/** A record as the driver stored it on a topic (bytes). */
export interface RawTestRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: Headers;
  readonly kind: ProducedRecordKind | 'input';
}

export interface TestRecord<K, V> {
  readonly key: K;
  readonly value: V;
  readonly timestamp: number;
  readonly headers: Headers;
  readonly partition: number;
}

export interface TestInputRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Default: the driver's wall-clock time. */
  readonly timestamp?: number;
  readonly headers?: Headers;
  /** Default: Kafka's default partitioner on the serialized key (round-robin for null keys). */
  readonly partition?: number;
}

export interface DeadLetter {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: Headers;
  readonly reason: ReturnType<typeof readDeadLetterHeaders>;
}

interface TopicLog {
  records: RawTestRecord[];
  /** Index of the next record an output topic will read. */
  cursor: number;
  readonly partitions: number[];
  /** Drop records once read (capture `outputs`). */
  readonly release: boolean;
}

interface Delivery {
  readonly task: StreamTask;
  readonly record: ConsumedRecord;
}

const NO_HEADERS: Headers = Object.freeze({});

export class TopologyTestDriver {
  readonly applicationId: string;
  readonly metadata: TopologyMetadata;
  /** Metrics of every task (when no metrics were passed in). */
  readonly metrics: InMemoryStreamsMetrics;
  readonly #tasks: StreamTask[][] = [];
  readonly #logs = new Map<string, TopicLog>();
  readonly #partitionCounts: Map<string, number>;
  readonly #deadLetterTopic: string;
  readonly #capture: 'all' | 'outputs' | 'none';
  readonly #captureChangelogs: boolean;
  readonly #onOutput: ((record: RawTestRecord) => void) | undefined;
  readonly #files: ChangelogFiles | undefined;
  /** changelog topic → its store and sub-topology */
  readonly #changelogStores = new Map<string, { readonly store: string; readonly subtopology: number }>();
  #queue: Delivery[] = [];
  #roundRobin = 0;
  #wallClock: number;
  #broken: unknown;
  #closed = false;

  constructor(topology: Topology, options: TopologyTestDriverOptions = {}) {
    this.applicationId = options.applicationId ?? 'test-driver';
    this.metadata = topology.metadata(this.applicationId);
    this.metrics = new InMemoryStreamsMetrics();
    this.#wallClock = options.initialWallClockTimeMs ?? 0;
    this.#deadLetterTopic = options.deadLetterTopic ?? DEFAULT_DEAD_LETTER_TOPIC;
    this.#capture = options.capture ?? 'all';
    this.#captureChangelogs = this.#capture === 'all' && (options.captureChangelogs ?? true);
    this.#onOutput = options.onOutput;
    this.#files = options.stateDir === undefined ? undefined : new ChangelogFiles(options.stateDir, this.applicationId);
    for (const { topic, store, subtopology } of this.metadata.changelogTopics) this.#changelogStores.set(topic, { store, subtopology });
    const partitions = options.partitions ?? 1;
    const configured = (topic: string): number => (typeof partitions === 'number' ? partitions : (partitions[topic] ?? 1));
    this.#partitionCounts = this.metadata.resolvePartitionCounts(configured);
    this.metadata.checkCopartitioning(this.#partitionCounts);

    const collector: RecordCollector = { send: (record, kind) => this.#collect(record, kind) };
    const metrics = options.metrics ?? this.metrics;
    for (const sub of this.metadata.subtopologies) {
      const count = Math.max(1, ...sub.sourceTopics.map((t) => this.#partitionCounts.get(t) ?? 1));
      const tasks: StreamTask[] = [];
      for (let partition = 0; partition < count; partition++) {
        tasks.push(
          new StreamTask(topology, {
            applicationId: this.applicationId,
            subtopology: sub.id,
            partition,
            collector,
            deadLetterTopic: this.#deadLetterTopic,
            ...(options.deadLetterPayload === undefined ? {} : { deadLetterPayload: options.deadLetterPayload }),
            ...(options.errorHandlers === undefined ? {} : { errorHandlers: options.errorHandlers }),
            metrics,
            clock: () => this.#wallClock,
            // Output topics the topology does not read have the configured partition count too.
            partitionsFor: (topic) => this.#partitionCounts.get(topic) ?? configured(topic),
          }),
        );
      }
      this.#tasks[sub.id] = tasks;
    }
    for (const [topic, records] of Object.entries(options.restoreFrom ?? {})) this.#restore(topic, records);
    const files = this.#files;
    if (files !== undefined) {
      for (const task of this.tasks) {
        for (const store of task.storeNames) if (task.changelogTopicOf(store) !== undefined) task.restoreStore(store, files.load(task.id, store));
        const streamTime = files.loadStreamTime(task.id);
        if (streamTime !== undefined) task.restoreStreamTime(streamTime);
      }
    }
    const inits = this.tasks.map((task) => task.initialize()).filter((r) => r !== undefined);
    if (inits.length > 0) {
      // Async init: remember it; every async call awaits it first, sync calls refuse to run.
      this.#ready = Promise.all(inits).then(() => undefined);
    }
  }

  #ready: Promise<void> | undefined;

  /** Every task, by sub-topology then partition. */
  get tasks(): readonly StreamTask[] {
    return this.#tasks.flat();
  }

  /** Current wall-clock time of the driver (epoch ms). */
  get wallClockTimeMs(): number {
    return this.#wallClock;
  }

  createInputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestInputTopic<K, V> {
    if (this.metadata.subtopologyOf(topic) === undefined) {
      throw new StreamsError('STREAMS_UNKNOWN_TOPIC', `the topology does not read topic ${topic}`, { details: { topic } });
    }
    return new TestInputTopic<K, V>(this, topic, keySerde, valueSerde);
  }

  createOutputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestOutputTopic<K, V> {
    return new TestOutputTopic<K, V>(this.#log(topic), topic, keySerde, valueSerde);
  }

  /** Advances wall-clock time and fires the wall-clock punctuators that became due. */
  advanceWallClockTime(ms: number): void {
    this.#assertUsable();
    this.#wallClock += ms;
    for (const task of this.tasks) this.#syncOrThrow(task.punctuateWallClock(this.#wallClock));
    this.#drainSync();
    this.#flushStoreCaches();
  }

  async advanceWallClockTimeAsync(ms: number): Promise<void> {
    await this.#beforeAsync();
    this.#wallClock += ms;
    for (const task of this.tasks) await task.punctuateWallClock(this.#wallClock);
    await this.#drainAsync();
    this.#flushStoreCaches();
  }

  getStateStore(name: string): StateStore {
    return this.#storesNamed(name)[0] as StateStore;
  }

  getKeyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    const stores = this.#storesNamed(name) as unknown as ReadOnlyKeyValueStore<K, V>[];
    if (stores.length === 1) return stores[0] as ReadOnlyKeyValueStore<K, V>;
    return {
      name,
      get: (key) => {
        for (const store of stores) {
          const value = store.get(key);
          if (value !== undefined) return value;
        }
        return undefined;
      },
      range: (from, to) => stores.flatMap((s) => s.range(from, to)),
      all: (): KeyValue<K, V>[] => stores.flatMap((s) => s.all()),
      approximateSize: () => stores.reduce((n, s) => n + s.approximateSize(), 0),
    };
  }

  getWindowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    const stores = this.#storesNamed(name) as unknown as ReadOnlyWindowStore<K, V>[];
    if (stores.length === 1) return stores[0] as ReadOnlyWindowStore<K, V>;
    return {
      name,
      retentionMs: (stores[0] as ReadOnlyWindowStore<K, V>).retentionMs,
      fetch: (key, start) => {
        for (const store of stores) {
          const value = store.fetch(key, start);
          if (value !== undefined) return value;
        }
        return undefined;
      },
      fetchRange: (key, from, to): WindowedValue<V>[] => stores.flatMap((s) => s.fetchRange(key, from, to)).sort((a, b) => a.windowStart - b.windowStart),
      fetchAll: (from, to): KeyWindowValue<K, V>[] => stores.flatMap((s) => s.fetchAll(from, to)).sort((a, b) => a.windowStart - b.windowStart),
      all: (): KeyWindowValue<K, V>[] => stores.flatMap((s) => s.all()).sort((a, b) => a.windowStart - b.windowStart),
      approximateSize: () => stores.reduce((n, s) => n + s.approximateSize(), 0),
    };
  }

  getSessionStore<K, V>(name: string): ReadOnlySessionStore<K, V> {
    const stores = this.#storesNamed(name) as unknown as ReadOnlySessionStore<K, V>[];
    if (stores.length === 1) return stores[0] as ReadOnlySessionStore<K, V>;
    return {
      name,
      retentionMs: (stores[0] as ReadOnlySessionStore<K, V>).retentionMs,
      findSessions: (key, earliestEnd, latestStart): SessionValue<V>[] => stores.flatMap((s) => s.findSessions(key, earliestEnd, latestStart)),
      fetchSession: (key, start, end) => {
        for (const store of stores) {
          const value = store.fetchSession(key, start, end);
          if (value !== undefined) return value;
        }
        return undefined;
      },
      fetch: (key): SessionValue<V>[] => stores.flatMap((s) => s.fetch(key)),
      all: (): KeySessionValue<K, V>[] => stores.flatMap((s) => s.all()),
      approximateSize: () => stores.reduce((n, s) => n + s.approximateSize(), 0),
    };
  }

  /** Every record produced to `topic` so far (sink, repartition, changelog or dead-letter), oldest first. Not consumed. */
  readRawRecords(topic: string): readonly RawTestRecord[] {
    return this.#logs.get(topic)?.records ?? [];
  }

  /** Topics the driver has seen records on. */
  get topics(): readonly string[] {
    return [...this.#logs.keys()];
  }

  /** Reads (and consumes) the dead letters produced since the last call. */
  readDeadLetters(): DeadLetter[] {
    const log = this.#logs.get(this.#deadLetterTopic);
    if (log === undefined) return [];
    const records = log.records.slice(log.cursor);
    log.cursor = log.records.length;
    return records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers, reason: readDeadLetterHeaders(r.headers) }));
  }

  /** Makes the state durable (with `stateDir`): appends buffered changelog records and saves stream times. */
  flush(): void {
    for (const task of this.tasks) task.flush();
    const files = this.#files;
    if (files === undefined) return;
    files.flush();
    for (const task of this.tasks) if (task.streamTime >= 0) files.saveStreamTime(task.id, task.streamTime);
  }

  /** Flushes, then closes every task (processors' close, then stores). */
  close(): void | Promise<void> {
    if (this.#closed) return undefined;
    if (this.#broken === undefined) this.flush();
    this.#closed = true;
    const closing = this.tasks.map((t) => t.close()).filter((r) => r !== undefined);
    return closing.length > 0 ? Promise.all(closing).then(() => undefined) : undefined;
  }

  // ---- used by TestInputTopic ------------------------------------------------------------------

  /** @internal */
  pipeSync(topic: string, records: readonly ConsumedRecordInput[]): void {
    this.#assertUsable();
    const deliveries = records.map((r) => this.#append(topic, r));
    this.#deliverSync(deliveries);
    this.#drainSync();
    this.#flushStoreCaches();
  }

  /** @internal */
  async pipeAsync(topic: string, records: readonly ConsumedRecordInput[]): Promise<void> {
    await this.#beforeAsync();
    const deliveries = records.map((r) => this.#append(topic, r));
    await this.#deliverAsync(deliveries);
    await this.#drainAsync();
    this.#flushStoreCaches();
  }

  /**
   * Cached store changes reach the changelogs after each input, as in Kafka's TopologyTestDriver, so a
   * test sees them without calling `flush()`.
   */
  #flushStoreCaches(): void {
    for (const task of this.tasks) task.flushStores();
  }

  /** @internal */
  partitionFor(topic: string, key: Buffer | null, explicit: number | undefined): number {
    const count = this.#partitionCounts.get(topic) ?? 1;
    if (explicit !== undefined) {
      if (!Number.isInteger(explicit) || explicit < 0 || explicit >= count) {
        throw new StreamsError('STREAMS_UNKNOWN_TOPIC', `topic ${topic} has ${count} partition(s); partition ${explicit} does not exist`, { details: { topic } });
      }
      return explicit;
    }
    if (count === 1) return 0;
    if (key === null) return this.#roundRobin++ % count;
    return defaultPartition(key, count);
  }

  /** @internal */
  get wallClock(): number {
    return this.#wallClock;
  }

  // ---- internals -------------------------------------------------------------------------------

  #collect(record: ProducedRecord, kind: ProducedRecordKind): void {
    if (kind === 'changelog') {
      if (this.#files !== undefined) {
        const { store, subtopology } = this.#changelogStores.get(record.topic) as { store: string; subtopology: number };
        this.#files.append(`${subtopology}_${record.partition ?? 0}`, store, { key: record.key, value: record.value });
      }
      if (this.#captureChangelogs) this.#store(record.topic, record.partition ?? 0, record.key, record.value, record.timestamp, record.headers, kind, true);
      return;
    }
    const consumer = kind === 'dead-letter' ? undefined : this.metadata.subtopologyOf(record.topic);
    if (consumer === undefined) {
      const raw = this.#store(record.topic, record.partition ?? 0, record.key, record.value, record.timestamp, record.headers, kind, this.#capture !== 'none');
      this.#onOutput?.(raw);
      return;
    }
    const partition = this.partitionFor(record.topic, record.key, record.partition);
    const raw = this.#store(record.topic, partition, record.key, record.value, record.timestamp, record.headers, kind, this.#capture === 'all');
    this.#queue.push({ task: (this.#tasks[consumer.id] as StreamTask[])[partition] as StreamTask, record: raw });
  }

  #append(topic: string, input: ConsumedRecordInput): Delivery {
    const sub = this.metadata.subtopologyOf(topic) as { id: number };
    const partition = this.partitionFor(topic, input.key, input.partition);
    const raw = this.#store(topic, partition, input.key, input.value, input.timestamp, input.headers, 'input', this.#capture === 'all');
    return { task: (this.#tasks[sub.id] as StreamTask[])[partition] as StreamTask, record: raw };
  }

  /** Gives the record its offset on the topic partition, and keeps it when `keep`. */
  #store(topic: string, partition: number, key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers, kind: RawTestRecord['kind'], keep: boolean): RawTestRecord {
    const log = this.#log(topic);
    while (log.partitions.length <= partition) log.partitions.push(0);
    const offset = log.partitions[partition] as number;
    log.partitions[partition] = offset + 1;
    const raw: RawTestRecord = { topic, partition, offset: String(offset), key, value, timestamp, headers, kind };
    if (keep) log.records.push(raw);
    return raw;
  }

  #log(topic: string): TopicLog {
    let log = this.#logs.get(topic);
    if (log === undefined) {
      log = { records: [], cursor: 0, partitions: [], release: this.#capture !== 'all' };
      this.#logs.set(topic, log);
    }
    return log;
  }

  /** Processes deliveries, batching consecutive records of the same task. */
  #deliverSync(deliveries: readonly Delivery[]): void {
    let from = 0;
    while (from < deliveries.length) {
      const task = (deliveries[from] as Delivery).task;
      let to = from + 1;
      while (to < deliveries.length && (deliveries[to] as Delivery).task === task) to++;
      const batch = deliveries.length === 1 ? [(deliveries[0] as Delivery).record] : deliveries.slice(from, to).map((d) => d.record);
      this.#syncOrThrow(task.process(batch));
      from = to;
    }
  }

  async #deliverAsync(deliveries: readonly Delivery[]): Promise<void> {
    let from = 0;
    while (from < deliveries.length) {
      const task = (deliveries[from] as Delivery).task;
      let to = from + 1;
      while (to < deliveries.length && (deliveries[to] as Delivery).task === task) to++;
      await task.process(deliveries.slice(from, to).map((d) => d.record));
      from = to;
    }
  }

  /** Processes records routed to internal/looped topics until none is left (FIFO, deterministic). */
  #drainSync(): void {
    while (this.#queue.length > 0) {
      const queue = this.#queue;
      this.#queue = [];
      this.#deliverSync(queue);
    }
  }

  async #drainAsync(): Promise<void> {
    while (this.#queue.length > 0) {
      const queue = this.#queue;
      this.#queue = [];
      await this.#deliverAsync(queue);
    }
  }

  #syncOrThrow(result: void | Promise<void>): void {
    if (result === undefined) return;
    // Keep the rejection from going unhandled; the driver is unusable from here on.
    result.catch(() => undefined);
    this.#broken = new StreamsError(
      'STREAMS_ASYNC_IN_SYNC_DRIVER',
      'the topology did asynchronous work (an async processor, punctuator or serde): use the ...Async methods of the driver',
    );
    throw this.#broken;
  }

  #assertUsable(): void {
    if (this.#broken !== undefined) throw this.#broken;
    if (this.#closed) throw new StreamsError('STREAMS_TASK_STATE', 'the driver is closed');
    if (this.#ready !== undefined) {
      this.#broken = new StreamsError('STREAMS_ASYNC_IN_SYNC_DRIVER', 'a processor has an asynchronous init: use the ...Async methods of the driver');
      throw this.#broken;
    }
  }

  async #beforeAsync(): Promise<void> {
    if (this.#broken !== undefined) throw this.#broken;
    if (this.#closed) throw new StreamsError('STREAMS_TASK_STATE', 'the driver is closed');
    if (this.#ready !== undefined) {
      await this.#ready;
      this.#ready = undefined;
    }
  }

  #storesNamed(name: string): StateStore[] {
    const stores: StateStore[] = [];
    for (const task of this.tasks) if (task.storeNames.includes(name)) stores.push(task.getStateStore(name));
    if (stores.length === 0) throw new StreamsError('STREAMS_STORE_NOT_FOUND', `no state store named ${name}`, { details: { store: name } });
    return stores;
  }

  #restore(topic: string, records: readonly RawTestRecord[]): void {
    for (const task of this.tasks) {
      for (const store of task.storeNames) {
        if (task.changelogTopicOf(store) !== topic) continue;
        const own: ChangelogRecord[] = records.filter((r) => r.partition === task.partition);
        task.restoreStore(store, own);
      }
    }
  }
}

/** @internal a record ready to be appended to an input topic. */
export interface ConsumedRecordInput {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: Headers;
  readonly partition: number | undefined;
}

export class TestInputTopic<K, V> {
  /** @internal */
  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  /** Sends one record and processes it, and everything it causes, before returning. */
  pipeInput(key: K, value: V, timestamp?: number, headers?: Headers): void {
    this.driver.pipeSync(this.topic, [this.#encodeSync({ key, value, timestamp, headers })]);
  }

  /** A record without a key. */
  pipeValue(value: V, timestamp?: number): void {
    this.pipeInput(null as K, value, timestamp);
  }

  pipeRecordList(records: readonly TestInputRecord<K, V>[]): void {
    this.driver.pipeSync(
      this.topic,
      records.map((r) => this.#encodeSync(r)),
    );
  }

  async pipeInputAsync(key: K, value: V, timestamp?: number, headers?: Headers): Promise<void> {
    await this.driver.pipeAsync(this.topic, [await this.#encode({ key, value, timestamp, headers })]);
  }

  async pipeRecordListAsync(records: readonly TestInputRecord<K, V>[]): Promise<void> {
    const encoded: ConsumedRecordInput[] = new Array<ConsumedRecordInput>(records.length);
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as TestInputRecord<K, V>;
      // Awaited only when a serde is asynchronous: three awaits per record (#encode) were most of the
      // driver's own cost of a batch of small records. Same order of serde calls as #encode.
      const headers = record.headers ?? NO_HEADERS;
      const key = this.keySerde.serialize(this.topic, record.key, headers);
      const keyBytes = isThenable(key) ? await key : key;
      const value = this.valueSerde.serialize(this.topic, record.value, headers);
      const valueBytes = isThenable(value) ? await value : value;
      encoded[i] = { key: keyBytes, value: valueBytes, timestamp: record.timestamp ?? this.driver.wallClock, headers, partition: record.partition };
    }
    await this.driver.pipeAsync(this.topic, encoded);
  }

  #encodeSync(record: TestInputRecord<K, V>): ConsumedRecordInput {
    const headers = record.headers ?? NO_HEADERS;
    const key = this.keySerde.serialize(this.topic, record.key, headers);
    const value = this.valueSerde.serialize(this.topic, record.value, headers);
    if (isThenable(key) || isThenable(value)) {
      throw new StreamsError('STREAMS_ASYNC_IN_SYNC_DRIVER', `serde of input topic ${this.topic} is asynchronous: use pipeInputAsync`);
    }
    return { key, value, timestamp: record.timestamp ?? this.driver.wallClock, headers, partition: record.partition };
  }

  async #encode(record: TestInputRecord<K, V>): Promise<ConsumedRecordInput> {
    const headers = record.headers ?? NO_HEADERS;
    const key = await this.keySerde.serialize(this.topic, record.key, headers);
    const value = await this.valueSerde.serialize(this.topic, record.value, headers);
    return { key, value, timestamp: record.timestamp ?? this.driver.wallClock, headers, partition: record.partition };
  }
}

export class TestOutputTopic<K, V> {
  /** @internal */
  constructor(
    private readonly log: TopicLog,
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  isEmpty(): boolean {
    return this.log.cursor >= this.log.records.length;
  }

  getQueueSize(): number {
    return this.log.records.length - this.log.cursor;
  }

  /** Reads the next record; throws STREAMS_OUTPUT_EMPTY when there is none. */
  readRecord(): TestRecord<K, V> {
    const raw = this.log.records[this.log.cursor];
    if (raw === undefined) throw new StreamsError('STREAMS_OUTPUT_EMPTY', `no record left on output topic ${this.topic}`);
    this.log.cursor++;
    this.#release();
    const key = this.keySerde.deserialize(this.topic, raw.key, raw.headers);
    const value = this.valueSerde.deserialize(this.topic, raw.value, raw.headers);
    if (isThenable(key) || isThenable(value)) {
      throw new StreamsError('STREAMS_ASYNC_IN_SYNC_DRIVER', `serde of output topic ${this.topic} is asynchronous: use readRecordsToListAsync`);
    }
    return { key, value, timestamp: raw.timestamp, headers: raw.headers, partition: raw.partition };
  }

  readValue(): V {
    return this.readRecord().value;
  }

  readKeyValue(): KeyValue<K, V> {
    const record = this.readRecord();
    return { key: record.key, value: record.value };
  }

  readRecordsToList(): TestRecord<K, V>[] {
    const records: TestRecord<K, V>[] = [];
    while (!this.isEmpty()) records.push(this.readRecord());
    return records;
  }

  readValuesToList(): V[] {
    return this.readRecordsToList().map((r) => r.value);
  }

  readKeyValuesToList(): KeyValue<K, V>[] {
    return this.readRecordsToList().map((r) => ({ key: r.key, value: r.value }));
  }

  /**
   * The latest value per key (a null value deletes the key, like a table). Keys are compared as Map
   * keys: use it with primitive keys, or pass `keyOf` to map structured keys (e.g. Windowed) to one.
   */
  readKeyValuesToMap<MK = K>(keyOf?: (key: K) => MK): Map<MK, V> {
    const result = new Map<MK, V>();
    for (const record of this.readRecordsToList()) {
      const mapKey = keyOf === undefined ? (record.key as unknown as MK) : keyOf(record.key);
      if (record.value === null || record.value === undefined) result.delete(mapKey);
      else result.set(mapKey, record.value);
    }
    return result;
  }

  /** In capture mode `outputs`, forgets records already read, in chunks, so memory stays bounded. */
  #release(): void {
    const log = this.log;
    if (log.release && log.cursor >= 4_096 && log.cursor * 2 >= log.records.length) {
      log.records = log.records.slice(log.cursor);
      log.cursor = 0;
    }
  }

  async readRecordsToListAsync(): Promise<TestRecord<K, V>[]> {
    const records: TestRecord<K, V>[] = [];
    while (!this.isEmpty()) {
      const raw = this.log.records[this.log.cursor++] as RawTestRecord;
      const key = await this.keySerde.deserialize(this.topic, raw.key, raw.headers);
      const value = await this.valueSerde.deserialize(this.topic, raw.value, raw.headers);
      records.push({ key, value, timestamp: raw.timestamp, headers: raw.headers, partition: raw.partition });
    }
    return records;
  }
}

export { DEAD_LETTER_HEADERS };
