/**
 * A StreamTask runs one sub-topology for one input partition: it owns an instance of every
 * processor node and state store of that sub-topology, deserializes the records an engine hands it,
 * stamps event time, runs them through the nodes, and sends every output (sink, repartition,
 * changelog, dead-letter records) to the engine's RecordCollector. It is the seam shared by the Kafka
 * engine and the TopologyTestDriver: both run exactly this code.
 *
 * Speed: a topology whose serdes and processors are synchronous never allocates a Promise. Every
 * return value that could be a Promise is checked and only real thenables are awaited; `process`
 * returns `undefined` in that case, and a Promise only once something asynchronous happened, after
 * which the rest of the batch continues in order (each record is finished before the next starts).
 *
 * Lifecycle: construct (stores are created, empty) → `restoreStore(...)` from the changelogs →
 * `initialize()` (processors' init) → `process(batch)` / `punctuateWallClock(now)` repeatedly →
 * `flush()` + `committableOffsets()` at each commit → `close()`.
 */
import type { Cancellable, DeadLetterReason, Headers, Processor, ProcessorContext, PunctuationType, RecordMetadata, StateStore, StreamRecord } from './processor.js';
import type { CommittableOffset, ConsumedRecord, ProducedRecordKind, RecordCollector } from './records.js';
import { DEAD_LETTER_CODES, DEFAULT_ERROR_HANDLERS, describeError, FATAL_CODES, StreamsError, StreamsFatalError, type ErrorHandlers, type ErrorStage } from './errors.js';
import { deadLetterRecord, DEFAULT_DEAD_LETTER_TOPIC, type DeadLetterPayload } from './dead-letter.js';
import { noopStreamsMetrics, STREAMS_METRICS, type StreamsMetrics } from './metrics.js';
import { isThenable } from './serdes.js';
import { changelogTopicName, type ChangeLogger, type ChangelogRecord, type ManagedStateStore, type StoreContext } from './state/store.js';
import { repartitionTopicName, type SinkNodeDef, type SourceNodeDef, type Topology } from './topology.js';

export interface StreamTaskOptions {
  readonly applicationId: string;
  /** Sub-topology id (`topology.subtopologies[i].id`). */
  readonly subtopology: number;
  /** The partition number this task owns on every source topic of its sub-topology. */
  readonly partition: number;
  readonly collector: RecordCollector;
  /** Default `quintet.dead-letter`. */
  readonly deadLetterTopic?: string;
  readonly deadLetterPayload?: DeadLetterPayload;
  readonly errorHandlers?: ErrorHandlers;
  readonly metrics?: StreamsMetrics;
  /** Wall clock for `currentSystemTimeMs()` (the driver passes its mock clock). Default Date.now. */
  readonly clock?: () => number;
  /** Partition count of a topic, for custom partitioners on sinks. */
  readonly partitionsFor?: (topic: string) => number | undefined;
}

type AnyRecord = StreamRecord<unknown, unknown>;
type AnyProcessor = Processor<unknown, unknown, unknown, unknown>;

interface RuntimeNode {
  readonly name: string;
  processor: AnyProcessor;
  readonly children: RuntimeNode[];
  readonly childByName: Map<string, RuntimeNode>;
  context: ProcessorContext<unknown, unknown>;
}

interface RuntimeSource {
  readonly def: SourceNodeDef;
  readonly children: RuntimeNode[];
}

interface Prepared {
  readonly raw: ConsumedRecord;
  readonly source: RuntimeSource;
  readonly record: AnyRecord;
}

interface Schedule {
  readonly type: PunctuationType;
  readonly interval: number;
  next: number;
  readonly callback: (timestampMs: number) => void | Promise<void>;
  readonly node: RuntimeNode;
}

type TaskState = 'created' | 'running' | 'failed' | 'closed';

const NO_HEADERS: Headers = Object.freeze({});

export class StreamTask implements ChangeLogger {
  /** `<subtopology>_<partition>`, Kafka Streams' task id. */
  readonly id: string;
  readonly applicationId: string;
  readonly subtopology: number;
  readonly partition: number;
  /** Resolved names of the topics this task consumes (partition `partition` of each). */
  readonly inputTopics: readonly string[];

  readonly #collector: RecordCollector;
  readonly #deadLetterTopic: string;
  readonly #deadLetterPayload: DeadLetterPayload | undefined;
  readonly #handlers: Required<ErrorHandlers>;
  readonly #metrics: StreamsMetrics;
  readonly #clock: () => number;
  readonly #partitionsFor: (topic: string) => number | undefined;

  readonly #sources = new Map<string, RuntimeSource>();
  readonly #nodes: RuntimeNode[] = [];
  readonly #preparers: RuntimeNode[] = [];
  readonly #flushers: RuntimeNode[] = [];
  readonly #committers: RuntimeNode[] = [];
  /** Nodes whose processor has `writesAcknowledged`. */
  readonly #acknowledgers: RuntimeNode[] = [];
  readonly #stores = new Map<string, ManagedStateStore>();
  readonly #changelogTopics = new Map<string, string>();
  readonly #offsets = new Map<string, string>();
  readonly #storeContext: StoreContext;

  #state: TaskState = 'created';
  #streamTime = -1;
  #currentTimestamp = 0;
  #currentRaw: ConsumedRecord | undefined;
  #pending: Promise<unknown>[] = [];
  #streamSchedules: Schedule[] = [];
  #wallClockSchedules: Schedule[] = [];
  #nextStreamPunctuation = Number.POSITIVE_INFINITY;
  #processedSinceReport = 0;
  readonly #labels: Readonly<Record<string, string>>;

  constructor(topology: Topology, options: StreamTaskOptions) {
    const sub = topology.subtopologies.find((s) => s.id === options.subtopology);
    if (sub === undefined) throw new StreamsError('STREAMS_TOPOLOGY_INVALID', `topology has no sub-topology ${options.subtopology}`);
    this.applicationId = options.applicationId;
    this.subtopology = options.subtopology;
    this.partition = options.partition;
    this.id = `${options.subtopology}_${options.partition}`;
    this.#collector = options.collector;
    this.#deadLetterTopic = options.deadLetterTopic ?? DEFAULT_DEAD_LETTER_TOPIC;
    this.#deadLetterPayload = options.deadLetterPayload;
    this.#handlers = { ...DEFAULT_ERROR_HANDLERS, ...(options.errorHandlers ?? {}) };
    this.#metrics = options.metrics ?? noopStreamsMetrics;
    this.#clock = options.clock ?? Date.now;
    this.#partitionsFor = options.partitionsFor ?? (() => undefined);
    this.#labels = Object.freeze({ task: this.id, subtopology: String(this.subtopology) });
    this.#storeContext = { taskId: this.id, changeLogger: this, currentTimestamp: () => this.#currentTimestamp };

    for (const storeName of sub.stores) {
      const builder = topology.stores.get(storeName);
      if (builder === undefined) continue;
      const store = builder.build();
      store.init(this.#storeContext);
      this.#stores.set(storeName, store);
      if (builder.loggingEnabled) this.#changelogTopics.set(storeName, changelogTopicName(this.applicationId, storeName));
    }

    const byName = new Map<string, RuntimeNode>();
    for (const name of sub.nodes) {
      const def = topology.node(name);
      if (def.kind === 'source') continue;
      const node: RuntimeNode = { name, processor: undefined as unknown as AnyProcessor, children: [], childByName: new Map(), context: undefined as unknown as ProcessorContext<unknown, unknown> };
      node.context = this.#contextFor(node);
      node.processor = def.kind === 'processor' ? (def.supplier() as AnyProcessor) : this.#sinkProcessor(def);
      byName.set(name, node);
      this.#nodes.push(node);
      if (node.processor.flushBatch !== undefined) this.#flushers.push(node);
      if (node.processor.beforeCommit !== undefined) this.#committers.push(node);
      if (node.processor.writesAcknowledged !== undefined) this.#acknowledgers.push(node);
    }
    const inputTopics: string[] = [];
    for (const name of sub.nodes) {
      const def = topology.node(name);
      if (def.kind === 'sink') continue;
      const children = def.children.map((child) => byName.get(child) as RuntimeNode);
      if (def.kind === 'source') {
        const source: RuntimeSource = { def, children };
        for (const topic of def.topics) {
          const resolved = def.internal ? repartitionTopicName(this.applicationId, topic) : topic;
          this.#sources.set(resolved, source);
          inputTopics.push(resolved);
        }
        for (const child of children) if (child.processor.prepareBatch !== undefined && !this.#preparers.includes(child)) this.#preparers.push(child);
      } else {
        const node = byName.get(name) as RuntimeNode;
        for (const child of children) {
          node.children.push(child);
          node.childByName.set(child.name, child);
        }
      }
    }
    this.inputTopics = inputTopics;
  }

  /** Largest event time this task has seen (-1 before the first record). */
  get streamTime(): number {
    return this.#streamTime;
  }

  /** Sets stream time after a restart (e.g. from commit metadata); it never moves backwards. */
  restoreStreamTime(ms: number): void {
    if (ms > this.#streamTime) this.#streamTime = ms;
  }

  /** Stores of this task by name, with their resolved changelog topic (undefined when not logged). */
  get storeNames(): readonly string[] {
    return [...this.#stores.keys()];
  }

  changelogTopicOf(storeName: string): string | undefined {
    return this.#changelogTopics.get(storeName);
  }

  getStateStore<S extends StateStore = ManagedStateStore>(name: string): S {
    const store = this.#stores.get(name);
    if (store === undefined) throw new StreamsError('STREAMS_STORE_NOT_FOUND', `task ${this.id} has no state store named ${name}`, { details: { store: name, task: this.id } });
    return store as unknown as S;
  }

  /** Replays changelog records (key/value bytes, in offset order) into an empty store. Call before processing. */
  restoreStore(storeName: string, records: Iterable<ChangelogRecord>): void {
    if (this.#state === 'closed' || this.#state === 'failed') throw this.#stateError('restore');
    const store = this.getStateStore<ManagedStateStore>(storeName);
    try {
      store.restore(records);
    } catch (error) {
      throw new StreamsError('STREAMS_RESTORE_FAILED', `restoring store ${storeName} of task ${this.id} failed: ${describeError(error)}`, { cause: error, details: { store: storeName, task: this.id } });
    }
  }

  /** Runs every processor's `init`. Returns a Promise only if one of them is asynchronous. */
  initialize(): void | Promise<void> {
    if (this.#state !== 'created') throw this.#stateError('initialize');
    this.#state = 'running';
    const waits: Promise<unknown>[] = [];
    for (const node of this.#nodes) {
      const result = node.processor.init?.(node.context);
      if (result !== undefined && isThenable(result)) waits.push(Promise.resolve(result));
    }
    if (waits.length > 0) return Promise.all(waits).then(() => undefined, (error: unknown) => this.#fail(error));
    return undefined;
  }

  /**
   * Processes a batch of consumed records (any mix of this task's input topics, partition
   * `this.partition`), in order. Returns a Promise only when something asynchronous happened;
   * the engine must await it before the next call, and before committing.
   */
  process(batch: readonly ConsumedRecord[]): void | Promise<void> {
    if (this.#state !== 'running') throw this.#stateError('process');
    const prepared: (Prepared | undefined)[] = new Array<Prepared | undefined>(batch.length);
    try {
      for (let i = 0; i < batch.length; i++) {
        const result = this.#deserialize(batch[i] as ConsumedRecord);
        if (result !== undefined && isThenable(result)) return this.#guard(this.#deserializeRestAsync(batch, prepared, i, result));
        prepared[i] = result;
      }
      if (this.#preparers.length > 0) return this.#guard(this.#prepareAndRun(batch, prepared));
      const rest = this.#runFrom(batch, prepared, 0);
      if (rest !== undefined) return this.#guard(this.#flushers.length > 0 ? rest.then(() => this.#flushBatch()) : rest);
      const flushed = this.#flushBatch();
      if (flushed !== undefined) return this.#guard(flushed);
      this.#reportProcessed();
      return undefined;
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Fires due wall-clock punctuators. Returns a Promise only if one of them is asynchronous. */
  punctuateWallClock(nowMs: number): void | Promise<void> {
    if (this.#state !== 'running') throw this.#stateError('punctuate');
    try {
      for (const schedule of [...this.#wallClockSchedules]) {
        if (schedule.next <= nowMs && this.#wallClockSchedules.includes(schedule)) this.#punctuate(schedule, nowMs);
      }
      if (this.#pending.length > 0) return this.#guard(this.#drain().then(() => this.#flushBatch()));
      const flushed = this.#flushBatch();
      return flushed === undefined ? undefined : this.#guard(flushed);
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Lets processors write what they hold (`beforeCommit`), flushes the stores (durable local state,
   * when a store has any), and waits until processors' writes outside Kafka are acknowledged
   * (`writesAcknowledged`). Call before committing. Returns a Promise only if something is
   * asynchronous; the engine awaits it before it takes the offsets.
   */
  flush(): void | Promise<void> {
    const flushed = this.#flushProcessorsAndStores();
    if (flushed === undefined) return this.#acknowledgements();
    return flushed.then(() => this.#acknowledgements());
  }

  /**
   * `flush()` without the wait for processors' writes outside Kafka: resolves once `beforeCommit` and
   * the stores are done, with the promise for those acknowledgements (undefined when none is pending).
   * For an engine that commits the positions of this moment only after `acknowledged` resolved, while
   * the task goes on processing and its output is held back.
   */
  flushDeferred(): { acknowledged: Promise<void> | undefined } | Promise<{ acknowledged: Promise<void> | undefined }> {
    const flushed = this.#flushProcessorsAndStores();
    if (flushed === undefined) return { acknowledged: this.#acknowledgements() };
    return flushed.then(() => ({ acknowledged: this.#acknowledgements() }));
  }

  #flushProcessorsAndStores(): Promise<void> | undefined {
    const waits: Promise<unknown>[] = [];
    for (const node of this.#committers) {
      const result = (node.processor.beforeCommit as () => void | Promise<void>)();
      if (result !== undefined && isThenable(result)) waits.push(Promise.resolve(result));
    }
    if (waits.length > 0) return Promise.all(waits).then(() => this.flushStores());
    this.flushStores();
    return undefined;
  }

  #acknowledgements(): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    for (const node of this.#acknowledgers) {
      const acknowledged = (node.processor.writesAcknowledged as () => Promise<void> | undefined)();
      if (acknowledged !== undefined) (waits ??= []).push(acknowledged);
    }
    if (waits === undefined) return undefined;
    return waits.length === 1 ? (waits[0] as Promise<void>) : Promise.all(waits).then(() => undefined);
  }

  /**
   * Logs the stores' cached changes (stores with `caching`) without the processors' `beforeCommit`:
   * the test driver calls it after each input, as Kafka's TopologyTestDriver flushes its caches.
   */
  flushStores(): void {
    for (const store of this.#stores.values()) store.flush();
  }

  /** Next offset to consume per input topic (last processed + 1), for the commit. */
  committableOffsets(): CommittableOffset[] {
    const result: CommittableOffset[] = [];
    for (const [topic, offset] of this.#offsets) result.push({ topic, partition: this.partition, offset: (BigInt(offset) + 1n).toString() });
    return result;
  }

  /** Closes processors then stores. Safe to call after a failure. */
  close(): void | Promise<void> {
    if (this.#state === 'closed') return undefined;
    const wasRunning = this.#state === 'running';
    this.#state = 'closed';
    const waits: Promise<unknown>[] = [];
    if (wasRunning) {
      for (const node of this.#nodes) {
        const result = node.processor.close?.();
        if (result !== undefined && isThenable(result)) waits.push(Promise.resolve(result));
      }
    }
    const closeStores = (): void => {
      for (const store of this.#stores.values()) store.close();
    };
    if (waits.length > 0) return Promise.all(waits).then(closeStores);
    closeStores();
    return undefined;
  }

  /** ChangeLogger: a store changed; produce it to the store's changelog, on this task's partition. */
  logChange(storeName: string, key: Buffer, value: Buffer | null, timestamp: number): void {
    const topic = this.#changelogTopics.get(storeName);
    if (topic === undefined) return;
    this.#collector.send({ topic, partition: this.partition, key, value, timestamp, headers: NO_HEADERS }, 'changelog');
  }

  // ---- processing ------------------------------------------------------------------------------

  #deserialize(raw: ConsumedRecord): Prepared | undefined | Promise<Prepared | undefined> {
    const source = this.#sources.get(raw.topic);
    if (source === undefined) {
      throw new StreamsFatalError('STREAMS_UNKNOWN_TOPIC', `task ${this.id} does not consume topic ${raw.topic}`, { details: { topic: raw.topic, task: this.id } });
    }
    let key: unknown;
    let value: unknown;
    try {
      key = source.def.keySerde.deserialize(raw.topic, raw.key, raw.headers);
      value = source.def.valueSerde.deserialize(raw.topic, raw.value, raw.headers);
    } catch (error) {
      return this.#deserializationFailed(raw, error, DEAD_LETTER_CODES.deserialization);
    }
    if (isThenable(key) || isThenable(value)) {
      return Promise.all([key, value]).then(
        ([k, v]) => this.#stamp(raw, source, k, v),
        (error: unknown) => this.#deserializationFailed(raw, error, DEAD_LETTER_CODES.deserialization),
      );
    }
    return this.#stamp(raw, source, key, value);
  }

  #stamp(raw: ConsumedRecord, source: RuntimeSource, key: unknown, value: unknown): Prepared | undefined {
    let timestamp: number;
    try {
      timestamp = source.def.timestampExtractor({ key, value, timestamp: raw.timestamp, topic: raw.topic, partition: raw.partition }, this.#streamTime);
    } catch (error) {
      return this.#deserializationFailed(raw, error, 'INVALID_TIMESTAMP');
    }
    if (!(timestamp >= 0) || !Number.isFinite(timestamp)) {
      return this.#deserializationFailed(raw, new StreamsError('STREAMS_DESERIALIZATION_FAILED', 'timestamp extractor returned an invalid timestamp'), 'INVALID_TIMESTAMP');
    }
    return { raw, source, record: { key, value, timestamp, headers: raw.headers } };
  }

  async #deserializeRestAsync(batch: readonly ConsumedRecord[], prepared: (Prepared | undefined)[], from: number, first: Promise<Prepared | undefined>): Promise<void> {
    prepared[from] = await first;
    for (let i = from + 1; i < batch.length; i++) {
      const result = this.#deserialize(batch[i] as ConsumedRecord);
      prepared[i] = result !== undefined && isThenable(result) ? await result : result;
    }
    if (this.#preparers.length > 0) return this.#prepareAndRun(batch, prepared);
    await this.#runFrom(batch, prepared, 0);
    await this.#flushBatch();
    this.#reportProcessed();
  }

  async #prepareAndRun(batch: readonly ConsumedRecord[], prepared: (Prepared | undefined)[]): Promise<void> {
    await Promise.all(
      this.#preparers.map(async (node) => {
        const records: AnyRecord[] = [];
        for (const p of prepared) if (p !== undefined && p.source.children.includes(node)) records.push(p.record);
        if (records.length === 0) return;
        this.#currentRaw = undefined;
        try {
          await (node.processor.prepareBatch as (records: readonly AnyRecord[]) => Promise<void>)(records);
        } catch (error) {
          this.#processingFailed(node, error);
        }
      }),
    );
    await this.#runFrom(batch, prepared, 0);
    await this.#flushBatch();
    this.#reportProcessed();
  }

  /** Lets buffering processors write what the batch produced. Returns a Promise only if one of them is asynchronous. */
  #flushBatch(): void | Promise<void> {
    if (this.#flushers.length === 0) return undefined;
    this.#currentRaw = undefined;
    const waits: Promise<unknown>[] = [];
    for (const node of this.#flushers) {
      try {
        const result = (node.processor.flushBatch as () => void | Promise<void>)();
        if (result !== undefined && isThenable(result)) waits.push(Promise.resolve(result).then(undefined, (error: unknown) => this.#processingFailed(node, error)));
      } catch (error) {
        this.#processingFailed(node, error);
      }
    }
    return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
  }

  /** Runs records from `from` synchronously until one leaves pending async work; then continues asynchronously. */
  #runFrom(batch: readonly ConsumedRecord[], prepared: readonly (Prepared | undefined)[], from: number): void | Promise<void> {
    for (let i = from; i < batch.length; i++) {
      const p = prepared[i];
      if (p !== undefined) this.#processRecord(p);
      const raw = batch[i] as ConsumedRecord;
      this.#offsets.set(raw.topic, raw.offset);
      this.#processedSinceReport++;
      if (this.#pending.length > 0) return this.#runRestAsync(batch, prepared, i + 1);
    }
    return undefined;
  }

  async #runRestAsync(batch: readonly ConsumedRecord[], prepared: readonly (Prepared | undefined)[], from: number): Promise<void> {
    await this.#drain();
    for (let i = from; i < batch.length; i++) {
      const p = prepared[i];
      if (p !== undefined) this.#processRecord(p);
      const raw = batch[i] as ConsumedRecord;
      this.#offsets.set(raw.topic, raw.offset);
      this.#processedSinceReport++;
      if (this.#pending.length > 0) await this.#drain();
    }
  }

  #processRecord(p: Prepared): void {
    const record = p.record;
    this.#currentRaw = p.raw;
    this.#currentTimestamp = record.timestamp;
    if (record.timestamp > this.#streamTime) this.#streamTime = record.timestamp;
    const children = p.source.children;
    for (let c = 0; c < children.length; c++) this.#dispatch(children[c] as RuntimeNode, record);
    if (this.#streamTime >= this.#nextStreamPunctuation) this.#punctuateStreamTime();
  }

  #dispatch(node: RuntimeNode, record: AnyRecord): void {
    try {
      const result = node.processor.process(record);
      if (result !== undefined && isThenable(result)) {
        this.#pending.push(Promise.resolve(result).then(undefined, (error: unknown) => this.#processingFailed(node, error)));
      }
    } catch (error) {
      this.#processingFailed(node, error);
    }
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const waiting = this.#pending;
      this.#pending = [];
      await Promise.all(waiting);
    }
  }

  // ---- punctuation -----------------------------------------------------------------------------

  #schedule(node: RuntimeNode, intervalMs: number, type: PunctuationType, callback: Schedule['callback']): Cancellable {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new StreamsError('STREAMS_TOPOLOGY_INVALID', `punctuation interval must be a positive integer of ms, got ${intervalMs}`);
    // Stream time: aligned to 0 so it fires with the first record (Kafka Streams); wall clock: one interval from now.
    const schedule: Schedule = { type, interval: intervalMs, next: type === 'stream-time' ? 0 : this.#clock() + intervalMs, callback, node };
    if (type === 'stream-time') {
      this.#streamSchedules = [...this.#streamSchedules, schedule];
      this.#nextStreamPunctuation = Math.min(this.#nextStreamPunctuation, schedule.next);
    } else {
      this.#wallClockSchedules = [...this.#wallClockSchedules, schedule];
    }
    return {
      cancel: () => {
        this.#streamSchedules = this.#streamSchedules.filter((s) => s !== schedule);
        this.#wallClockSchedules = this.#wallClockSchedules.filter((s) => s !== schedule);
        this.#recomputeNextStreamPunctuation();
      },
    };
  }

  #punctuateStreamTime(): void {
    for (const schedule of this.#streamSchedules) {
      if (schedule.next <= this.#streamTime && this.#streamSchedules.includes(schedule)) this.#punctuate(schedule, this.#streamTime);
    }
    this.#recomputeNextStreamPunctuation();
  }

  #recomputeNextStreamPunctuation(): void {
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.#streamSchedules) if (s.next < next) next = s.next;
    this.#nextStreamPunctuation = next;
  }

  #punctuate(schedule: Schedule, timestamp: number): void {
    // Missed intervals are skipped: the next one is the first aligned time after `timestamp`.
    const missed = Math.floor((timestamp - schedule.next) / schedule.interval);
    schedule.next += (missed + 1) * schedule.interval;
    const savedRaw = this.#currentRaw;
    const savedTimestamp = this.#currentTimestamp;
    this.#currentRaw = undefined;
    this.#currentTimestamp = timestamp;
    this.#metrics.increment(STREAMS_METRICS.punctuations, { task: this.id, type: schedule.type });
    try {
      const result = schedule.callback(timestamp);
      if (result !== undefined && isThenable(result)) {
        this.#pending.push(Promise.resolve(result).then(undefined, (error: unknown) => this.#processingFailed(schedule.node, error)));
      }
    } catch (error) {
      this.#processingFailed(schedule.node, error);
    } finally {
      this.#currentRaw = savedRaw;
      this.#currentTimestamp = savedTimestamp;
    }
  }

  // ---- nodes -----------------------------------------------------------------------------------

  #contextFor(node: RuntimeNode): ProcessorContext<unknown, unknown> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the context is a view of this task
    const task = this;
    return {
      applicationId: this.applicationId,
      taskId: this.id,
      partition: this.partition,
      get recordMetadata(): RecordMetadata | undefined {
        const raw = task.#currentRaw;
        return raw === undefined ? undefined : { topic: raw.topic, partition: raw.partition, offset: raw.offset };
      },
      currentStreamTimeMs: () => this.#streamTime,
      currentSystemTimeMs: () => this.#clock(),
      forward: (record: AnyRecord, childName?: string) => {
        if (childName === undefined) {
          const children = node.children;
          for (let i = 0; i < children.length; i++) this.#dispatch(children[i] as RuntimeNode, record);
          return;
        }
        const child = node.childByName.get(childName);
        if (child === undefined) throw new StreamsError('STREAMS_TOPOLOGY_INVALID', `${node.name} has no child named ${childName}`);
        this.#dispatch(child, record);
      },
      getStateStore: <S extends StateStore>(name: string): S => this.getStateStore<S>(name),
      schedule: (intervalMs, type, callback) => this.#schedule(node, intervalMs, type, callback),
      recordDropped: (reason: string) => this.recordDropped(node.name, reason),
      deadLetter: (reason: DeadLetterReason) => {
        if (this.#currentRaw === undefined) return;
        this.#sendDeadLetter(this.#currentRaw, { ...reason, node: node.name });
      },
    };
  }

  #sinkProcessor(def: SinkNodeDef): AnyProcessor {
    const kind: ProducedRecordKind = def.internal ? 'repartition' : 'sink';
    const staticTopic = typeof def.topic === 'string' ? (def.internal ? repartitionTopicName(this.applicationId, def.topic) : def.topic) : undefined;
    const extractor = typeof def.topic === 'function' ? def.topic : undefined;
    const { keySerde, valueSerde, partitioner } = def;
    // Records of one sink leave in processing order even when serialization is asynchronous.
    let tail: Promise<void> | undefined;
    const send = (record: AnyRecord, topic: string, key: Buffer | null, value: Buffer | null): void => {
      let partition: number | undefined;
      if (partitioner !== undefined) {
        const count = this.#partitionsFor(topic);
        if (count === undefined) throw new StreamsError('STREAMS_UNKNOWN_TOPIC', `sink ${def.name}: partition count of ${topic} is unknown`, { details: { topic } });
        partition = partitioner(topic, record.key, record.value, count);
      }
      this.#collector.send({ topic, partition, key, value, timestamp: record.timestamp, headers: record.headers }, kind);
    };
    return {
      process: (record: AnyRecord): void | Promise<void> => {
        let topic: string;
        let key: Buffer | null | Promise<Buffer | null>;
        let value: Buffer | null | Promise<Buffer | null>;
        try {
          topic = staticTopic ?? (extractor as (r: AnyRecord) => string)(record);
          key = keySerde.serialize(topic, record.key, record.headers);
          value = valueSerde.serialize(topic, record.value, record.headers);
          if (tail === undefined && !isThenable(key) && !isThenable(value)) {
            send(record, topic, key, value);
            return undefined;
          }
        } catch (error) {
          this.#productionFailed(def.name, error);
          return undefined;
        }
        const previous = tail ?? Promise.resolve();
        const raw = this.#currentRaw;
        const next = previous
          .then(() => Promise.all([key, value]))
          .then(([k, v]) => send(record, topic, k, v))
          .catch((error: unknown) => {
            if (error instanceof StreamsFatalError) throw error;
            this.#productionFailed(def.name, error, raw);
          });
        tail = next;
        const clear = (): void => {
          if (tail === next) tail = undefined;
        };
        next.then(clear, clear);
        return next;
      },
    };
  }

  // ---- failures --------------------------------------------------------------------------------

  #deserializationFailed(raw: ConsumedRecord, error: unknown, code: string): undefined {
    this.#handle('deserialization', error, undefined, raw, code);
    return undefined;
  }

  #processingFailed(node: RuntimeNode, error: unknown): void {
    if (error instanceof StreamsFatalError) throw error;
    this.#handle('processing', error, node.name, this.#currentRaw, DEAD_LETTER_CODES.processing);
  }

  #productionFailed(sinkName: string, error: unknown, raw: ConsumedRecord | undefined = this.#currentRaw): void {
    if (error instanceof StreamsFatalError) throw error;
    this.#handle('production', error, sinkName, raw, DEAD_LETTER_CODES.production);
  }

  #handle(stage: ErrorStage, error: unknown, nodeName: string | undefined, raw: ConsumedRecord | undefined, code: string): void {
    const decision = this.#handlers[stage]({
      stage,
      error,
      taskId: this.id,
      nodeName,
      topic: raw?.topic,
      partition: raw?.partition,
      offset: raw?.offset,
    });
    if (decision === 'continue') {
      if (raw !== undefined) this.#sendDeadLetter(raw, { code, stage, message: describeError(error), node: nodeName });
      return;
    }
    throw new StreamsFatalError(FATAL_CODES[stage], `${stage} failed in task ${this.id}${nodeName === undefined ? '' : ` at ${nodeName}`}: ${describeError(error)}`, {
      cause: error,
      details: { task: this.id, node: nodeName ?? null, topic: raw?.topic ?? null, partition: raw?.partition ?? null, offset: raw?.offset ?? null },
    });
  }

  #sendDeadLetter(raw: ConsumedRecord, reason: { code: string; stage: string; message: string; path?: string | undefined; node?: string | undefined }): void {
    const record = deadLetterRecord(
      this.#deadLetterTopic,
      raw,
      { ...reason, taskId: this.id, applicationId: this.applicationId },
      this.#clock(),
      this.#deadLetterPayload,
    );
    this.#collector.send(record, 'dead-letter');
    this.#metrics.increment(STREAMS_METRICS.deadLettered, { task: this.id, stage: reason.stage, code: reason.code });
  }

  /** Counts a record dropped on purpose (late, null key...). Used by the DSL processors through their context. */
  recordDropped(nodeName: string, reason: string): void {
    this.#metrics.increment(STREAMS_METRICS.dropped, { task: this.id, node: nodeName, reason });
  }

  #reportProcessed(): void {
    if (this.#processedSinceReport > 0) {
      this.#metrics.increment(STREAMS_METRICS.processed, this.#labels, this.#processedSinceReport);
      this.#processedSinceReport = 0;
    }
  }

  #guard(work: Promise<void>): Promise<void> {
    return work.then(
      () => this.#reportProcessed(),
      (error: unknown) => this.#fail(error),
    );
  }

  #fail(error: unknown): never {
    this.#state = 'failed';
    this.#pending = [];
    this.#reportProcessed();
    throw error;
  }

  #stateError(action: string): StreamsError {
    return new StreamsError('STREAMS_TASK_STATE', `cannot ${action} task ${this.id}: it is ${this.#state}`, { details: { task: this.id, state: this.#state } });
  }
}
