/**
 * The topology graph, shaped after Kafka Streams' `Topology`: named source, processor and sink nodes
 * and the state stores connected to them. The DSL (builder.ts) compiles down to this; it can also be
 * used directly (`addSource`, `addProcessor`, `addSink`, `addStateStore`).
 *
 * A Topology carries no application id: internal topic names (repartition, changelog) are resolved
 * when a task or driver is created, as `<applicationId>-<name>-repartition` and
 * `<applicationId>-<store>-changelog`, like Kafka Streams.
 *
 * Sub-topologies are the connected components of the graph, where an edge is a parent/child link or
 * two nodes sharing a store; a repartition topic separates the sub-topology that writes it from the
 * one that reads it. Each sub-topology runs as one task per input partition.
 */
import type { Headers, ProcessorSupplier, StreamRecord } from './processor.js';
import type { StreamPartitioner } from './partitioner.js';
import type { Serde } from './serdes.js';
import { StreamsError } from './errors.js';
import { changelogTopicName, type StoreBuilder, type StoreKind } from './state/store.js';
import { eventTimestampExtractor, type TimestampExtractor } from './time.js';

/** Chooses a sink topic per record (Kafka's TopicNameExtractor). */
export type TopicNameExtractor<K, V> = (record: StreamRecord<K, V>) => string;

export interface SourceOptions<K, V> {
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  /** Default: `eventTimestampExtractor`. */
  readonly timestampExtractor?: TimestampExtractor<K, V>;
}

export interface SinkOptions<K, V> {
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly partitioner?: StreamPartitioner<K, V>;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the graph is heterogeneous; the DSL keeps user code typed. */
export interface SourceNodeDef {
  readonly kind: 'source';
  readonly name: string;
  /** Topic names; for an internal (repartition) source, the name without the application id prefix. */
  readonly topics: readonly string[];
  readonly internal: boolean;
  readonly keySerde: Serde<any>;
  readonly valueSerde: Serde<any>;
  readonly timestampExtractor: TimestampExtractor<any, any>;
  readonly children: string[];
}

export interface ProcessorNodeDef {
  readonly kind: 'processor';
  readonly name: string;
  readonly supplier: ProcessorSupplier<any, any, any, any>;
  readonly parents: readonly string[];
  readonly children: string[];
  readonly stores: string[];
}

export interface SinkNodeDef {
  readonly kind: 'sink';
  readonly name: string;
  /** A topic name (internal: without the application id prefix), or an extractor. */
  readonly topic: string | TopicNameExtractor<any, any>;
  readonly internal: boolean;
  readonly keySerde: Serde<any>;
  readonly valueSerde: Serde<any>;
  readonly partitioner: StreamPartitioner<any, any> | undefined;
  readonly parents: readonly string[];
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export type NodeDef = SourceNodeDef | ProcessorNodeDef | SinkNodeDef;

export interface Subtopology {
  readonly id: number;
  /** Node names in definition order. */
  readonly nodes: readonly string[];
  readonly stores: readonly string[];
}

/** A store as an engine needs it: where its changelog lives. */
export interface StoreMetadata {
  readonly name: string;
  readonly kind: StoreKind;
  readonly loggingEnabled: boolean;
  /** `<applicationId>-<name>-changelog`, or undefined when logging is disabled. */
  readonly changelogTopic: string | undefined;
}

/** One sub-topology with fully resolved topic names. */
export interface SubtopologyMetadata {
  readonly id: number;
  /** All topics it consumes (user topics and repartition topics); one task per partition number. */
  readonly sourceTopics: readonly string[];
  readonly repartitionSourceTopics: readonly string[];
  /** Statically named user output topics. */
  readonly sinkTopics: readonly string[];
  readonly repartitionSinkTopics: readonly string[];
  /** True when a sink chooses its topic per record: the engine cannot know every output topic up front. */
  readonly hasDynamicSinks: boolean;
  readonly stores: readonly StoreMetadata[];
  /** Groups of source topics that must have the same partition count (joins). */
  readonly copartitionGroups: readonly (readonly string[])[];
}

export interface RepartitionTopicMetadata {
  readonly name: string;
  /** Sub-topology that writes it and the one that reads it. */
  readonly producedBy: number;
  readonly consumedBy: number;
}

export interface TopologyMetadata {
  readonly applicationId: string;
  readonly subtopologies: readonly SubtopologyMetadata[];
  readonly repartitionTopics: readonly RepartitionTopicMetadata[];
  /** Every changelog topic with its store and sub-topology (same partition count as that sub-topology). */
  readonly changelogTopics: readonly { readonly topic: string; readonly store: string; readonly subtopology: number }[];
  /** User topics read by the topology (excluding repartition topics). */
  readonly sourceTopics: readonly string[];
  /** Statically named user topics written by the topology. */
  readonly sinkTopics: readonly string[];
  /** The sub-topology that reads `topic`, or undefined. */
  subtopologyOf(topic: string): SubtopologyMetadata | undefined;
  /**
   * Partition count of every source topic, repartition topics included: a repartition topic gets the
   * largest partition count among the source topics of the sub-topology that writes it (Kafka Streams'
   * rule). `partitionsOf` answers for user topics (undefined when the topic does not exist).
   */
  resolvePartitionCounts(partitionsOf: (topic: string) => number | undefined): Map<string, number>;
  /** Throws STREAMS_NOT_COPARTITIONED if the topics of a co-partition group differ in partition count. */
  checkCopartitioning(partitionCounts: ReadonlyMap<string, number>): void;
}

export function repartitionTopicName(applicationId: string, name: string): string {
  return `${applicationId}-${name}`;
}

export class Topology {
  readonly #nodes = new Map<string, NodeDef>();
  readonly #stores = new Map<string, StoreBuilder>();
  readonly #topicToSource = new Map<string, string>();
  /** Groups of source node names whose topics must be co-partitioned. */
  readonly #copartitionGroups: string[][] = [];
  #subtopologies: Subtopology[] | undefined;

  /** Adds a source node reading `topics`. */
  addSource<K, V>(name: string, topics: string | readonly string[], options: SourceOptions<K, V>): this {
    return this.#addSource(name, typeof topics === 'string' ? [topics] : topics, options, false);
  }

  /** @internal the DSL's repartition source; `topic` is resolved with the application id. */
  addInternalSource<K, V>(name: string, topic: string, options: SourceOptions<K, V>): this {
    return this.#addSource(name, [topic], options, true);
  }

  addProcessor<KIn, VIn, KOut, VOut>(name: string, supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>, ...parentNames: string[]): this {
    this.#checkNewName(name);
    this.#checkParents(name, parentNames);
    this.#nodes.set(name, { kind: 'processor', name, supplier, parents: parentNames, children: [], stores: [] });
    for (const parent of parentNames) this.#childrenOf(parent).push(name);
    this.#subtopologies = undefined;
    return this;
  }

  addSink<K, V>(name: string, topic: string | TopicNameExtractor<K, V>, options: SinkOptions<K, V>, ...parentNames: string[]): this {
    return this.#addSink(name, topic, options, false, parentNames);
  }

  /** @internal the DSL's repartition sink; `topic` is resolved with the application id. */
  addInternalSink<K, V>(name: string, topic: string, options: SinkOptions<K, V>, ...parentNames: string[]): this {
    return this.#addSink(name, topic, options, true, parentNames);
  }

  /** Adds a store and connects it to the named processors (which may also be connected later). */
  addStateStore(builder: StoreBuilder, ...processorNames: string[]): this {
    if (this.#stores.has(builder.name)) {
      if (this.#stores.get(builder.name) !== builder) throw invalid(`a different state store named ${builder.name} already exists`);
    } else {
      checkName(builder.name, 'store');
      this.#stores.set(builder.name, builder);
    }
    for (const processor of processorNames) this.connectProcessorAndStateStores(processor, builder.name);
    return this;
  }

  connectProcessorAndStateStores(processorName: string, ...storeNames: string[]): this {
    const node = this.#nodes.get(processorName);
    if (node?.kind !== 'processor') throw invalid(`no processor named ${processorName}`);
    for (const store of storeNames) {
      if (!this.#stores.has(store)) throw invalid(`no state store named ${store} (add it with addStateStore first)`);
      if (!node.stores.includes(store)) node.stores.push(store);
    }
    this.#subtopologies = undefined;
    return this;
  }

  /** Declares that the topics of these source nodes must be co-partitioned (the DSL does it for joins). */
  addCopartitionGroup(sourceNodeNames: readonly string[]): this {
    for (const name of sourceNodeNames) {
      if (this.#nodes.get(name)?.kind !== 'source') throw invalid(`no source named ${name}`);
    }
    const id = [...sourceNodeNames].sort().join('\u0000');
    if (this.#copartitionGroups.some((g) => [...g].sort().join('\u0000') === id)) return this;
    this.#copartitionGroups.push([...sourceNodeNames]);
    return this;
  }

  hasNode(name: string): boolean {
    return this.#nodes.has(name);
  }

  node(name: string): NodeDef {
    const node = this.#nodes.get(name);
    if (node === undefined) throw invalid(`no node named ${name}`);
    return node;
  }

  get nodes(): ReadonlyMap<string, NodeDef> {
    return this.#nodes;
  }

  get stores(): ReadonlyMap<string, StoreBuilder> {
    return this.#stores;
  }

  get subtopologies(): readonly Subtopology[] {
    this.#subtopologies ??= this.#computeSubtopologies();
    return this.#subtopologies;
  }

  /** Source node reading `topic` (unresolved name for internal topics). */
  sourceNodeFor(topic: string): SourceNodeDef | undefined {
    const name = this.#topicToSource.get(topic);
    return name === undefined ? undefined : (this.#nodes.get(name) as SourceNodeDef);
  }

  /** Resolves every topic name with the application id: what an engine needs to create topics and tasks. */
  metadata(applicationId: string): TopologyMetadata {
    const resolveSource = (source: SourceNodeDef): string[] =>
      source.topics.map((t) => (source.internal ? repartitionTopicName(applicationId, t) : t));
    const subtopologies: SubtopologyMetadata[] = this.subtopologies.map((sub) => {
      const sources: string[] = [];
      const repartitionSources: string[] = [];
      const sinks: string[] = [];
      const repartitionSinks: string[] = [];
      let dynamic = false;
      for (const name of sub.nodes) {
        const node = this.#nodes.get(name) as NodeDef;
        if (node.kind === 'source') {
          for (const topic of resolveSource(node)) {
            sources.push(topic);
            if (node.internal) repartitionSources.push(topic);
          }
        } else if (node.kind === 'sink') {
          if (typeof node.topic !== 'string') dynamic = true;
          else if (node.internal) repartitionSinks.push(repartitionTopicName(applicationId, node.topic));
          else if (!sinks.includes(node.topic)) sinks.push(node.topic);
        }
      }
      const copartitionGroups = this.#copartitionGroups
        .filter((group) => group.every((n) => sub.nodes.includes(n)))
        .map((group) => group.flatMap((n) => resolveSource(this.#nodes.get(n) as SourceNodeDef)));
      return {
        id: sub.id,
        sourceTopics: sources,
        repartitionSourceTopics: repartitionSources,
        sinkTopics: sinks,
        repartitionSinkTopics: repartitionSinks,
        hasDynamicSinks: dynamic,
        stores: sub.stores.map((store) => {
          const builder = this.#stores.get(store) as StoreBuilder;
          return {
            name: store,
            kind: builder.kind,
            loggingEnabled: builder.loggingEnabled,
            changelogTopic: builder.loggingEnabled ? changelogTopicName(applicationId, store) : undefined,
          };
        }),
        copartitionGroups,
      };
    });
    const consumerOf = new Map<string, SubtopologyMetadata>();
    for (const sub of subtopologies) for (const topic of sub.sourceTopics) consumerOf.set(topic, sub);
    const repartitionTopics: RepartitionTopicMetadata[] = [];
    for (const sub of subtopologies) {
      for (const topic of sub.repartitionSinkTopics) {
        const consumer = consumerOf.get(topic);
        if (consumer !== undefined) repartitionTopics.push({ name: topic, producedBy: sub.id, consumedBy: consumer.id });
      }
    }
    const changelogTopics = subtopologies.flatMap((sub) =>
      sub.stores.filter((s) => s.changelogTopic !== undefined).map((s) => ({ topic: s.changelogTopic as string, store: s.name, subtopology: sub.id })),
    );
    const userSources = subtopologies.flatMap((s) => s.sourceTopics.filter((t) => !s.repartitionSourceTopics.includes(t)));
    const userSinks = [...new Set(subtopologies.flatMap((s) => s.sinkTopics))];
    return {
      applicationId,
      subtopologies,
      repartitionTopics,
      changelogTopics,
      sourceTopics: userSources,
      sinkTopics: userSinks,
      subtopologyOf: (topic) => consumerOf.get(topic),
      resolvePartitionCounts: (partitionsOf) => resolvePartitionCounts(subtopologies, repartitionTopics, partitionsOf),
      checkCopartitioning: (counts) => checkCopartitioning(subtopologies, counts),
    };
  }

  /** Kafka Streams' TopologyDescription, as text (`describe().toString()`) and as data. */
  describe(): TopologyDescription {
    return new TopologyDescription(this);
  }

  #addSource<K, V>(name: string, topics: readonly string[], options: SourceOptions<K, V>, internal: boolean): this {
    this.#checkNewName(name);
    if (topics.length === 0) throw invalid(`source ${name} needs at least one topic`);
    for (const topic of topics) {
      if (this.#topicToSource.has(topic)) throw invalid(`topic ${topic} is already read by source ${this.#topicToSource.get(topic)}`);
    }
    this.#nodes.set(name, {
      kind: 'source',
      name,
      topics: [...topics],
      internal,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      timestampExtractor: (options.timestampExtractor ?? eventTimestampExtractor) as TimestampExtractor,
      children: [],
    });
    for (const topic of topics) this.#topicToSource.set(topic, name);
    this.#subtopologies = undefined;
    return this;
  }

  #addSink<K, V>(name: string, topic: string | TopicNameExtractor<K, V>, options: SinkOptions<K, V>, internal: boolean, parents: string[]): this {
    this.#checkNewName(name);
    this.#checkParents(name, parents);
    this.#nodes.set(name, {
      kind: 'sink',
      name,
      topic: topic as string | TopicNameExtractor<unknown, unknown>,
      internal,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      partitioner: options.partitioner as SinkNodeDef['partitioner'],
      parents,
    });
    for (const parent of parents) this.#childrenOf(parent).push(name);
    this.#subtopologies = undefined;
    return this;
  }

  #checkNewName(name: string): void {
    checkName(name, 'node');
    if (this.#nodes.has(name)) throw invalid(`a node named ${name} already exists`);
  }

  #checkParents(name: string, parents: readonly string[]): void {
    if (parents.length === 0) throw invalid(`${name} needs at least one parent`);
    for (const parent of parents) {
      const node = this.#nodes.get(parent);
      if (node === undefined) throw invalid(`${name}: no parent node named ${parent}`);
      if (node.kind === 'sink') throw invalid(`${name}: sink ${parent} cannot have children`);
    }
  }

  #childrenOf(name: string): string[] {
    const node = this.#nodes.get(name) as SourceNodeDef | ProcessorNodeDef;
    return node.children;
  }

  #computeSubtopologies(): Subtopology[] {
    const names = [...this.#nodes.keys()];
    const parent = new Map<string, string>(names.map((n) => [n, n]));
    const find = (n: string): string => {
      let root = n;
      while (parent.get(root) !== root) root = parent.get(root) as string;
      parent.set(n, root);
      return root;
    };
    const union = (a: string, b: string): void => {
      const ra = find(a);
      const rb = find(b);
      if (ra !== rb) parent.set(rb, ra);
    };
    const storeOwner = new Map<string, string>();
    for (const node of this.#nodes.values()) {
      if (node.kind !== 'source') for (const p of node.parents) union(p, node.name);
      if (node.kind === 'processor') {
        for (const store of node.stores) {
          const owner = storeOwner.get(store);
          if (owner === undefined) storeOwner.set(store, node.name);
          else union(owner, node.name);
        }
      }
    }
    for (const group of this.#copartitionGroups) for (const n of group.slice(1)) union(group[0] as string, n);
    const groups = new Map<string, string[]>();
    for (const name of names) {
      const root = find(name);
      let members = groups.get(root);
      if (members === undefined) groups.set(root, (members = []));
      members.push(name);
    }
    // Numbered in order of their first node, which makes ids deterministic for a given program.
    return [...groups.values()].map((nodes, id) => ({
      id,
      nodes,
      stores: [...this.#stores.keys()].filter((store) => {
        const owner = storeOwner.get(store);
        return owner !== undefined && nodes.includes(owner);
      }),
    }));
  }
}

function resolvePartitionCounts(
  subtopologies: readonly SubtopologyMetadata[],
  repartitionTopics: readonly RepartitionTopicMetadata[],
  partitionsOf: (topic: string) => number | undefined,
): Map<string, number> {
  const counts = new Map<string, number>();
  const repartition = new Map(repartitionTopics.map((r) => [r.name, r]));
  for (const sub of subtopologies) {
    for (const topic of sub.sourceTopics) {
      if (repartition.has(topic)) continue;
      const count = partitionsOf(topic);
      if (count === undefined) throw new StreamsError('STREAMS_UNKNOWN_TOPIC', `source topic ${topic} does not exist`, { details: { topic } });
      counts.set(topic, count);
    }
  }
  // Repartition topics may feed further repartition topics: iterate until every one is known.
  let progress = true;
  while (progress) {
    progress = false;
    for (const r of repartitionTopics) {
      if (counts.has(r.name)) continue;
      const upstream = subtopologies[r.producedBy] as SubtopologyMetadata;
      const known = upstream.sourceTopics.map((t) => counts.get(t));
      if (known.some((c) => c === undefined)) continue;
      counts.set(r.name, Math.max(...(known as number[])));
      progress = true;
    }
  }
  for (const r of repartitionTopics) {
    if (!counts.has(r.name)) throw invalid(`cannot size repartition topic ${r.name}: its producers form a cycle`);
  }
  return counts;
}

function checkCopartitioning(subtopologies: readonly SubtopologyMetadata[], counts: ReadonlyMap<string, number>): void {
  for (const sub of subtopologies) {
    for (const group of sub.copartitionGroups) {
      const found = group.map((topic) => ({ topic, partitions: counts.get(topic) }));
      const distinct = new Set(found.map((f) => f.partitions));
      if (distinct.size > 1) {
        throw new StreamsError(
          'STREAMS_NOT_COPARTITIONED',
          `topics ${group.join(', ')} must have the same number of partitions to be joined: ${found.map((f) => `${f.topic}=${f.partitions ?? '?'}`).join(', ')}`,
          { details: { topics: group, partitions: found.map((f) => f.partitions ?? null) } },
        );
      }
    }
  }
}

export class TopologyDescription {
  constructor(readonly topology: Topology) {}

  toString(): string {
    const topology = this.topology;
    const lines = ['Topologies:'];
    for (const sub of topology.subtopologies) {
      lines.push(`   Sub-topology: ${sub.id}`);
      for (const name of sub.nodes) {
        const node = topology.node(name);
        if (node.kind === 'source') {
          const topics = node.topics.map((t) => t);
          lines.push(`    Source: ${name} (topics: [${topics.join(', ')}])`);
          lines.push(`      --> ${node.children.join(', ') || 'none'}`);
        } else if (node.kind === 'processor') {
          lines.push(`    Processor: ${name} (stores: [${node.stores.join(', ')}])`);
          lines.push(`      --> ${node.children.join(', ') || 'none'}`);
          lines.push(`      <-- ${node.parents.join(', ')}`);
        } else {
          const topic = typeof node.topic === 'string' ? `topic: ${node.topic}` : 'topic extractor';
          lines.push(`    Sink: ${name} (${topic})`);
          lines.push(`      <-- ${node.parents.join(', ')}`);
        }
      }
      for (const group of topology.metadata('<application.id>').subtopologies[sub.id]?.copartitionGroups ?? []) {
        lines.push(`    Co-partitioned: [${group.join(', ')}] (same partition count required)`);
      }
      lines.push('');
    }
    return lines.join('\n');
  }
}

function checkName(name: string, what: string): void {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(name)) throw invalid(`${what} name ${JSON.stringify(name)} must be 1-200 characters of [A-Za-z0-9._-] (it names topics and metrics)`);
}

function invalid(message: string): StreamsError {
  return new StreamsError('STREAMS_TOPOLOGY_INVALID', message);
}

/** Copies a record with changes: records are immutable. */
export function withRecord<K, V, K2 = K, V2 = V>(
  record: StreamRecord<K, V>,
  changes: { key?: K2; value?: V2; timestamp?: number; headers?: Headers },
): StreamRecord<K2, V2> {
  return {
    key: ('key' in changes ? changes.key : record.key) as K2,
    value: ('value' in changes ? changes.value : record.value) as V2,
    timestamp: changes.timestamp ?? record.timestamp,
    headers: changes.headers ?? record.headers,
  };
}
