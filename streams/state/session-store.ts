/**
 * In-memory session store: per key, its sessions ordered by start. Session merging reads the few
 * sessions of one key that overlap a time range, so a per-key sorted array beats a global index.
 *
 * Retention is measured from the largest session end ever put (also during restore), so expiry
 * depends on the writes alone; reads ignore expired sessions, and a sweep removes them in bulk once
 * per retention period.
 *
 * Changelog key: serialized key + end + start as int64 big-endian (Kafka's SessionKeySchema).
 */
import type { Headers } from '../processor.js';
import { deserializeSync, readInt64BE, serializeSync, writeInt64BE, type SyncSerde } from '../serdes.js';
import { keyIdOf, type ChangeLogger, type ChangelogRecord, type KeyId, type ManagedStateStore, type StoreBuilder, type StoreContext } from './store.js';

const NO_HEADERS: Headers = Object.freeze({});

export interface SessionValue<V> {
  readonly start: number;
  readonly end: number;
  readonly value: V;
}

export interface KeySessionValue<K, V> extends SessionValue<V> {
  readonly key: K;
}

export interface ReadOnlySessionStore<K, V> {
  readonly name: string;
  readonly retentionMs: number;
  /** Sessions of `key` with end >= earliestSessionEnd and start <= latestSessionStart, by start. */
  findSessions(key: K, earliestSessionEnd: number, latestSessionStart: number): SessionValue<V>[];
  fetchSession(key: K, start: number, end: number): V | undefined;
  /** Every live session of `key`, by start. */
  fetch(key: K): SessionValue<V>[];
  all(): KeySessionValue<K, V>[];
  approximateSize(): number;
}

export interface SessionStore<K, V> extends ReadOnlySessionStore<K, V>, ManagedStateStore {
  put(key: K, start: number, end: number, value: V): void;
  remove(key: K, start: number, end: number): void;
}

export interface SessionStoreOptions<K, V> {
  readonly keySerde: SyncSerde<K>;
  readonly valueSerde: SyncSerde<V>;
  /** How long a session is kept after the newest session end; at least gap + grace. */
  readonly retentionMs: number;
  readonly logging?: boolean;
}

interface Session<V> {
  start: number;
  end: number;
  value: V;
}

interface KeySessions<K, V> {
  readonly key: K;
  readonly sessions: Session<V>[];
}

export class InMemorySessionStore<K, V> implements SessionStore<K, V> {
  readonly kind = 'session' as const;
  readonly loggingEnabled: boolean;
  readonly retentionMs: number;
  readonly #byKey = new Map<KeyId, KeySessions<K, V>>();
  #observedEnd = Number.NEGATIVE_INFINITY;
  #lastSweep = Number.NEGATIVE_INFINITY;
  #size = 0;
  readonly #keySerde: SyncSerde<K>;
  readonly #valueSerde: SyncSerde<V>;
  #logger: ChangeLogger | undefined;
  #context: StoreContext | undefined;

  constructor(
    readonly name: string,
    options: SessionStoreOptions<K, V>,
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

  findSessions(key: K, earliestSessionEnd: number, latestSessionStart: number): SessionValue<V>[] {
    const entry = this.#byKey.get(this.#id(key));
    if (entry === undefined) return [];
    const result: SessionValue<V>[] = [];
    for (const session of entry.sessions) {
      if (session.start > latestSessionStart) break;
      if (session.end >= earliestSessionEnd && !this.#expired(session.end)) result.push({ start: session.start, end: session.end, value: session.value });
    }
    return result;
  }

  fetchSession(key: K, start: number, end: number): V | undefined {
    if (this.#expired(end)) return undefined;
    return this.#byKey.get(this.#id(key))?.sessions.find((s) => s.start === start && s.end === end)?.value;
  }

  fetch(key: K): SessionValue<V>[] {
    return this.findSessions(key, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  }

  all(): KeySessionValue<K, V>[] {
    const result: KeySessionValue<K, V>[] = [];
    for (const entry of this.#byKey.values()) {
      for (const s of entry.sessions) {
        if (!this.#expired(s.end)) result.push({ key: entry.key, start: s.start, end: s.end, value: s.value });
      }
    }
    return result;
  }

  approximateSize(): number {
    return this.#size;
  }

  put(key: K, start: number, end: number, value: V): void {
    this.#apply(key, start, end, value);
    this.#log(key, start, end, value);
  }

  remove(key: K, start: number, end: number): void {
    this.#apply(key, start, end, null);
    this.#log(key, start, end, null);
  }

  restore(records: Iterable<ChangelogRecord>): void {
    for (const record of records) {
      if (record.key === null) continue;
      const { keyBytes, start, end } = decodeSessionKey(record.key);
      const key = deserializeSync(this.#keySerde, this.name, keyBytes, NO_HEADERS);
      const value = record.value === null ? null : deserializeSync(this.#valueSerde, this.name, record.value, NO_HEADERS);
      this.#apply(key, start, end, value);
    }
  }

  flush(): void {}

  close(): void {
    this.#byKey.clear();
    this.#size = 0;
  }

  #log(key: K, start: number, end: number, value: V | null): void {
    if (this.#logger === undefined) return;
    const keyBytes = this.#keyBytes(key);
    const valueBytes = value === null ? null : serializeSync(this.#valueSerde, this.name, value, NO_HEADERS);
    this.#logger.logChange(this.name, encodeSessionKey(keyBytes, start, end), valueBytes, (this.#context as StoreContext).currentTimestamp());
  }

  #apply(key: K, start: number, end: number, value: V | null): void {
    const id = this.#id(key);
    // A removal implies an earlier put of that session: it advances observed time too, so a store
    // restored from a compacted changelog (where only the tombstone survives) expires the same sessions.
    if (end > this.#observedEnd) {
      this.#observedEnd = end;
      if (end - this.#lastSweep > this.retentionMs) this.#sweep();
    }
    // Looked up after the sweep, which may have dropped this key's entry.
    let entry = this.#byKey.get(id);
    if (value === null || value === undefined) {
      if (entry === undefined) return;
      const index = entry.sessions.findIndex((s) => s.start === start && s.end === end);
      if (index >= 0) {
        entry.sessions.splice(index, 1);
        this.#size--;
        if (entry.sessions.length === 0) this.#byKey.delete(id);
      }
      return;
    }
    if (this.#expired(end)) return;
    if (entry === undefined) {
      entry = { key, sessions: [] };
      this.#byKey.set(id, entry);
    }
    const sessions = entry.sessions;
    let index = sessions.length;
    while (index > 0 && (sessions[index - 1] as Session<V>).start > start) index--;
    const previous = sessions[index - 1];
    if (previous !== undefined && previous.start === start && previous.end === end) {
      previous.value = value;
      return;
    }
    // Same start, different end: a distinct session (Kafka keys sessions by key, start and end).
    sessions.splice(index, 0, { start, end, value });
    this.#size++;
  }

  #expired(end: number): boolean {
    return end <= this.#observedEnd - this.retentionMs;
  }

  #sweep(): void {
    this.#lastSweep = this.#observedEnd;
    for (const [id, entry] of this.#byKey) {
      const live = entry.sessions.filter((s) => !this.#expired(s.end));
      if (live.length === entry.sessions.length) continue;
      this.#size -= entry.sessions.length - live.length;
      if (live.length === 0) this.#byKey.delete(id);
      else entry.sessions.splice(0, entry.sessions.length, ...live);
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

export function encodeSessionKey(keyBytes: Buffer, start: number, end: number): Buffer {
  const buffer = Buffer.allocUnsafe(keyBytes.length + 16);
  keyBytes.copy(buffer, 0);
  writeInt64BE(buffer, end, keyBytes.length);
  writeInt64BE(buffer, start, keyBytes.length + 8);
  return buffer;
}

export function decodeSessionKey(bytes: Buffer): { keyBytes: Buffer; start: number; end: number } {
  const split = bytes.length - 16;
  return {
    keyBytes: bytes.subarray(0, split),
    end: readInt64BE(bytes, split),
    start: readInt64BE(bytes, split + 8),
  };
}

export function sessionStoreBuilder<K, V>(name: string, options: SessionStoreOptions<K, V>): StoreBuilder<InMemorySessionStore<K, V>> {
  return {
    name,
    kind: 'session',
    loggingEnabled: options.logging ?? true,
    build: () => new InMemorySessionStore<K, V>(name, options),
  };
}
