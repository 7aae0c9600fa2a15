/**
 * The feeds topology (design Part 7): follow graph and fan-out on write.
 *
 *   source `feeds-canonical` (canonical topic)
 *     → `feeds-commands` (FollowGraphUpdater, FanOutPlanner, ErasureReader: one FeedCommand per
 *        relevant event, keyed by the user whose graph it touches: the followee, the author, the erased)
 *     → repartition `feeds-by-user`
 *     → `feeds-writer` (FeedWriterProcessor; state store `feeds-follow-graph`, changelog-backed)
 *
 * feeds-writer does the Redis (or in-memory) I/O of a whole consumed batch in `prepareBatch`, in record
 * order: follow-graph mirror updates, then one `writeBatch` per run of posts (a follow change for an
 * author with pending posts flushes them first, so a new follower never gets an earlier post). Every write
 * is idempotent, so a batch redelivered after a crash rewrites the same state. A store outage is waited out
 * by retrying the whole batch with backoff (the task pauses; nothing is lost); past `storeRetry.giveUpAfterMs`
 * the batch fails before its offsets are committed.
 *
 * The `feeds-follow-graph` table (key `<followee>/<follower>` → follow time) is the changelog-backed
 * record of the graph on Kafka; the FollowGraphStore mirror (Redis) is what fan-out and readers query.
 */
import { StreamsBuilder } from '../streams/dsl/dsl.js';
import type { Processor, ProcessorContext, StreamRecord } from '../streams/processor.js';
import { Serdes, type Serde } from '../streams/serdes.js';
import { Stores } from '../streams/state/index.js';
import type { KeyValueStore } from '../streams/state/key-value-store.js';
import type { Topology } from '../streams/topology.js';
import { ErasureReader } from '../processors/feeds/erasure.js';
import { FanOutPlanner, type FanOutOptions } from '../processors/feeds/fan-out-planner.js';
import { FollowGraphUpdater, type FollowGraphOptions } from '../processors/feeds/follow-graph-updater.js';
import type { FeedItem } from '../processors/feeds/model.js';
import { withStoreRetry, type StoreRetryOptions } from '../processors/feeds/store-retry.js';
import type { ErasureTombstones, FollowGraphStore, InboxStore, InboxWrite } from '../processors/feeds/stores.js';
import { canonicalEventOf, canonicalEventTime, type CanonicalValue } from './feeds-shared.js';

export const FEEDS_SOURCE = 'feeds-canonical';
export const FEEDS_COMMANDS = 'feeds-commands';
export const FEEDS_REPARTITION = 'feeds-by-user';
export const FEEDS_WRITER = 'feeds-writer';
export const FEEDS_GRAPH_STORE = 'feeds-follow-graph';

/** What the writer applies; JSON on the `feeds-by-user` repartition topic (pseudonyms only, no PII). */
export type FeedCommand =
  | { readonly op: 'follow'; readonly follower: string; readonly followee: string; readonly at: number }
  | { readonly op: 'unfollow'; readonly follower: string; readonly followee: string; readonly at: number; readonly removeItems: boolean }
  | { readonly op: 'post'; readonly item: FeedItem }
  | { readonly op: 'erase'; readonly pseudonym: string; readonly at: number };

export interface FeedStoresForTopology {
  readonly graph: FollowGraphStore;
  readonly inboxes: InboxStore;
  readonly tombstones: ErasureTombstones;
}

export interface FeedsTopologyOptions {
  readonly canonicalTopic: string;
  readonly stores: FeedStoresForTopology;
  /** Canonical-topic serdes: keys default to strings, values to JSON (pass the registry Avro serde in Kafka mode). */
  readonly keySerde?: Serde<unknown>;
  readonly valueSerde?: Serde<CanonicalValue>;
  readonly fanOut?: FanOutOptions;
  readonly followGraph?: FollowGraphOptions;
  readonly erasureEvents?: readonly string[];
  /** How long erased pseudonyms stay tombstoned (default 7 days; keep it above the likes window + grace). */
  readonly tombstoneRetentionMs?: number;
  /** How a store outage is waited out (see processors/feeds/store-retry.ts). */
  readonly storeRetry?: StoreRetryOptions;
}

export const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 86_400_000;

/** Turns canonical events into FeedCommands keyed by the user whose graph they touch. */
class FeedCommandProcessor implements Processor<unknown, CanonicalValue, string, FeedCommand> {
  #context!: ProcessorContext<string, FeedCommand>;

  constructor(
    readonly planner: FanOutPlanner,
    readonly follows: FollowGraphUpdater,
    readonly erasures: ErasureReader,
  ) {}

  init(context: ProcessorContext<string, FeedCommand>): void {
    this.#context = context;
  }

  process(record: StreamRecord<unknown, CanonicalValue>): void {
    const event = canonicalEventOf(record.value);
    if (event === undefined) return this.#context.recordDropped('not-a-canonical-event');
    const forward = (key: string, value: FeedCommand): void => this.#context.forward({ key, value, timestamp: record.timestamp, headers: {} });
    if (this.follows.wants(event)) {
      const change = this.follows.change(event);
      if (change.kind === 'ok') {
        const c = change.value;
        forward(c.followee, c.op === 'follow' ? { op: 'follow', follower: c.follower, followee: c.followee, at: c.atMs } : { op: 'unfollow', follower: c.follower, followee: c.followee, at: c.atMs, removeItems: c.removeItems });
      } else if (change.kind === 'deadLetter') this.#context.deadLetter(change);
      else this.#context.recordDropped(change.reason);
      return;
    }
    if (this.erasures.wants(event)) {
      const erased = this.erasures.erasedPseudonyms(event);
      if (erased.kind === 'ok') for (const pseudonym of erased.value) forward(pseudonym, { op: 'erase', pseudonym, at: record.timestamp });
      else if (erased.kind === 'deadLetter') this.#context.deadLetter(erased);
      return;
    }
    if (!this.planner.wants(event)) return;
    const item = this.planner.itemFor(event);
    if (item.kind === 'ok') forward(item.value.actor, { op: 'post', item: item.value });
    else if (item.kind === 'deadLetter') this.#context.deadLetter(item);
  }
}

/** Applies FeedCommands: the batch's store I/O in prepareBatch, the changelog-backed table in process. */
export class FeedWriterProcessor implements Processor<string, FeedCommand, never, never> {
  #table!: KeyValueStore<string, number>;
  #context!: ProcessorContext<never, never>;

  constructor(
    readonly stores: FeedStoresForTopology,
    readonly planner: FanOutPlanner,
    readonly tombstoneRetentionMs: number = DEFAULT_TOMBSTONE_RETENTION_MS,
    readonly storeRetry: StoreRetryOptions = {},
  ) {}

  init(context: ProcessorContext<never, never>): void {
    this.#context = context;
    this.#table = context.getStateStore<KeyValueStore<string, number>>(FEEDS_GRAPH_STORE);
    // Tombstones only need to outlive events in flight and open like windows.
    context.schedule(3_600_000, 'wall-clock-time', async (now) => {
      await this.stores.tombstones.expire(now - this.tombstoneRetentionMs);
    });
  }

  /** The whole batch is retried on a store outage: every write in it is idempotent. */
  async prepareBatch(records: readonly StreamRecord<string, FeedCommand>[]): Promise<void> {
    await withStoreRetry(() => this.#apply(records), this.storeRetry);
  }

  async #apply(records: readonly StreamRecord<string, FeedCommand>[]): Promise<void> {
    const { graph, inboxes, tombstones } = this.stores;
    let posts: FeedItem[] = [];
    const authors = new Set<string>();
    const flush = async (): Promise<void> => {
      if (posts.length === 0) return;
      const batch = posts;
      posts = [];
      authors.clear();
      await inboxes.writeBatch(await this.#plan(batch));
    };
    for (const { value: command } of records) {
      switch (command.op) {
        case 'post':
          posts.push(command.item);
          authors.add(command.item.actor);
          break;
        case 'follow': {
          if (authors.has(command.followee)) await flush();
          const erased = await tombstones.erasedAmong([command.follower, command.followee]);
          if (erased.size === 0) await graph.follow(command.follower, command.followee, command.at);
          break;
        }
        case 'unfollow':
          if (authors.has(command.followee)) await flush();
          await graph.unfollow(command.follower, command.followee);
          if (command.removeItems) await inboxes.removeAuthorFromInbox(command.follower, command.followee);
          break;
        case 'erase': {
          await flush();
          // Tombstone first: a post of the subject still in flight elsewhere is then never written.
          // Stamped with the wall clock, which the expiry runs on: an erasure event replayed long after
          // its time (a backfill) must keep its tombstone for the whole retention all the same.
          await tombstones.add([command.pseudonym], this.#context.currentSystemTimeMs());
          const followers = await graph.followers(command.pseudonym);
          await inboxes.eraseSubject(command.pseudonym, followers);
          await graph.removeUser(command.pseudonym);
          break;
        }
      }
    }
    await flush();
  }

  process(record: StreamRecord<string, FeedCommand>): void {
    const command = record.value;
    if (command.op === 'follow') this.#table.putIfAbsent(`${command.followee}/${command.follower}`, command.at);
    else if (command.op === 'unfollow') this.#table.delete(`${command.followee}/${command.follower}`);
    else if (command.op === 'erase') {
      // Edges where the subject is the followee live in this partition (keyed by followee).
      for (const { key } of this.#table.range(`${command.pseudonym}/`, `${command.pseudonym}/\uffff`)) this.#table.delete(key);
    }
  }

  /** Followers of each distinct author, fetched once per run of posts; celebrities (sticky) are not fanned out. */
  async #plan(items: readonly FeedItem[]): Promise<InboxWrite[]> {
    const { graph, tombstones } = this.stores;
    const authors = [...new Set(items.map((i) => i.actor))];
    const erased = await tombstones.erasedAmong(authors);
    const [celebrities, counts] = await Promise.all([graph.celebritiesAmong(authors), Promise.all(authors.map((a) => graph.followerCount(a)))]);
    const followers = new Map<string, string[]>();
    await Promise.all(
      authors.map(async (author, i) => {
        const pulled = celebrities.has(author) || this.planner.isCelebrity(counts[i] ?? 0);
        // Readers merge exactly the celebrity set: whoever is not fanned out must be in it.
        if (pulled && !celebrities.has(author)) await graph.markCelebrity(author);
        if (erased.has(author) || pulled) followers.set(author, []);
        else followers.set(author, await graph.followers(author));
      }),
    );
    return items
      .filter((item) => !erased.has(item.actor))
      .map((item) => ({ item, inboxes: (followers.get(item.actor) ?? []).filter((f) => f !== item.actor) }));
  }
}

export function buildFeedsTopology(options: FeedsTopologyOptions): Topology {
  const planner = new FanOutPlanner(options.fanOut);
  const follows = new FollowGraphUpdater(options.followGraph);
  const erasures = new ErasureReader(options.erasureEvents);
  const builder = new StreamsBuilder();
  builder
    .stream<unknown, CanonicalValue>(options.canonicalTopic, {
      name: FEEDS_SOURCE,
      keySerde: options.keySerde ?? (Serdes.String() as Serde<unknown>),
      valueSerde: options.valueSerde ?? Serdes.Json<CanonicalValue>(),
      timestampExtractor: canonicalEventTime,
    })
    .process<string, FeedCommand>(() => new FeedCommandProcessor(planner, follows, erasures), { name: FEEDS_COMMANDS })
    .repartition({ name: FEEDS_REPARTITION, keySerde: Serdes.String(), valueSerde: Serdes.Json<FeedCommand>() })
    .process<never, never>(() => new FeedWriterProcessor(options.stores, planner, options.tombstoneRetentionMs, options.storeRetry), {
      name: FEEDS_WRITER,
      stores: [Stores.keyValueStore<string, number>(FEEDS_GRAPH_STORE, { keySerde: Serdes.String(), valueSerde: Serdes.Long() })],
    });
  return builder.build();
}
