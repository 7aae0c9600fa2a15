import { describe, expect, it } from 'vitest';
import { BatchingSink, type BatchWriter } from '../../../processors/analytics/batching-sink.js';
import { MicroBatcher, backoffDelay, DEFAULT_BACKOFF } from '../../../processors/analytics/micro-batcher.js';

/** An in-memory store that refuses the first `failures` writes with a transient error. */
class FlakyStore implements BatchWriter<string> {
  readonly name = 'memory';
  readonly batches: string[][] = [];
  attempts = 0;
  constructor(
    private failures: number,
    private readonly permanent = false,
  ) {}
  async write(items: readonly string[]): Promise<void> {
    this.attempts += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: this.permanent ? 'PERMANENT' : 'ECONNREFUSED' });
    }
    this.batches.push([...items]);
  }
  isRetryable(error: unknown): boolean {
    return (error as { code?: string }).code === 'ECONNREFUSED';
  }
}

function sinkWith(store: FlakyStore, limits: ConstructorParameters<typeof MicroBatcher>[0], clock = { now: 0 }) {
  const sleeps: number[] = [];
  const sink = new BatchingSink<string>({
    writer: store,
    measure: (item) => item.length,
    limits,
    now: () => clock.now,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
  });
  return { sink, sleeps, clock };
}

describe('MicroBatcher', () => {
  it('closes a batch by rows, by bytes and by age', () => {
    const byRows = new MicroBatcher<string>({ maxRows: 2, maxBytes: 1000, maxDelayMs: 1000 });
    byRows.add('a', 1, 0);
    expect(byRows.isFull()).toBe(false);
    byRows.add('b', 1, 0);
    expect(byRows.isFull()).toBe(true);

    const byBytes = new MicroBatcher<string>({ maxRows: 100, maxBytes: 10, maxDelayMs: 1000 });
    byBytes.add('x', 6, 0);
    expect(byBytes.isFull()).toBe(false);
    byBytes.add('y', 6, 0);
    expect(byBytes.isFull()).toBe(true);

    const byAge = new MicroBatcher<string>({ maxRows: 100, maxBytes: 1000, maxDelayMs: 1000 });
    expect(byAge.isDue(5000)).toBe(false);
    byAge.add('z', 1, 100);
    expect(byAge.isDue(1099)).toBe(false);
    expect(byAge.msUntilDue(600)).toBe(500);
    expect(byAge.isDue(1100)).toBe(true);
    expect(byAge.take()).toEqual({ items: ['z'], bytes: 1, openedAtMs: 100 });
    expect(byAge.rows).toBe(0);
  });

  it('refuses nonsense limits', () => {
    expect(() => new MicroBatcher({ maxRows: 0 })).toThrow(expect.objectContaining({ code: 'ANALYTICS_BATCH_LIMITS_INVALID' }));
    expect(() => new MicroBatcher({ maxBytes: 1.5 })).toThrow(expect.objectContaining({ code: 'ANALYTICS_BATCH_LIMITS_INVALID' }));
  });

  it('backs off exponentially up to the cap', () => {
    const delays = [1, 2, 3, 10, 20].map((attempt) => backoffDelay({ ...DEFAULT_BACKOFF, jitter: 0 }, attempt));
    expect(delays).toEqual([100, 200, 400, 10_000, 10_000]);
    expect(backoffDelay(DEFAULT_BACKOFF, 1, () => 1)).toBe(80);
  });
});

describe('BatchingSink', () => {
  it('writes full batches as they fill and the rest on flush, in order', async () => {
    const store = new FlakyStore(0);
    const { sink } = sinkWith(store, { maxRows: 3, maxBytes: 1_000_000, maxDelayMs: 1000 });
    for (const item of ['a', 'b', 'c', 'd', 'e']) await sink.add(item);
    expect(store.batches).toEqual([['a', 'b', 'c']]);
    expect(sink.pendingRows).toBe(2);
    await sink.flush();
    expect(store.batches).toEqual([['a', 'b', 'c'], ['d', 'e']]);
    expect(sink.pendingRows).toBe(0);
  });

  it('flushes a batch only once it is due', async () => {
    const store = new FlakyStore(0);
    const { sink, clock } = sinkWith(store, { maxRows: 100, maxBytes: 1_000_000, maxDelayMs: 1000 });
    await sink.add('a');
    clock.now = 999;
    await sink.flushIfDue();
    expect(store.batches).toEqual([]);
    clock.now = 1000;
    await sink.flushIfDue();
    expect(store.batches).toEqual([['a']]);
  });

  it('retries a transient failure with backoff and loses nothing', async () => {
    const store = new FlakyStore(4);
    const { sink, sleeps } = sinkWith(store, { maxRows: 2, maxBytes: 1_000_000, maxDelayMs: 1000 });
    await sink.add('a');
    await sink.add('b');
    await sink.add('c');
    await sink.flush();
    expect(store.batches).toEqual([['a', 'b'], ['c']]);
    expect(store.attempts).toBe(6);
    expect(sleeps).toEqual([90, 180, 360, 720]);
    expect(sink.backingOff).toBe(false);
  });

  it('holds new input while a batch is being retried (bounded memory: one open batch, one in flight)', async () => {
    const store = new FlakyStore(3);
    let releaseSleep: () => void = () => undefined;
    const sink = new BatchingSink<string>({
      writer: store,
      measure: (item) => item.length,
      limits: { maxRows: 1, maxBytes: 1_000_000, maxDelayMs: 1000 },
      sleep: () =>
        new Promise<void>((resolve) => {
          releaseSleep = resolve;
        }),
    });
    // The first full batch goes in flight without blocking the caller.
    expect(sink.add('a')).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.backingOff).toBe(true);
    let secondDone = false;
    const second = Promise.resolve(sink.add('b')).then(() => {
      secondDone = true;
    });
    for (let i = 0; i < 3; i += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(secondDone).toBe(false);
      expect(sink.pendingRows).toBe(2);
      releaseSleep();
    }
    await second;
    await sink.flush();
    expect(store.batches).toEqual([['a'], ['b']]);
  });

  it('adds synchronously and writes a full batch while the next one fills', async () => {
    let release: () => void = () => undefined;
    const written: string[][] = [];
    const slow: BatchWriter<string> = {
      name: 'slow',
      write: (items) =>
        new Promise<void>((resolve) => {
          release = () => {
            written.push([...items]);
            resolve();
          };
        }),
      isRetryable: () => false,
    };
    const sink = new BatchingSink<string>({ writer: slow, measure: (item) => item.length, limits: { maxRows: 2, maxBytes: 1_000_000, maxDelayMs: 1000 } });
    expect(sink.add('a')).toBeUndefined();
    expect(sink.add('b')).toBeUndefined(); // full: written in the background
    expect(sink.add('c')).toBeUndefined(); // fills the next batch meanwhile
    expect(sink.pendingRows).toBe(3);
    const blocked = sink.add('d'); // the second full batch waits for the first
    expect(blocked).toBeInstanceOf(Promise);
    release();
    await blocked;
    expect(written).toEqual([['a', 'b']]);
    const flushing = sink.flush();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await flushing;
    expect(written).toEqual([['a', 'b'], ['c', 'd']]);
    expect(sink.pendingRows).toBe(0);
  });

  it('starts a due batch in the background (punctuator) and leaves the wait to flush', async () => {
    const store = new FlakyStore(0);
    const { sink, clock } = sinkWith(store, { maxRows: 100, maxBytes: 1_000_000, maxDelayMs: 1000 });
    sink.add('a');
    clock.now = 999;
    sink.startIfDue();
    expect(sink.pendingRows).toBe(1);
    expect(store.attempts).toBe(0);
    clock.now = 1000;
    sink.startIfDue();
    expect(store.attempts).toBe(1);
    await sink.flush();
    expect(store.batches).toEqual([['a']]);
  });

  it('fails every later call once a background write was refused for good', async () => {
    const store = new FlakyStore(1, true);
    const { sink } = sinkWith(store, { maxRows: 1, maxBytes: 1_000_000, maxDelayMs: 1000 });
    sink.add('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(() => sink.add('b')).toThrow(expect.objectContaining({ code: 'ANALYTICS_SINK_REJECTED' }));
    await expect(sink.flush()).rejects.toMatchObject({ code: 'ANALYTICS_SINK_REJECTED' });
    expect(sink.pendingRows).toBe(1);
  });

  it('throws a coded error when the store refuses a batch for good', async () => {
    const store = new FlakyStore(1, true);
    const { sink } = sinkWith(store, { maxRows: 10, maxBytes: 1_000_000, maxDelayMs: 1000 });
    await sink.add('a');
    await expect(sink.flush()).rejects.toMatchObject({ code: 'ANALYTICS_SINK_REJECTED' });
  });

  it('stops retrying when closed and keeps the rows unacknowledged', async () => {
    const store = new FlakyStore(1_000);
    const sink = new BatchingSink<string>({
      writer: store,
      measure: (item) => item.length,
      limits: { maxRows: 10, maxBytes: 1_000_000, maxDelayMs: 1000 },
      backoff: { initialMs: 5, maxMs: 5, multiplier: 1, jitter: 0 },
    });
    await sink.add('a');
    const flushing = sink.flush();
    await new Promise((resolve) => setTimeout(resolve, 20));
    sink.close();
    await expect(flushing).rejects.toMatchObject({ code: 'ANALYTICS_SINK_CLOSED' });
    expect(store.batches).toEqual([]);
    expect(() => sink.add('b')).toThrow(expect.objectContaining({ code: 'ANALYTICS_SINK_CLOSED' }));
  });
});

/** A store whose writes stay open until the test acknowledges or refuses them. */
class GatedStore implements BatchWriter<string> {
  readonly name = 'gated';
  readonly open: { items: string[]; acknowledge: () => void; refuse: (error: Error) => void }[] = [];
  readonly acknowledged: string[][] = [];
  write(items: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = {
        items: [...items],
        acknowledge: () => {
          this.acknowledged.push(entry.items);
          resolve();
        },
        refuse: reject,
      };
      this.open.push(entry);
    });
  }
  isRetryable(): boolean {
    return false;
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchingSink with maxInFlight', () => {
  const limits = { maxRows: 2, maxBytes: 1000, maxDelayMs: 1000 };

  it('writes up to maxInFlight batches at once, then makes add() wait; acknowledgements may come in any order', async () => {
    const store = new GatedStore();
    const sink = new BatchingSink<string>({ writer: store, measure: () => 1, limits, maxInFlight: 2 });
    for (const item of ['a', 'b', 'c', 'd']) expect(sink.add(item)).toBeUndefined();
    expect(store.open.map((write) => write.items)).toEqual([['a', 'b'], ['c', 'd']]);
    sink.add('e');
    const waiting = sink.add('f');
    expect(waiting).toBeInstanceOf(Promise);
    let added = false;
    void (waiting as Promise<void>).then(() => (added = true));
    await tick();
    expect(added).toBe(false);
    expect(sink.pendingRows).toBe(6);
    store.open[1]?.acknowledge(); // the second batch first
    await tick();
    expect(added).toBe(true);
    expect(store.open.map((write) => write.items)).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f']]);
    let flushed = false;
    const flushing = sink.flush().then(() => (flushed = true));
    store.open[2]?.acknowledge();
    await tick();
    expect(flushed).toBe(false); // ['a', 'b'] is still in flight
    store.open[0]?.acknowledge();
    await flushing;
    expect(store.acknowledged).toEqual([['c', 'd'], ['e', 'f'], ['a', 'b']]);
    expect(sink.pendingRows).toBe(0);
  });

  it('flush() after a refused batch fails even when another batch was acknowledged, and so does every later call', async () => {
    const store = new GatedStore();
    const sink = new BatchingSink<string>({ writer: store, measure: () => 1, limits, maxInFlight: 2 });
    for (const item of ['a', 'b', 'c', 'd']) sink.add(item);
    store.open[0]?.refuse(new Error('table is missing'));
    store.open[1]?.acknowledge();
    await expect(sink.flush()).rejects.toMatchObject({ code: 'ANALYTICS_SINK_REJECTED' });
    expect(() => sink.add('e')).toThrow(expect.objectContaining({ code: 'ANALYTICS_SINK_REJECTED' }));
  });

  it('with the default of one, the second full batch waits for the first', async () => {
    const store = new GatedStore();
    const sink = new BatchingSink<string>({ writer: store, measure: () => 1, limits });
    sink.add('a');
    sink.add('b');
    sink.add('c');
    expect(sink.add('d')).toBeInstanceOf(Promise);
    await tick();
    expect(store.open).toHaveLength(1);
  });

  it('refuses a maxInFlight that is not a positive integer', () => {
    for (const maxInFlight of [0, -1, 1.5]) {
      expect(() => new BatchingSink<string>({ writer: new GatedStore(), measure: () => 1, maxInFlight })).toThrow(expect.objectContaining({ code: 'ANALYTICS_BATCH_LIMITS_INVALID' }));
    }
  });
});

describe('BatchingSink.acknowledged(): the commit that does not stop the task', () => {
  const limits = { maxRows: 2, maxBytes: 1000, maxDelayMs: 1000 };
  const settled = (promise: Promise<void>): { done: boolean } => {
    const state = { done: false };
    void promise.then(() => (state.done = true));
    return state;
  };

  it('is undefined when every row is acknowledged already', async () => {
    const store = new GatedStore();
    const sink = new BatchingSink<string>({ writer: store, measure: () => 1, limits });
    expect(sink.acknowledged()).toBeUndefined();
    sink.add('a');
    sink.add('b');
    store.open[0]?.acknowledge();
    await tick();
    expect(sink.acknowledged()).toBeUndefined();
  });

  it('starts the open batch and waits for the rows added before it, not for those added after', async () => {
    const store = new GatedStore();
    const sink = new BatchingSink<string>({ writer: store, measure: () => 1, limits, maxInFlight: 2 });
    for (const item of ['a', 'b', 'c']) sink.add(item); // [a, b] in flight, [c] open
    const acknowledged = settled(sink.acknowledged() as Promise<void>);
    expect(store.open.map((write) => write.items)).toEqual([['a', 'b'], ['c']]);
    // The caller goes on adding: [d, e] waits for a free slot, then starts.
    sink.add('d');
    const waiting = sink.add('e');
    expect(waiting).toBeInstanceOf(Promise);
    store.open[1]?.acknowledge();
    await waiting;
    expect(store.open.map((write) => write.items)).toEqual([['a', 'b'], ['c'], ['d', 'e']]);
    expect(acknowledged.done).toBe(false); // [a, b] still in flight
    store.open[0]?.acknowledge();
    await tick();
    expect(acknowledged.done).toBe(true); // [d, e] is still in flight: added after the call
    expect(sink.pendingRows).toBe(2);
  });

  it('starts the open batch as soon as a write slot frees, with the rows added meanwhile', async () => {
    const store = new GatedStore();
    const sink = new BatchingSink<string>({ writer: store, measure: () => 1, limits: { ...limits, maxRows: 3 } });
    for (const item of ['a', 'b', 'c', 'd']) sink.add(item); // [a, b, c] in flight, [d] open
    const acknowledged = settled(sink.acknowledged() as Promise<void>);
    sink.add('e');
    expect(store.open).toHaveLength(1);
    store.open[0]?.acknowledge();
    await tick();
    expect(store.open.map((write) => write.items)).toEqual([['a', 'b', 'c'], ['d', 'e']]);
    expect(acknowledged.done).toBe(false);
    store.open[1]?.acknowledge();
    await tick();
    expect(acknowledged.done).toBe(true);
  });

  it('rejects when the store refuses a batch for good', async () => {
    const store = new GatedStore();
    const sink = new BatchingSink<string>({ writer: store, measure: () => 1, limits });
    sink.add('a');
    const acknowledged = sink.acknowledged() as Promise<void>;
    store.open[0]?.refuse(new Error('table is missing'));
    await expect(acknowledged).rejects.toMatchObject({ code: 'ANALYTICS_SINK_REJECTED' });
  });
});
