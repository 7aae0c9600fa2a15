/**
 * The likes topology (design Part 1.4): windowed aggregation of likes into notifications.
 *
 *   source `likes-canonical` (canonical topic)
 *     → `likes-signals` (LikeWindowAggregator.signal: likes/unlikes → LikeSignal; erasures handled here)
 *     → groupBy target `<entity type>:<entity id>` (repartition `likes-by-target`)
 *     → windowedBy tumbling windows with grace → aggregate (window store `likes-windows`, changelog-backed)
 *     → toStream → `likes-notifications` (NotificationSinkProcessor → NotificationStore)
 *
 * Each aggregate update rewrites one notification in place ("B and 3 others liked your post A"); the
 * updates of a consumed batch go to the store together (one tombstone lookup, one pipelined write). Likes
 * later than window end + grace are dropped and counted by the runtime (`late`). Erased pseudonyms are
 * tombstoned: the sink leaves them out of every later update (their entries may remain in open windows'
 * state until the window expires, never in what is written).
 */
import { StreamsBuilder, type TimeWindowedKStream } from '../streams/dsl/dsl.js';
import type { Processor, ProcessorContext, StreamRecord } from '../streams/processor.js';
import { Serdes, type Serde } from '../streams/serdes.js';
import type { Topology } from '../streams/topology.js';
import { TimeWindows, type Windowed } from '../streams/windows.js';
import { ErasureReader } from '../processors/feeds/erasure.js';
import { LikeWindowAggregator, type LikeAggregate, type LikeAggregatorOptions, type LikeSignal } from '../processors/feeds/like-window-aggregator.js';
import { withStoreRetry, type StoreRetryOptions } from '../processors/feeds/store-retry.js';
import type { ErasureTombstones, NotificationStore } from '../processors/feeds/stores.js';
import { canonicalEventOf, canonicalEventTime, type CanonicalValue } from './feeds-shared.js';

export const LIKES_SOURCE = 'likes-canonical';
export const LIKES_SIGNALS = 'likes-signals';
export const LIKES_REPARTITION = 'likes-by-target';
export const LIKES_AGGREGATE = 'likes-aggregate';
export const LIKES_WINDOW_STORE = 'likes-windows';
export const LIKES_SINK = 'likes-notifications';

export interface LikesTopologyOptions {
  readonly canonicalTopic: string;
  readonly stores: { readonly notifications: NotificationStore; readonly tombstones: ErasureTombstones };
  readonly keySerde?: Serde<unknown>;
  readonly valueSerde?: Serde<CanonicalValue>;
  readonly likes?: LikeAggregatorOptions;
  readonly erasureEvents?: readonly string[];
  /** How a store outage is waited out (see processors/feeds/store-retry.ts). */
  readonly storeRetry?: StoreRetryOptions;
}

/** Likes/unlikes → signals (bad ones dead-lettered); erasure events → store erasure, right here. */
class LikeSignalProcessor implements Processor<unknown, CanonicalValue, unknown, LikeSignal> {
  #context!: ProcessorContext<unknown, LikeSignal>;

  constructor(
    readonly aggregator: LikeWindowAggregator,
    readonly erasures: ErasureReader,
    readonly stores: LikesTopologyOptions['stores'],
    readonly storeRetry: StoreRetryOptions = {},
  ) {}

  init(context: ProcessorContext<unknown, LikeSignal>): void {
    this.#context = context;
  }

  process(record: StreamRecord<unknown, CanonicalValue>): void | Promise<void> {
    const event = canonicalEventOf(record.value);
    if (event === undefined) return this.#context.recordDropped('not-a-canonical-event');
    if (this.erasures.wants(event)) {
      const erased = this.erasures.erasedPseudonyms(event);
      // Tombstones expire on the wall clock (the feeds topology's punctuator): stamped with it, not with event time.
      if (erased.kind === 'ok') return this.#erase(erased.value, this.#context.currentSystemTimeMs());
      if (erased.kind === 'deadLetter') this.#context.deadLetter(erased);
      return;
    }
    if (!this.aggregator.wants(event)) return;
    const signal = this.aggregator.signal(event);
    if (signal.kind === 'ok') this.#context.forward({ key: record.key, value: signal.value, timestamp: record.timestamp, headers: {} });
    else if (signal.kind === 'deadLetter') this.#context.deadLetter(signal);
    else this.#context.recordDropped(signal.reason);
  }

  async #erase(pseudonyms: readonly string[], atMs: number): Promise<void> {
    await withStoreRetry(async () => {
      // Tombstones first, so that an update racing the rewrite already leaves the subject out.
      await this.stores.tombstones.add(pseudonyms, atMs);
      for (const pseudonym of pseudonyms) await this.stores.notifications.eraseSubject(pseudonym);
    }, this.storeRetry);
  }
}

/**
 * Writes the aggregate updates of a consumed batch to the owners' notification feeds, without erased
 * actors: `process` only buffers (the aggregation upstream stays synchronous), `flushBatch` does one
 * tombstone lookup for everyone the batch mentions and one pipelined upsert batch, in update order, before
 * the task can commit. A batch that fails on a store outage is retried whole (every upsert is idempotent).
 */
export class NotificationSinkProcessor implements Processor<Windowed<string>, LikeAggregate, never, never> {
  #buffered: LikeAggregate[] = [];

  constructor(
    readonly aggregator: LikeWindowAggregator,
    readonly stores: LikesTopologyOptions['stores'],
    readonly storeRetry: StoreRetryOptions = {},
  ) {}

  process(record: StreamRecord<Windowed<string>, LikeAggregate>): void {
    const aggregate = record.value;
    if (aggregate === null || aggregate === undefined || aggregate.owner === '') return;
    this.#buffered.push(aggregate);
  }

  async flushBatch(): Promise<void> {
    if (this.#buffered.length === 0) return;
    const aggregates = this.#buffered;
    this.#buffered = [];
    await withStoreRetry(async () => {
      const mentioned = new Set<string>();
      for (const aggregate of aggregates) {
        mentioned.add(aggregate.owner);
        for (const actor of Object.keys(aggregate.actors)) mentioned.add(actor);
      }
      const erased = await this.stores.tombstones.erasedAmong([...mentioned]);
      const upserts = aggregates.filter((a) => !erased.has(a.owner)).map((a) => this.aggregator.upsert(a, a.last, erased));
      await this.stores.notifications.upsertBatch(upserts);
    }, this.storeRetry);
  }
}

const EMPTY: LikeAggregate = { owner: '', target: { type: '', id: '' }, action: '', windowStart: -1, windowEnd: -1, actors: {} };

export function buildLikesTopology(options: LikesTopologyOptions): Topology {
  const aggregator = new LikeWindowAggregator(options.likes);
  const erasures = new ErasureReader(options.erasureEvents);
  const builder = new StreamsBuilder();
  const windowed = builder
    .stream<unknown, CanonicalValue>(options.canonicalTopic, {
      name: LIKES_SOURCE,
      keySerde: options.keySerde ?? (Serdes.String() as Serde<unknown>),
      valueSerde: options.valueSerde ?? Serdes.Json<CanonicalValue>(),
      timestampExtractor: canonicalEventTime,
    })
    .process<unknown, LikeSignal>(() => new LikeSignalProcessor(aggregator, erasures, options.stores, options.storeRetry), { name: LIKES_SIGNALS })
    .groupBy((_key, signal) => aggregator.targetKey(signal), { name: LIKES_REPARTITION, keySerde: Serdes.String(), valueSerde: Serdes.Json<LikeSignal>() })
    .windowedBy(TimeWindows.ofSizeAndGrace(aggregator.windowMs, aggregator.graceMs)) as TimeWindowedKStream<string, LikeSignal>;
  windowed
    .aggregate<LikeAggregate>(
      () => EMPTY,
      // Tumbling windows are aligned to the epoch, so the signal's own window is the one being aggregated.
      (_target, signal, aggregate) => aggregator.apply(aggregate.windowStart < 0 ? aggregator.initial(signal) : aggregate, signal),
      { name: LIKES_AGGREGATE, storeName: LIKES_WINDOW_STORE, valueSerde: Serdes.Json<LikeAggregate>() },
    )
    .toStream()
    .process<never, never>(() => new NotificationSinkProcessor(aggregator, options.stores, options.storeRetry), { name: LIKES_SINK });
  return builder.build();
}
