/**
 * In-memory key-value store with change logging. Reads and writes are a Map operation; ordered
 * iteration (`all`, `range`) sorts by serialized key bytes, Kafka's store order, on demand and caches
 * the order until the key set changes.
 */
import type { Headers } from '../processor.js';
import { deserializeSync, serializeSync, type SyncSerde } from '../serdes.js';
import { keyIdOf, type ChangeLogger, type ChangelogRecord, type KeyId, type ManagedStateStore, type StoreBuilder, type StoreContext } from './store.js';

export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

export interface ReadOnlyKeyValueStore<K, V> {
  readonly name: string;
  get(key: K): V | undefined;
  /** Entries with from <= key <= to in serialized-key byte order (bounds optional). */
  range(from: K | undefined, to: K | undefined): KeyValue<K, V>[];
  all(): KeyValue<K, V>[];
  approximateSize(): number;
}

export interface KeyValueStore<K, V> extends ReadOnlyKeyValueStore<K, V>, ManagedStateStore {
  /** `null` deletes, like Kafka's put(key, null). */
  put(key: K, value: V | null): void;
  putIfAbsent(key: K, value: V): V | undefined;
  delete(key: K): V | undefined;
}

interface Entry<K, V> {
  readonly key: K;
  value: V;
  bytes: Buffer | undefined;
}

const NO_HEADERS: Headers = Object.freeze({});

export interface KeyValueStoreOptions<K, V> {
  readonly keySerde: SyncSerde<K>;
  readonly valueSerde: SyncSerde<V>;
  /** Default true: changes go to `<applicationId>-<name>-changelog`. */
  readonly logging?: boolean;
  /**
   * Default false. Like Kafka Streams' `withCachingEnabled()` for the changelog: the changes of a key are
   * coalesced until the next commit (the task's `flush`), which logs each changed key once with its
   * latest value. A store written on every record (a chain head, a counter) then costs one changelog
   * record per key per commit instead of one per record. Reads are unaffected.
   */
  readonly caching?: boolean;
}

interface DirtyKey<K> {
  readonly key: K;
  timestamp: number;
}

export class InMemoryKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly kind = 'key-value' as const;
  readonly loggingEnabled: boolean;
  readonly cachingEnabled: boolean;
  readonly #entries = new Map<KeyId, Entry<K, V>>();
  /** With caching: keys changed since the last flush, with the event time of their last change. */
  readonly #dirty = new Map<KeyId, DirtyKey<K>>();
  readonly #keySerde: SyncSerde<K>;
  readonly #valueSerde: SyncSerde<V>;
  #sorted: Entry<K, V>[] | undefined;
  #logger: ChangeLogger | undefined;
  #context: StoreContext | undefined;

  constructor(
    readonly name: string,
    options: KeyValueStoreOptions<K, V>,
  ) {
    this.#keySerde = options.keySerde;
    this.#valueSerde = options.valueSerde;
    this.loggingEnabled = options.logging ?? true;
    this.cachingEnabled = options.caching ?? false;
  }

  init(context: StoreContext): void {
    this.#context = context;
    this.#logger = this.loggingEnabled ? context.changeLogger : undefined;
  }

  get(key: K): V | undefined {
    return this.#entries.get(this.#id(key))?.value;
  }

  put(key: K, value: V | null): void {
    if (value === null || value === undefined) {
      this.delete(key);
      return;
    }
    const id = this.#id(key);
    const entry = this.#entries.get(id);
    if (entry === undefined) {
      this.#entries.set(id, { key, value, bytes: undefined });
      this.#sorted = undefined;
    } else {
      entry.value = value;
    }
    if (this.#logger !== undefined) this.#changed(id, key, value);
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const existing = this.get(key);
    if (existing === undefined) this.put(key, value);
    return existing;
  }

  delete(key: K): V | undefined {
    const id = this.#id(key);
    const entry = this.#entries.get(id);
    if (entry !== undefined) {
      this.#entries.delete(id);
      this.#sorted = undefined;
    }
    if (this.#logger !== undefined && entry !== undefined) this.#changed(id, key, null);
    return entry?.value;
  }

  range(from: K | undefined, to: K | undefined): KeyValue<K, V>[] {
    const low = from === undefined ? undefined : this.#bytes(from);
    const high = to === undefined ? undefined : this.#bytes(to);
    const result: KeyValue<K, V>[] = [];
    for (const entry of this.#ordered()) {
      const bytes = entry.bytes as Buffer;
      if (low !== undefined && Buffer.compare(bytes, low) < 0) continue;
      if (high !== undefined && Buffer.compare(bytes, high) > 0) break;
      result.push({ key: entry.key, value: entry.value });
    }
    return result;
  }

  all(): KeyValue<K, V>[] {
    return this.#ordered().map((entry) => ({ key: entry.key, value: entry.value }));
  }

  approximateSize(): number {
    return this.#entries.size;
  }

  restore(records: Iterable<ChangelogRecord>): void {
    for (const record of records) {
      if (record.key === null) continue;
      const key = deserializeSync(this.#keySerde, this.name, record.key, NO_HEADERS);
      const id = this.#id(key);
      if (record.value === null) {
        if (this.#entries.delete(id)) this.#sorted = undefined;
        continue;
      }
      const value = deserializeSync(this.#valueSerde, this.name, record.value, NO_HEADERS);
      const entry = this.#entries.get(id);
      if (entry === undefined) {
        this.#entries.set(id, { key, value, bytes: record.key });
        this.#sorted = undefined;
      } else {
        entry.value = value;
      }
    }
  }

  /** With caching, logs each key changed since the last flush once, with its current value (or a tombstone). */
  flush(): void {
    if (this.#dirty.size === 0) return;
    for (const [id, dirty] of this.#dirty) this.#log(dirty.key, this.#entries.get(id)?.value ?? null, dirty.timestamp);
    this.#dirty.clear();
  }

  /** Unflushed cached changes are dropped: a close without flush is a crash or a revocation, whose input is not committed either. */
  close(): void {
    this.#dirty.clear();
    this.#entries.clear();
    this.#sorted = undefined;
  }

  #changed(id: KeyId, key: K, value: V | null): void {
    const timestamp = (this.#context as StoreContext).currentTimestamp();
    if (!this.cachingEnabled) {
      this.#log(key, value, timestamp);
      return;
    }
    const dirty = this.#dirty.get(id);
    if (dirty === undefined) this.#dirty.set(id, { key, timestamp });
    else dirty.timestamp = timestamp;
  }

  #log(key: K, value: V | null, timestamp: number): void {
    const keyBytes = this.#bytes(key);
    const valueBytes = value === null ? null : serializeSync(this.#valueSerde, this.name, value, NO_HEADERS);
    (this.#logger as ChangeLogger).logChange(this.name, keyBytes, valueBytes, timestamp);
  }

  #id(key: K): KeyId {
    return keyIdOf(key, () => this.#bytes(key));
  }

  #bytes(key: K): Buffer {
    const bytes = serializeSync(this.#keySerde, this.name, key, NO_HEADERS);
    if (bytes === null) throw new TypeError(`store ${this.name}: a key serialized to null`);
    return bytes;
  }

  #ordered(): Entry<K, V>[] {
    if (this.#sorted === undefined) {
      const entries = [...this.#entries.values()];
      for (const entry of entries) entry.bytes ??= this.#bytes(entry.key);
      entries.sort((a, b) => Buffer.compare(a.bytes as Buffer, b.bytes as Buffer));
      this.#sorted = entries;
    }
    return this.#sorted;
  }
}

export function keyValueStoreBuilder<K, V>(name: string, options: KeyValueStoreOptions<K, V>): StoreBuilder<InMemoryKeyValueStore<K, V>> {
  return {
    name,
    kind: 'key-value',
    loggingEnabled: options.logging ?? true,
    build: () => new InMemoryKeyValueStore<K, V>(name, options),
  };
}
