/**
 * The processors behind the DSL operations. Each is an ordinary Processor (processor.ts), so the DSL
 * adds no machinery of its own: it only wires these into the Topology with stable names.
 * They are written for the hot path: no Promise, one object per forwarded record, no closures per record.
 */
import type { Processor, ProcessorContext, ProcessorSupplier, StreamRecord } from '../processor.js';
import type { KeyValueStore } from '../state/key-value-store.js';
import type { SessionStore } from '../state/session-store.js';
import type { WindowStore } from '../state/window-store.js';
import type { SessionWindows, TimeWindows, Windowed } from '../windows.js';

export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

type Ctx = ProcessorContext<unknown, unknown>;
type Rec = StreamRecord<unknown, unknown>;

/* eslint-disable @typescript-eslint/no-explicit-any -- processors are wired into an untyped graph; the DSL types the user's functions. */
type AnyFn = (...args: any[]) => any;

abstract class Forwarding implements Processor<unknown, unknown> {
  protected context!: Ctx;
  init(context: Ctx): void {
    this.context = context;
  }
  abstract process(record: Rec): void;
}

export const filterProcessor =
  (predicate: AnyFn, negate: boolean): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      process(record: Rec): void {
        if (Boolean(predicate(record.key, record.value, record)) !== negate) this.context.forward(record);
      }
    })();

export const mapProcessor =
  (mapper: AnyFn): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      process(record: Rec): void {
        const kv = mapper(record.key, record.value, record) as KeyValue<unknown, unknown>;
        this.context.forward({ key: kv.key, value: kv.value, timestamp: record.timestamp, headers: record.headers });
      }
    })();

export const mapValuesProcessor =
  (mapper: AnyFn): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      process(record: Rec): void {
        this.context.forward({ key: record.key, value: mapper(record.value, record.key, record), timestamp: record.timestamp, headers: record.headers });
      }
    })();

export const selectKeyProcessor =
  (selector: AnyFn): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      process(record: Rec): void {
        this.context.forward({ key: selector(record.key, record.value, record), value: record.value, timestamp: record.timestamp, headers: record.headers });
      }
    })();

export const flatMapProcessor =
  (mapper: AnyFn): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      process(record: Rec): void {
        for (const kv of mapper(record.key, record.value, record) as Iterable<KeyValue<unknown, unknown>>) {
          this.context.forward({ key: kv.key, value: kv.value, timestamp: record.timestamp, headers: record.headers });
        }
      }
    })();

export const flatMapValuesProcessor =
  (mapper: AnyFn): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      process(record: Rec): void {
        for (const value of mapper(record.value, record.key, record) as Iterable<unknown>) {
          this.context.forward({ key: record.key, value, timestamp: record.timestamp, headers: record.headers });
        }
      }
    })();

export const peekProcessor =
  (action: AnyFn): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      process(record: Rec): void {
        action(record.key, record.value, record);
        this.context.forward(record);
      }
    })();

/** Forwards unchanged: merge, branch children, toStream. */
export const passThroughProcessor = (): ProcessorSupplier<unknown, unknown> => () =>
  new (class extends Forwarding {
    process(record: Rec): void {
      this.context.forward(record);
    }
  })();

/** Drops records with a null key (before a repartition topic, an aggregation or a join), counted. */
export const dropNullKeysProcessor = (): ProcessorSupplier<unknown, unknown> => () =>
  new (class extends Forwarding {
    process(record: Rec): void {
      if (record.key === null || record.key === undefined) this.context.recordDropped('null-key');
      else this.context.forward(record);
    }
  })();

export interface Branch {
  readonly predicate: AnyFn | undefined;
  readonly child: string;
}

/** split(): forwards each record to the first branch whose predicate matches (or the default branch). */
export const splitProcessor =
  (branches: readonly Branch[]): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      process(record: Rec): void {
        for (const branch of branches) {
          if (branch.predicate === undefined || branch.predicate(record.key, record.value, record)) {
            this.context.forward(record, branch.child);
            return;
          }
        }
      }
    })();

/** KTable source: materializes the latest value per key (null deletes) and forwards the change. */
export const tableSourceProcessor =
  (storeName: string): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      #store!: KeyValueStore<unknown, unknown>;
      override init(context: Ctx): void {
        super.init(context);
        this.#store = context.getStateStore(storeName);
      }
      process(record: Rec): void {
        if (record.key === null || record.key === undefined) {
          this.context.recordDropped('null-key');
          return;
        }
        this.#store.put(record.key, record.value ?? null);
        this.context.forward(record);
      }
    })();

/** count / reduce / aggregate on a key-value store. `aggregate(key, value, previous|undefined)`. */
export const keyValueAggregateProcessor =
  (storeName: string, aggregate: (key: unknown, value: unknown, previous: unknown) => unknown, skipNullValues: boolean): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      #store!: KeyValueStore<unknown, unknown>;
      override init(context: Ctx): void {
        super.init(context);
        this.#store = context.getStateStore(storeName);
      }
      process(record: Rec): void {
        if (record.key === null || record.key === undefined) {
          this.context.recordDropped('null-key');
          return;
        }
        if (skipNullValues && (record.value === null || record.value === undefined)) {
          this.context.recordDropped('null-value');
          return;
        }
        const next = aggregate(record.key, record.value, this.#store.get(record.key));
        this.#store.put(record.key, next);
        this.context.forward({ key: record.key, value: next, timestamp: record.timestamp, headers: record.headers });
      }
    })();

/** Windowed count / reduce / aggregate over time windows, with grace and late-drop counting. */
export const timeWindowAggregateProcessor =
  (
    storeName: string,
    windows: TimeWindows,
    aggregate: (key: unknown, value: unknown, previous: unknown) => unknown,
    skipNullValues: boolean,
  ): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      #store!: WindowStore<unknown, unknown>;
      override init(context: Ctx): void {
        super.init(context);
        this.#store = context.getStateStore(storeName);
      }
      process(record: Rec): void {
        const key = record.key;
        if (key === null || key === undefined) {
          this.context.recordDropped('null-key');
          return;
        }
        if (skipNullValues && (record.value === null || record.value === undefined)) {
          this.context.recordDropped('null-value');
          return;
        }
        const timestamp = record.timestamp;
        // Stream time already includes this record (the task advances it before processing).
        const closeTime = this.context.currentStreamTimeMs() - windows.graceMs;
        const size = windows.sizeMs;
        if (windows.tumbling) {
          const start = timestamp - (timestamp % size);
          this.#update(record, key, start, start + size, closeTime);
          return;
        }
        for (const start of windows.windowStartsFor(timestamp)) this.#update(record, key, start, start + size, closeTime);
      }
      #update(record: Rec, key: unknown, start: number, end: number, closeTime: number): void {
        if (end <= closeTime) {
          this.context.recordDropped('late');
          return;
        }
        const next = aggregate(key, record.value, this.#store.fetch(key, start));
        this.#store.put(key, start, next);
        const windowed: Windowed<unknown> = { key, window: { start, end } };
        this.context.forward({ key: windowed, value: next, timestamp: record.timestamp, headers: record.headers });
      }
    })();

/**
 * Session count / reduce / aggregate: merges the sessions of the key that the record bridges (within
 * the gap), forwarding a tombstone for every merged-away session and the new merged session.
 */
export const sessionWindowAggregateProcessor =
  (
    storeName: string,
    windows: SessionWindows,
    initializer: () => unknown,
    aggregator: (key: unknown, value: unknown, aggregate: unknown) => unknown,
    merger: (key: unknown, left: unknown, right: unknown) => unknown,
    skipNullValues: boolean,
  ): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      #store!: SessionStore<unknown, unknown>;
      override init(context: Ctx): void {
        super.init(context);
        this.#store = context.getStateStore(storeName);
      }
      process(record: Rec): void {
        const key = record.key;
        if (key === null || key === undefined) {
          this.context.recordDropped('null-key');
          return;
        }
        if (skipNullValues && (record.value === null || record.value === undefined)) {
          this.context.recordDropped('null-value');
          return;
        }
        const timestamp = record.timestamp;
        const closeTime = this.context.currentStreamTimeMs() - windows.graceMs;
        const overlapping = this.#store.findSessions(key, timestamp - windows.gapMs, timestamp + windows.gapMs);
        let start = timestamp;
        let end = timestamp;
        for (const session of overlapping) {
          if (session.start < start) start = session.start;
          if (session.end > end) end = session.end;
        }
        if (end < closeTime) {
          this.context.recordDropped('late');
          return;
        }
        let aggregate = initializer();
        for (const session of overlapping) {
          aggregate = merger(key, aggregate, session.value);
          this.#store.remove(key, session.start, session.end);
          this.context.forward({ key: { key, window: { start: session.start, end: session.end } }, value: null, timestamp, headers: record.headers });
        }
        aggregate = aggregator(key, record.value, aggregate);
        this.#store.put(key, start, end, aggregate);
        this.context.forward({ key: { key, window: { start, end } }, value: aggregate, timestamp, headers: record.headers });
      }
    })();

/** Stream–table join: looks the record's key up in the table's store. Table updates emit nothing. */
export const streamTableJoinProcessor =
  (storeName: string, joiner: AnyFn, left: boolean): ProcessorSupplier<unknown, unknown> =>
  () =>
    new (class extends Forwarding {
      #store!: KeyValueStore<unknown, unknown>;
      override init(context: Ctx): void {
        super.init(context);
        this.#store = context.getStateStore(storeName);
      }
      process(record: Rec): void {
        if (record.key === null || record.key === undefined) {
          this.context.recordDropped('null-key');
          return;
        }
        const tableValue = this.#store.get(record.key);
        if (tableValue === undefined && !left) return;
        this.context.forward({
          key: record.key,
          value: joiner(record.value, tableValue ?? null, record.key),
          timestamp: record.timestamp,
          headers: record.headers,
        });
      }
    })();
/* eslint-enable @typescript-eslint/no-explicit-any */
