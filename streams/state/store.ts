/**
 * State-store plumbing shared by every store type: the changelog seam and the builder a topology
 * holds (one builder per store name; each task builds its own instance from it).
 *
 * Every put/delete on a logged store is reported to the ChangeLogger, which the task turns into a
 * record on the compacted topic `<applicationId>-<storeName>-changelog`, on the task's partition.
 * `restore` replays such records into an empty store and yields exactly the state that wrote them.
 */
import type { StateStore } from '../processor.js';

export interface ChangeLogger {
  logChange(storeName: string, key: Buffer, value: Buffer | null, timestamp: number): void;
}

/** What a store needs from its task. */
export interface StoreContext {
  readonly taskId: string;
  readonly changeLogger: ChangeLogger;
  /** Event time of the record being processed (stamped on changelog records). */
  currentTimestamp(): number;
}

/** A changelog record as replayed on restore (key and value bytes, like on the topic). */
export interface ChangelogRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export type StoreKind = 'key-value' | 'window' | 'session';

/** The runtime side of a store: lifecycle and changelog restore. */
export interface ManagedStateStore extends StateStore {
  readonly kind: StoreKind;
  init(context: StoreContext): void;
  /** Applies changelog records in order without logging them again. */
  restore(records: Iterable<ChangelogRecord>): void;
  /** Makes buffered writes durable (no-op for the in-memory stores). */
  flush(): void;
  close(): void;
}

export interface StoreBuilder<S extends ManagedStateStore = ManagedStateStore> {
  readonly name: string;
  readonly kind: StoreKind;
  readonly loggingEnabled: boolean;
  build(): S;
}

/** `<applicationId>-<storeName>-changelog`, Kafka Streams' naming. */
export function changelogTopicName(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`;
}

/** Identity of a key inside an in-memory store: primitives as themselves, anything else by its bytes. */
export type KeyId = string | number | boolean | bigint;

export function keyIdOf(key: unknown, bytes: () => Buffer | null): KeyId {
  switch (typeof key) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return key;
    default:
      // \u0000 keeps serialized keys apart from plain string keys that happen to match.
      return `\u0000${bytes()?.toString('latin1') ?? ''}`;
  }
}

/** Lexicographic byte order, Kafka's store order. */
export function compareBytes(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}
