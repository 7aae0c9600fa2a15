/**
 * In-memory window store: one value per (key, window start), grouped by window start so that a point
 * lookup is two Map reads and expiry drops whole windows at once (Kafka's segments, in memory).
 *
 * Retention is measured from the largest window start ever put (also during restore), so expiry is a
 * function of the writes alone and a store restored from its changelog answers exactly like the
 * original. Reads ignore expired windows even before they are swept.
 *
 * Changelog key: serialized key + window start as int64 big-endian (Kafka's WindowKeySchema without
 * the sequence number).
 */
import type { Headers } from '../processor.js';
import { deserializeSync, readInt64BE, serializeSync, writeInt64BE, type SyncSerde } from '../serdes.js';
import { keyIdOf, type ChangeLogger, type ChangelogRecord, type KeyId, type ManagedStateStore, type StoreBuilder, type StoreContext } from './store.js';

const NO_HEADERS: Headers = Object.freeze({});

export interface WindowedValue<V> {
  readonly windowStart: number;
  readonly value: V;
}

export interface KeyWindowValue<K, V> {
  readonly key: K;
  readonly windowStart: number;
  readonly value: V;
}

export interface ReadOnlyWindowStore<K, V> {
  readonly name: string;
  readonly retentionMs: number;
  fetch(key: K, windowStart: number): V | undefined;
  /** Windows of `key` whose start is in [timeFrom, timeTo], by start. */
  fetchRange(key: K, timeFrom: number, timeTo: number): WindowedValue<V>[];
  /** Every live window with start in [timeFrom, timeTo], by start then key order of insertion. */
  fetchAll(timeFrom: number, timeTo: number): KeyWindowValue<K, V>[];
  all(): KeyWindowValue<K, V>[];
  approximateSize(): number;
}

export interface WindowStore<K, V> extends ReadOnlyWindowStore<K, V>, ManagedStateStore {
  /** `null` deletes. */
  put(key: K, windowStart: number, value: V | null): void;
}

export interface WindowStoreOptions<K, V> {
  readonly keySerde: SyncSerde<K>;
  readonly valueSerde: SyncSerde<V>;
  /** How long a window is kept after the newest window start; at least window size + grace. */
  readonly retentionMs: number;
  readonly logging?: boolean;
}

interface Slot<K, V> {
  readonly key: K;
  value: V;
}

export class InMemoryWindowStore<K, V> implements WindowStore<K, V> {
  readonly kind = 'window' as const;
  readonly loggingEnabled: boolean;
  readonly retentionMs: number;
  /** window start → key id → slot */
  readonly #windows = new Map<number, Map<KeyId, Slot<K, V>>>();
  /** Window starts in ascending order. */
  #starts: number[] = [];
  #observedStart = Number.NEGATIVE_INFINITY;
  #size = 0;
  readonly #keySerde: SyncSerde<K>;
  readonly #valueSerde: SyncSerde<V>;
  #logger: ChangeLogger | undefined;
  #context: StoreContext | undefined;

  constructor(
    readonly name: string,
    options: WindowStoreOptions<K, V>,
  ) {
    this.#keySerde = options.keySerde;
    this.#valueSerde = options.valueSerde;
    this.retentionMs = options.retentionMs;
    this.loggingEnabled = options.logging ?? true;
  }

  init(context: StoreContext): void {
    this.#context = context;
    this.#logger = this.loggingEnabled ? context.changeLogger : undefined;
  }

  fetch(key: K, windowStart: number): V | undefined {
    if (this.#expired(windowStart)) return undefined;
    return this.#windows.get(windowStart)?.get(this.#id(key))?.value;
  }

  put(key: K, windowStart: number, value: V | null): void {
    this.#apply(key, this.#id(key), windowStart, value);
    if (this.#logger !== undefined) {
      const keyBytes = this.#keyBytes(key);
      const valueBytes = value === null || value === undefined ? null : serializeSync(this.#valueSerde, this.name, value, NO_HEADERS);
      this.#logger.logChange(this.name, encodeWindowKey(keyBytes, windowStart), valueBytes, (this.#context as StoreContext).currentTimestamp());
    }
  }

  fetchRange(key: K, timeFrom: number, timeTo: number): WindowedValue<V>[] {
    const id = this.#id(key);
    const result: WindowedValue<V>[] = [];
    for (const start of this.#startsBetween(timeFrom, timeTo)) {
      const slot = this.#windows.get(start)?.get(id);
      if (slot !== undefined) result.push({ windowStart: start, value: slot.value });
    }
    return result;
  }

  fetchAll(timeFrom: number, timeTo: number): KeyWindowValue<K, V>[] {
    const result: KeyWindowValue<K, V>[] = [];
    for (const start of this.#startsBetween(timeFrom, timeTo)) {
      for (const slot of (this.#windows.get(start) as Map<KeyId, Slot<K, V>>).values()) {
        result.push({ key: slot.key, windowStart: start, value: slot.value });
      }
    }
    return result;
  }

  all(): KeyWindowValue<K, V>[] {
    return this.fetchAll(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  }

  approximateSize(): number {
    return this.#size;
  }

  restore(records: Iterable<ChangelogRecord>): void {
    for (const record of records) {
      if (record.key === null) continue;
      const { keyBytes, windowStart } = decodeWindowKey(record.key);
      const key = deserializeSync(this.#keySerde, this.name, keyBytes, NO_HEADERS);
      const value = record.value === null ? null : deserializeSync(this.#valueSerde, this.name, record.value, NO_HEADERS);
      this.#apply(key, this.#id(key), windowStart, value);
    }
  }

  flush(): void {}

  close(): void {
    this.#windows.clear();
    this.#starts = [];
    this.#size = 0;
  }

  #apply(key: K, id: KeyId, windowStart: number, value: V | null): void {
    let window = this.#windows.get(windowStart);
    // Deletes advance observed time too (see the session store): compaction may keep only them.
    if (windowStart > this.#observedStart) {
      this.#observedStart = windowStart;
      this.#evictExpired();
      window = this.#windows.get(windowStart);
    }
    if (value === null || value === undefined) {
      if (window?.delete(id) === true) {
        this.#size--;
        if (window.size === 0) this.#dropWindow(windowStart);
      }
      return;
    }
    // A put below the retention horizon is ignored, as Kafka's segmented stores ignore expired writes.
    if (this.#expired(windowStart)) return;
    if (window === undefined) {
      window = new Map();
      this.#windows.set(windowStart, window);
      this.#insertStart(windowStart);
    }
    const slot = window.get(id);
    if (slot === undefined) {
      window.set(id, { key, value });
      this.#size++;
    } else {
      slot.value = value;
    }
  }

  #expired(windowStart: number): boolean {
    return windowStart <= this.#observedStart - this.retentionMs;
  }

  #evictExpired(): void {
    const starts = this.#starts;
    let drop = 0;
    while (drop < starts.length && this.#expired(starts[drop] as number)) {
      const start = starts[drop] as number;
      this.#size -= (this.#windows.get(start) as Map<KeyId, Slot<K, V>>).size;
      this.#windows.delete(start);
      drop++;
    }
    if (drop > 0) this.#starts = starts.slice(drop);
  }

  #insertStart(start: number): void {
    const starts = this.#starts;
    // Windows almost always arrive in increasing order: append is the common case.
    if (starts.length === 0 || (starts[starts.length - 1] as number) < start) {
      starts.push(start);
      return;
    }
    starts.splice(lowerBound(starts, start), 0, start);
  }

  #dropWindow(start: number): void {
    this.#windows.delete(start);
    const index = lowerBound(this.#starts, start);
    if (this.#starts[index] === start) this.#starts.splice(index, 1);
  }

  *#startsBetween(timeFrom: number, timeTo: number): Generator<number> {
    const starts = this.#starts;
    for (let i = lowerBound(starts, timeFrom); i < starts.length; i++) {
      const start = starts[i] as number;
      if (start > timeTo) return;
      if (!this.#expired(start)) yield start;
    }
  }

  #id(key: K): KeyId {
    return keyIdOf(key, () => this.#keyBytes(key));
  }

  #keyBytes(key: K): Buffer {
    const bytes = serializeSync(this.#keySerde, this.name, key, NO_HEADERS);
    if (bytes === null) throw new TypeError(`store ${this.name}: a key serialized to null`);
    return bytes;
  }
}

export function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

export function encodeWindowKey(keyBytes: Buffer, windowStart: number): Buffer {
  const buffer = Buffer.allocUnsafe(keyBytes.length + 8);
  keyBytes.copy(buffer, 0);
  writeInt64BE(buffer, windowStart, keyBytes.length);
  return buffer;
}

export function decodeWindowKey(bytes: Buffer): { keyBytes: Buffer; windowStart: number } {
  const split = bytes.length - 8;
  return { keyBytes: bytes.subarray(0, split), windowStart: readInt64BE(bytes, split) };
}

export function windowStoreBuilder<K, V>(name: string, options: WindowStoreOptions<K, V>): StoreBuilder<InMemoryWindowStore<K, V>> {
  return {
    name,
    kind: 'window',
    loggingEnabled: options.logging ?? true,
    build: () => new InMemoryWindowStore<K, V>(name, options),
  };
}
