/**
 * `suppress(Suppressed.untilWindowCloses())`: buffers the latest result of every open window and
 * emits it once, when stream time reaches the window's close time (end + grace; for sessions
 * end + gap + grace + 1), in close-time order. Tombstones of windows still buffered (sessions merged
 * away) just leave the buffer: nothing was emitted for them.
 *
 * The buffer is a changelogged key-value store, so a restarted task emits exactly what the old one
 * would have; the in-memory close-time index is rebuilt from the store on first use.
 */
import type { Headers, Processor, ProcessorContext, ProcessorSupplier, StreamRecord } from '../processor.js';
import type { KeyValueStore } from '../state/key-value-store.js';
import { serializeSync, deserializeSync, type SyncSerde } from '../serdes.js';
import type { Window, Windowed } from '../windows.js';
import { lowerBound } from '../state/window-store.js';

export interface BufferedResult<V> {
  readonly value: V;
  readonly timestamp: number;
  readonly closeAt: number;
}

const NO_HEADERS: Headers = Object.freeze({});

/** Value serde of the suppression buffer: `{"v": <value bytes, base64>, "t": timestamp, "c": closeAt}`. */
export function bufferedResultSerde<V>(valueSerde: SyncSerde<V>): SyncSerde<BufferedResult<V>> {
  return {
    name: `suppress-buffer(${valueSerde.name})`,
    serialize: (topic, data) => {
      if (data === null || data === undefined) return null;
      const bytes = serializeSync(valueSerde, topic, data.value, NO_HEADERS);
      return Buffer.from(JSON.stringify({ v: bytes === null ? null : bytes.toString('base64'), t: data.timestamp, c: data.closeAt }));
    },
    deserialize: (topic, data) => {
      if (data === null) return null as unknown as BufferedResult<V>;
      const parsed = JSON.parse(data.toString('utf8')) as { v: string | null; t: number; c: number };
      const value = deserializeSync(valueSerde, topic, parsed.v === null ? null : Buffer.from(parsed.v, 'base64'), NO_HEADERS);
      return { value, timestamp: parsed.t, closeAt: parsed.c };
    },
  };
}

interface Pending {
  readonly key: Windowed<unknown>;
  readonly result: BufferedResult<unknown>;
  readonly headers: Headers;
}

const idOf = (key: Windowed<unknown>): string => JSON.stringify([key.key, key.window.start, key.window.end]);

export const suppressProcessor =
  (storeName: string, closesAt: (window: Window) => number): ProcessorSupplier<Windowed<unknown>, unknown> =>
  () =>
    new SuppressProcessor(storeName, closesAt);

class SuppressProcessor implements Processor<Windowed<unknown>, unknown> {
  #context!: ProcessorContext<Windowed<unknown>, unknown>;
  #store!: KeyValueStore<Windowed<unknown>, BufferedResult<unknown>>;
  #pending: Map<string, Pending> | undefined;
  /** close time → ids, and the close times in ascending order */
  readonly #byClose = new Map<number, Set<string>>();
  #closes: number[] = [];

  constructor(
    private readonly storeName: string,
    private readonly closesAt: (window: Window) => number,
  ) {}

  init(context: ProcessorContext<Windowed<unknown>, unknown>): void {
    this.#context = context;
    this.#store = context.getStateStore(this.storeName);
  }

  process(record: StreamRecord<Windowed<unknown>, unknown>): void {
    const pending = this.#load();
    const id = idOf(record.key);
    const existing = pending.get(id);
    if (record.value === null || record.value === undefined) {
      if (existing !== undefined) {
        this.#unindex(id, existing.result.closeAt);
        pending.delete(id);
        this.#store.delete(record.key);
      }
    } else {
      const closeAt = this.closesAt(record.key.window);
      const result: BufferedResult<unknown> = { value: record.value, timestamp: record.timestamp, closeAt };
      if (existing === undefined) this.#index(id, closeAt);
      pending.set(id, { key: record.key, result, headers: record.headers });
      this.#store.put(record.key, result);
    }
    this.#emitClosed(this.#context.currentStreamTimeMs());
  }

  #emitClosed(streamTime: number): void {
    const pending = this.#pending as Map<string, Pending>;
    let emitted = 0;
    while (emitted < this.#closes.length && (this.#closes[emitted] as number) <= streamTime) {
      const closeAt = this.#closes[emitted] as number;
      for (const id of this.#byClose.get(closeAt) as Set<string>) {
        const entry = pending.get(id) as Pending;
        pending.delete(id);
        this.#store.delete(entry.key);
        this.#context.forward({ key: entry.key, value: entry.result.value, timestamp: entry.result.timestamp, headers: entry.headers });
      }
      this.#byClose.delete(closeAt);
      emitted++;
    }
    if (emitted > 0) this.#closes = this.#closes.slice(emitted);
  }

  /** Builds the in-memory index from the (possibly restored) store on first use. */
  #load(): Map<string, Pending> {
    if (this.#pending !== undefined) return this.#pending;
    const pending = new Map<string, Pending>();
    const entries = this.#store.all().sort((a, b) => a.value.closeAt - b.value.closeAt || a.value.timestamp - b.value.timestamp);
    for (const { key, value } of entries) {
      const id = idOf(key);
      pending.set(id, { key, result: value, headers: NO_HEADERS });
      this.#index(id, value.closeAt);
    }
    this.#pending = pending;
    return pending;
  }

  #index(id: string, closeAt: number): void {
    let ids = this.#byClose.get(closeAt);
    if (ids === undefined) {
      ids = new Set();
      this.#byClose.set(closeAt, ids);
      const closes = this.#closes;
      if (closes.length === 0 || (closes[closes.length - 1] as number) < closeAt) closes.push(closeAt);
      else closes.splice(lowerBound(closes, closeAt), 0, closeAt);
    }
    ids.add(id);
  }

  #unindex(id: string, closeAt: number): void {
    const ids = this.#byClose.get(closeAt);
    if (ids === undefined) return;
    ids.delete(id);
    if (ids.size === 0) {
      this.#byClose.delete(closeAt);
      const index = lowerBound(this.#closes, closeAt);
      if (this.#closes[index] === closeAt) this.#closes.splice(index, 1);
    }
  }
}
