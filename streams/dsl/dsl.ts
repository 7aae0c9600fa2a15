/**
 * The DSL, shaped after Kafka Streams: StreamsBuilder → KStream / KTable / KGroupedStream /
 * windowed streams. Every operation adds named nodes (given, or generated deterministically like
 * `KSTREAM-FILTER-0000000003`) to a Topology; stores get names the same way, and those names key the
 * changelog topics and metrics, so a program that builds the same topology gets the same names.
 *
 * A key-changing operation (map, flatMap, selectKey, groupBy) marks the stream: a later stateful
 * operation or join first routes it through `<applicationId>-<base>-repartition`, so that each key is
 * processed by the task that owns its partition.
 */
import type { ProcessorSupplier, StreamRecord } from '../processor.js';
import type { StreamPartitioner } from '../partitioner.js';
import { Serdes, type Serde, type SyncSerde } from '../serdes.js';
import { keyValueStoreBuilder } from '../state/key-value-store.js';
import { sessionStoreBuilder } from '../state/session-store.js';
import type { StoreBuilder } from '../state/store.js';
import { windowStoreBuilder } from '../state/window-store.js';
import type { TimestampExtractor } from '../time.js';
import { Topology, type TopicNameExtractor } from '../topology.js';
import { WindowedSerdes, type SessionWindows, type Suppressed, type TimeWindows, type Window, type Windowed } from '../windows.js';
import { StreamsError } from '../errors.js';
import {
  dropNullKeysProcessor,
  filterProcessor,
  flatMapProcessor,
  flatMapValuesProcessor,
  keyValueAggregateProcessor,
  mapProcessor,
  mapValuesProcessor,
  passThroughProcessor,
  peekProcessor,
  selectKeyProcessor,
  sessionWindowAggregateProcessor,
  splitProcessor,
  streamTableJoinProcessor,
  tableSourceProcessor,
  timeWindowAggregateProcessor,
  type Branch,
  type KeyValue,
} from './processors.js';
import { bufferedResultSerde, suppressProcessor } from './suppress.js';

export type { KeyValue };

export interface Named {
  /** Node name; generated when absent. */
  readonly name?: string;
}

export interface Consumed<K, V> extends Named {
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly timestampExtractor?: TimestampExtractor<K, V>;
}

export interface TableOptions<K, V> extends Consumed<K, V> {
  /** Name of the store the table is materialized in; default `<topic>-STATE-STORE-<n>`. */
  readonly storeName?: string;
}

export interface Produced<K, V> extends Named {
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly partitioner?: StreamPartitioner<K, V>;
}

/** Serdes of a repartition topic (defaults: the stream's known serdes, else JSON). */
export interface Repartitioned<K, V> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
}

export type Grouped<K, V> = Repartitioned<K, V>;

export interface Materialized<K, V> extends Named {
  /** Store name; generated when absent. */
  readonly storeName?: string;
  /** Changelog serdes (must be synchronous). Defaults: the grouped serdes, else JSON (Long for counts). */
  readonly keySerde?: SyncSerde<K>;
  readonly valueSerde?: SyncSerde<V>;
  /** Default true. */
  readonly logging?: boolean;
  /** Window/session stores only: retention, at least the window's size + grace. */
  readonly retentionMs?: number;
}

export interface Joined<K, V> extends Named {
  /** Serdes of the stream's repartition topic, if the stream's key changed before the join. */
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
}

type Predicate<K, V> = (key: K, value: V, record: StreamRecord<K, V>) => boolean;

/** Shared state of one StreamsBuilder: the topology under construction and the name counter. */
class BuildContext {
  readonly topology = new Topology();
  #index = 0;

  /** Kafka Streams' generated names: prefix + 10-digit zero-padded index shared by nodes and stores. */
  newName(prefix: string): string {
    return `${prefix}${String(this.#index++).padStart(10, '0')}`;
  }

  nameOr(given: string | undefined, prefix: string): string {
    return given ?? this.newName(prefix);
  }
}

export class StreamsBuilder {
  readonly #context = new BuildContext();
  #built = false;

  /** A KStream of one topic or several topics (same serdes). */
  stream<K, V>(topics: string | readonly string[], consumed: Consumed<K, V>): KStream<K, V> {
    this.#assertOpen();
    const name = this.#context.nameOr(consumed.name, 'KSTREAM-SOURCE-');
    this.#context.topology.addSource(name, topics, consumed);
    return new KStream<K, V>(this.#context, name, false, [name], consumed.keySerde, consumed.valueSerde);
  }

  /** A KTable: the latest value per key of a (compacted) topic, materialized in a named store. */
  table<K, V>(topic: string, options: TableOptions<K, V>): KTable<K, V> {
    this.#assertOpen();
    const sourceName = this.#context.newName('KSTREAM-SOURCE-');
    const storeName = options.storeName ?? this.#context.newName(`${topic}-STATE-STORE-`);
    const processorName = this.#context.nameOr(options.name, 'KTABLE-SOURCE-');
    const topology = this.#context.topology;
    topology.addSource(sourceName, topic, options);
    topology.addProcessor(processorName, tableSourceProcessor(storeName), sourceName);
    topology.addStateStore(
      keyValueStoreBuilder(storeName, { keySerde: options.keySerde as SyncSerde<K>, valueSerde: options.valueSerde as SyncSerde<V> }),
      processorName,
    );
    return new KTable<K, V>(this.#context, processorName, storeName, [sourceName], options.keySerde, options.valueSerde, undefined);
  }

  /** Adds a store for `KStream.process(..., { stores: [name] })`. */
  addStateStore(builder: StoreBuilder): this {
    this.#assertOpen();
    this.#context.topology.addStateStore(builder);
    return this;
  }

  /** The finished Topology; the builder cannot be used afterwards. */
  build(): Topology {
    this.#assertOpen();
    this.#built = true;
    return this.#context.topology;
  }

  #assertOpen(): void {
    if (this.#built) throw new StreamsError('STREAMS_TOPOLOGY_INVALID', 'this StreamsBuilder was already built');
  }
}

export class KStream<K, V> {
  /** @internal */
  constructor(
    private readonly context: BuildContext,
    /** Name of the node whose output this stream is. */
    readonly nodeName: string,
    /** A key-changing operation happened since the last (re)partitioning. */
    readonly repartitionRequired: boolean,
    /** Source nodes feeding this stream within its sub-topology (for co-partitioning checks). */
    readonly sourceNodes: readonly string[],
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
  ) {}

  filter(predicate: Predicate<K, V>, options: Named = {}): KStream<K, V> {
    return this.#add(options.name, 'KSTREAM-FILTER-', filterProcessor(predicate, false), false, true, true);
  }

  filterNot(predicate: Predicate<K, V>, options: Named = {}): KStream<K, V> {
    return this.#add(options.name, 'KSTREAM-FILTER-', filterProcessor(predicate, true), false, true, true);
  }

  map<K2, V2>(mapper: (key: K, value: V, record: StreamRecord<K, V>) => KeyValue<K2, V2>, options: Named = {}): KStream<K2, V2> {
    return this.#add(options.name, 'KSTREAM-MAP-', mapProcessor(mapper), true, false, false);
  }

  mapValues<V2>(mapper: (value: V, key: K, record: StreamRecord<K, V>) => V2, options: Named = {}): KStream<K, V2> {
    return this.#add(options.name, 'KSTREAM-MAPVALUES-', mapValuesProcessor(mapper), false, true, false);
  }

  flatMap<K2, V2>(mapper: (key: K, value: V, record: StreamRecord<K, V>) => Iterable<KeyValue<K2, V2>>, options: Named = {}): KStream<K2, V2> {
    return this.#add(options.name, 'KSTREAM-FLATMAP-', flatMapProcessor(mapper), true, false, false);
  }

  flatMapValues<V2>(mapper: (value: V, key: K, record: StreamRecord<K, V>) => Iterable<V2>, options: Named = {}): KStream<K, V2> {
    return this.#add(options.name, 'KSTREAM-FLATMAPVALUES-', flatMapValuesProcessor(mapper), false, true, false);
  }

  selectKey<K2>(selector: (key: K, value: V, record: StreamRecord<K, V>) => K2, options: Named = {}): KStream<K2, V> {
    return this.#add(options.name, 'KSTREAM-KEY-SELECT-', selectKeyProcessor(selector), true, false, true);
  }

  peek(action: (key: K, value: V, record: StreamRecord<K, V>) => void, options: Named = {}): KStream<K, V> {
    return this.#add(options.name, 'KSTREAM-PEEK-', peekProcessor(action), false, true, true);
  }

  /** Named branches: `split({ name: 'route-' }).branch(p, 'a').defaultBranch()` → `{ 'route-a': ..., 'route-0': ... }`. */
  split(options: Named = {}): BranchedKStream<K, V> {
    const splitName = options.name ?? this.context.newName('KSTREAM-BRANCH-');
    const branches: Branch[] = [];
    this.context.topology.addProcessor(splitName, splitProcessor(branches), this.nodeName);
    return new BranchedKStream<K, V>(this.context, this, splitName, options.name ?? `${splitName}-`, branches);
  }

  merge(other: KStream<K, V>, options: Named = {}): KStream<K, V> {
    const name = this.context.nameOr(options.name, 'KSTREAM-MERGE-');
    this.context.topology.addProcessor(name, passThroughProcessor(), this.nodeName, other.nodeName);
    return new KStream<K, V>(
      this.context,
      name,
      this.repartitionRequired || other.repartitionRequired,
      [...new Set([...this.sourceNodes, ...other.sourceNodes])],
      this.keySerde === other.keySerde ? this.keySerde : undefined,
      this.valueSerde === other.valueSerde ? this.valueSerde : undefined,
    );
  }

  /**
   * A custom Processor with access to the named stores (added with `builder.addStateStore` or given here).
   * The processor is assumed to keep keys (unlike Kafka Streams, which marks `process` as key-changing):
   * if it changes them, call `repartition()` before a stateful operation.
   */
  process<K2, V2>(supplier: ProcessorSupplier<K, V, K2, V2>, options: Named & { stores?: readonly (string | StoreBuilder)[] } = {}): KStream<K2, V2> {
    const name = this.context.nameOr(options.name, 'KSTREAM-PROCESSOR-');
    const topology = this.context.topology;
    topology.addProcessor(name, supplier, this.nodeName);
    for (const store of options.stores ?? []) {
      if (typeof store === 'string') topology.connectProcessorAndStateStores(name, store);
      else topology.addStateStore(store, name);
    }
    return new KStream<K2, V2>(this.context, name, this.repartitionRequired, this.sourceNodes, undefined, undefined);
  }

  /** Writes to a topic, or to the topic chosen per record. */
  to(topic: string | TopicNameExtractor<K, V>, produced: Produced<K, V>): void {
    const name = this.context.nameOr(produced.name, 'KSTREAM-SINK-');
    this.context.topology.addSink(name, topic, produced, this.nodeName);
  }

  /** Explicit repartition through `<applicationId>-<name>-repartition`. */
  repartition(options: Repartitioned<K, V> = {}): KStream<K, V> {
    return this.#repartitionAs(options.name ?? this.context.newName('KSTREAM-REPARTITION-'), options.keySerde, options.valueSerde);
  }

  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    return new KGroupedStream<K, V>(this.context, this, grouped.name, grouped.keySerde ?? this.keySerde, grouped.valueSerde ?? this.valueSerde);
  }

  /** Groups by a new key: the records go through a repartition topic before any aggregation. */
  groupBy<K2>(selector: (key: K, value: V, record: StreamRecord<K, V>) => K2, grouped: Grouped<K2, V> = {}): KGroupedStream<K2, V> {
    const rekeyed = this.#add<K2, V>(undefined, 'KSTREAM-KEY-SELECT-', selectKeyProcessor(selector), true, false, true);
    return new KGroupedStream<K2, V>(this.context, rekeyed, grouped.name, grouped.keySerde, grouped.valueSerde ?? this.valueSerde);
  }

  /** Inner stream–table join: emits `joiner(value, tableValue, key)` when the table has the key. */
  join<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT, key: K) => VR, joined: Joined<K, V> = {}): KStream<K, VR> {
    return this.#join(table, joiner as (value: V, tableValue: VT | null, key: K) => VR, joined, false);
  }

  /** Left stream–table join: `joiner(value, tableValue | null, key)` for every stream record with a key. */
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null, key: K) => VR, joined: Joined<K, V> = {}): KStream<K, VR> {
    return this.#join(table, joiner, joined, true);
  }

  #join<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null, key: K) => VR, joined: Joined<K, V>, left: boolean): KStream<K, VR> {
    const name = this.context.nameOr(joined.name, left ? 'KSTREAM-LEFTJOIN-' : 'KSTREAM-JOIN-');
    const stream = this.repartitionRequired ? this.#repartitionAs(`${name}-left`, joined.keySerde, joined.valueSerde) : this;
    const topology = this.context.topology;
    topology.addProcessor(name, streamTableJoinProcessor(table.storeName, joiner, left), stream.nodeName);
    topology.connectProcessorAndStateStores(name, table.storeName);
    topology.addCopartitionGroup([...new Set([...stream.sourceNodes, ...table.sourceNodes])]);
    return new KStream<K, VR>(this.context, name, false, [...stream.sourceNodes, ...table.sourceNodes], stream.keySerde, undefined);
  }

  /** @internal the stream itself, or a copy re-read from a repartition topic when the key changed. */
  repartitionIfRequired(base: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): KStream<K, V> {
    return this.repartitionRequired ? this.#repartitionAs(base, keySerde, valueSerde) : this;
  }

  #repartitionAs(base: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): KStream<K, V> {
    const topology = this.context.topology;
    const topic = `${base}-repartition`;
    const keys = keySerde ?? this.keySerde ?? Serdes.Json<K>();
    const values = valueSerde ?? this.valueSerde ?? Serdes.Json<V>();
    topology.addProcessor(`${base}-repartition-filter`, dropNullKeysProcessor(), this.nodeName);
    topology.addInternalSink(`${base}-repartition-sink`, topic, { keySerde: keys, valueSerde: values }, `${base}-repartition-filter`);
    // Event time travels in the record timestamp, so the downstream source keeps it as is.
    topology.addInternalSource(`${base}-repartition-source`, topic, {
      keySerde: keys,
      valueSerde: values,
      timestampExtractor: (record) => record.timestamp,
    });
    return new KStream<K, V>(this.context, `${base}-repartition-source`, false, [`${base}-repartition-source`], keys, values);
  }

  #add<K2, V2>(
    given: string | undefined,
    prefix: string,
    supplier: ProcessorSupplier<unknown, unknown>,
    changesKey: boolean,
    keepsKeySerde: boolean,
    keepsValueSerde: boolean,
  ): KStream<K2, V2> {
    const name = this.context.nameOr(given, prefix);
    this.context.topology.addProcessor(name, supplier, this.nodeName);
    return new KStream<K2, V2>(
      this.context,
      name,
      this.repartitionRequired || changesKey,
      this.sourceNodes,
      (keepsKeySerde ? this.keySerde : undefined) as Serde<K2> | undefined,
      (keepsValueSerde ? this.valueSerde : undefined) as Serde<V2> | undefined,
    );
  }
}

export class BranchedKStream<K, V> {
  readonly #branches: Branch[];
  readonly #result: Record<string, KStream<K, V>> = {};
  #closed = false;

  /** @internal */
  constructor(
    private readonly context: BuildContext,
    private readonly parent: KStream<K, V>,
    private readonly splitName: string,
    private readonly prefix: string,
    branches: Branch[],
  ) {
    this.#branches = branches;
  }

  /** Adds a branch; unnamed branches are numbered from 1 in order. */
  branch(predicate: Predicate<K, V>, name?: string): this {
    this.#add(predicate, name ?? String(this.#branches.length + 1));
    return this;
  }

  /** Records no branch matched; named `<prefix>0` unless named. */
  defaultBranch(name = '0'): Record<string, KStream<K, V>> {
    this.#add(undefined, name);
    return this.noDefaultBranch();
  }

  /** Records no branch matched are dropped. */
  noDefaultBranch(): Record<string, KStream<K, V>> {
    this.#closed = true;
    return this.#result;
  }

  #add(predicate: Predicate<K, V> | undefined, branchName: string): void {
    if (this.#closed) throw new StreamsError('STREAMS_TOPOLOGY_INVALID', `split ${this.splitName} is already closed`);
    const child = `${this.prefix}${branchName}`;
    if (child in this.#result) throw new StreamsError('STREAMS_TOPOLOGY_INVALID', `branch ${child} already exists`);
    this.context.topology.addProcessor(child, passThroughProcessor(), this.splitName);
    this.#branches.push({ predicate: predicate as Branch['predicate'], child });
    const p = this.parent;
    this.#result[child] = new KStream<K, V>(this.context, child, p.repartitionRequired, p.sourceNodes, p.keySerde, p.valueSerde);
  }
}

export class KGroupedStream<K, V> {
  /** @internal */
  constructor(
    private readonly context: BuildContext,
    private readonly stream: KStream<K, V>,
    private readonly groupName: string | undefined,
    private readonly keySerde: Serde<K> | undefined,
    private readonly valueSerde: Serde<V> | undefined,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<K, number> {
    return this.#aggregate('KSTREAM-AGGREGATE-', materialized, (_k, _v, previous) => ((previous as number | undefined) ?? 0) + 1, false, Serdes.Long());
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<K, V> {
    return this.#aggregate(
      'KSTREAM-REDUCE-',
      materialized,
      (_k, value, previous) => (previous === undefined ? value : reducer(previous as V, value as V)),
      true,
      (this.valueSerde ?? Serdes.Json<V>()) as SyncSerde<V>,
    );
  }

  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, aggregate: VA) => VA, materialized: Materialized<K, VA> = {}): KTable<K, VA> {
    return this.#aggregate(
      'KSTREAM-AGGREGATE-',
      materialized,
      (key, value, previous) => aggregator(key as K, value as V, previous === undefined ? initializer() : (previous as VA)),
      true,
      Serdes.Json<VA>(),
    );
  }

  windowedBy(windows: TimeWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SessionWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    return 'sizeMs' in windows
      ? new TimeWindowedKStream<K, V>(this.context, this.stream, this.groupName, this.keySerde, this.valueSerde, windows)
      : new SessionWindowedKStream<K, V>(this.context, this.stream, this.groupName, this.keySerde, this.valueSerde, windows);
  }

  #aggregate<VA>(
    prefix: string,
    materialized: Materialized<K, VA>,
    aggregate: (key: unknown, value: unknown, previous: unknown) => unknown,
    skipNullValues: boolean,
    defaultValueSerde: SyncSerde<VA>,
  ): KTable<K, VA> {
    const context = this.context;
    const storeName = materialized.storeName ?? context.newName(`${prefix}STATE-STORE-`);
    const stream = this.stream.repartitionIfRequired(this.groupName ?? storeName, this.keySerde, this.valueSerde);
    const name = context.nameOr(materialized.name, prefix);
    const keySerde = (materialized.keySerde ?? stream.keySerde ?? Serdes.Json<K>()) as SyncSerde<K>;
    const valueSerde = materialized.valueSerde ?? defaultValueSerde;
    context.topology.addProcessor(name, keyValueAggregateProcessor(storeName, aggregate, skipNullValues), stream.nodeName);
    context.topology.addStateStore(keyValueStoreBuilder(storeName, { keySerde, valueSerde, logging: materialized.logging ?? true }), name);
    return new KTable<K, VA>(context, name, storeName, stream.sourceNodes, keySerde, valueSerde, undefined);
  }
}

export class TimeWindowedKStream<K, V> {
  /** @internal */
  constructor(
    private readonly context: BuildContext,
    private readonly stream: KStream<K, V>,
    private readonly groupName: string | undefined,
    private readonly keySerde: Serde<K> | undefined,
    private readonly valueSerde: Serde<V> | undefined,
    readonly windows: TimeWindows,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.#aggregate('KSTREAM-AGGREGATE-', materialized, (_k, _v, previous) => ((previous as number | undefined) ?? 0) + 1, false, Serdes.Long());
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    return this.#aggregate(
      'KSTREAM-REDUCE-',
      materialized,
      (_k, value, previous) => (previous === undefined ? value : reducer(previous as V, value as V)),
      true,
      (this.valueSerde ?? Serdes.Json<V>()) as SyncSerde<V>,
    );
  }

  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, aggregate: VA) => VA, materialized: Materialized<K, VA> = {}): KTable<Windowed<K>, VA> {
    return this.#aggregate(
      'KSTREAM-AGGREGATE-',
      materialized,
      (key, value, previous) => aggregator(key as K, value as V, previous === undefined ? initializer() : (previous as VA)),
      true,
      Serdes.Json<VA>(),
    );
  }

  #aggregate<VA>(
    prefix: string,
    materialized: Materialized<K, VA>,
    aggregate: (key: unknown, value: unknown, previous: unknown) => unknown,
    skipNullValues: boolean,
    defaultValueSerde: SyncSerde<VA>,
  ): KTable<Windowed<K>, VA> {
    const context = this.context;
    const windows = this.windows;
    const storeName = materialized.storeName ?? context.newName(`${prefix}STATE-STORE-`);
    const stream = this.stream.repartitionIfRequired(this.groupName ?? storeName, this.keySerde, this.valueSerde);
    const name = context.nameOr(materialized.name, prefix);
    const keySerde = (materialized.keySerde ?? stream.keySerde ?? Serdes.Json<K>()) as SyncSerde<K>;
    const valueSerde = materialized.valueSerde ?? defaultValueSerde;
    const retentionMs = Math.max(materialized.retentionMs ?? 0, windows.retentionMs);
    context.topology.addProcessor(name, timeWindowAggregateProcessor(storeName, windows, aggregate, skipNullValues), stream.nodeName);
    context.topology.addStateStore(windowStoreBuilder(storeName, { keySerde, valueSerde, retentionMs, logging: materialized.logging ?? true }), name);
    return new KTable<Windowed<K>, VA>(
      context,
      name,
      storeName,
      stream.sourceNodes,
      WindowedSerdes.timeWindowed(keySerde) as SyncSerde<Windowed<K>>,
      valueSerde,
      (window) => windows.closesAt(window),
    );
  }
}

export class SessionWindowedKStream<K, V> {
  /** @internal */
  constructor(
    private readonly context: BuildContext,
    private readonly stream: KStream<K, V>,
    private readonly groupName: string | undefined,
    private readonly keySerde: Serde<K> | undefined,
    private readonly valueSerde: Serde<V> | undefined,
    readonly windows: SessionWindows,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.#aggregate(
      'KSTREAM-AGGREGATE-',
      materialized,
      () => 0,
      (_k, _v, aggregate) => (aggregate as number) + 1,
      (_k, left, right) => (left as number) + (right as number),
      false,
      Serdes.Long(),
    );
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    // undefined marks "no value yet", so the first value of a session is taken as is.
    const combine = (a: unknown, b: unknown): unknown => (a === undefined ? b : b === undefined ? a : reducer(a as V, b as V));
    return this.#aggregate(
      'KSTREAM-REDUCE-',
      materialized,
      () => undefined,
      (_k, value, aggregate) => combine(aggregate, value),
      (_k, left, right) => combine(left, right),
      true,
      (this.valueSerde ?? Serdes.Json<V>()) as SyncSerde<V>,
    );
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    merger: (key: K, left: VA, right: VA) => VA,
    materialized: Materialized<K, VA> = {},
  ): KTable<Windowed<K>, VA> {
    return this.#aggregate(
      'KSTREAM-AGGREGATE-',
      materialized,
      initializer,
      aggregator as (key: unknown, value: unknown, aggregate: unknown) => unknown,
      merger as (key: unknown, left: unknown, right: unknown) => unknown,
      true,
      Serdes.Json<VA>(),
    );
  }

  #aggregate<VA>(
    prefix: string,
    materialized: Materialized<K, VA>,
    initializer: () => unknown,
    aggregator: (key: unknown, value: unknown, aggregate: unknown) => unknown,
    merger: (key: unknown, left: unknown, right: unknown) => unknown,
    skipNullValues: boolean,
    defaultValueSerde: SyncSerde<VA>,
  ): KTable<Windowed<K>, VA> {
    const context = this.context;
    const windows = this.windows;
    const storeName = materialized.storeName ?? context.newName(`${prefix}STATE-STORE-`);
    const stream = this.stream.repartitionIfRequired(this.groupName ?? storeName, this.keySerde, this.valueSerde);
    const name = context.nameOr(materialized.name, prefix);
    const keySerde = (materialized.keySerde ?? stream.keySerde ?? Serdes.Json<K>()) as SyncSerde<K>;
    const valueSerde = materialized.valueSerde ?? defaultValueSerde;
    const retentionMs = Math.max(materialized.retentionMs ?? 0, windows.retentionMs);
    context.topology.addProcessor(name, sessionWindowAggregateProcessor(storeName, windows, initializer, aggregator, merger, skipNullValues), stream.nodeName);
    context.topology.addStateStore(sessionStoreBuilder(storeName, { keySerde, valueSerde, retentionMs, logging: materialized.logging ?? true }), name);
    return new KTable<Windowed<K>, VA>(
      context,
      name,
      storeName,
      stream.sourceNodes,
      WindowedSerdes.timeWindowed(keySerde) as SyncSerde<Windowed<K>>,
      valueSerde,
      (window) => windows.closesAt(window),
    );
  }
}

export class KTable<K, V> {
  /** @internal */
  constructor(
    private readonly context: BuildContext,
    readonly nodeName: string,
    /** Store holding the table (queryable via the driver's getKeyValueStore / getWindowStore / getSessionStore). */
    readonly storeName: string,
    readonly sourceNodes: readonly string[],
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
    /** For windowed tables: the stream time at which a window is closed. */
    private readonly windowClosesAt: ((window: Window) => number) | undefined,
  ) {}

  /** The table's changes as a stream (every update; tombstones as null values). */
  toStream(options: Named = {}): KStream<K, V> {
    const name = this.context.nameOr(options.name, 'KTABLE-TOSTREAM-');
    this.context.topology.addProcessor(name, passThroughProcessor(), this.nodeName);
    return new KStream<K, V>(this.context, name, false, this.sourceNodes, this.keySerde, this.valueSerde);
  }

  /** Emits only final results: each window's last value once stream time closes it. Windowed tables only. */
  suppress(suppressed: Suppressed): KTable<K, V> {
    const closesAt = this.windowClosesAt;
    if (closesAt === undefined) throw new StreamsError('STREAMS_TOPOLOGY_INVALID', 'suppress(untilWindowCloses) needs a windowed table (windowedBy(...).count/reduce/aggregate)');
    const context = this.context;
    const name = context.nameOr(suppressed.name, 'KTABLE-SUPPRESS-');
    const storeName = suppressed.name === undefined ? context.newName('KTABLE-SUPPRESS-STATE-STORE-') : `${suppressed.name}-store`;
    const keySerde = this.keySerde as unknown as SyncSerde<Windowed<unknown>>;
    const valueSerde = (this.valueSerde ?? Serdes.Json<V>()) as SyncSerde<V>;
    context.topology.addProcessor(name, suppressProcessor(storeName, closesAt) as ProcessorSupplier<unknown, unknown>, this.nodeName);
    context.topology.addStateStore(keyValueStoreBuilder(storeName, { keySerde, valueSerde: bufferedResultSerde(valueSerde) }), name);
    return new KTable<K, V>(context, name, storeName, this.sourceNodes, this.keySerde, this.valueSerde, undefined);
  }
}
