import { describe, expect, it } from 'vitest';
import {
  Serdes,
  SessionWindows,
  StreamsBuilder,
  STREAMS_METRICS,
  Suppressed,
  TimeWindows,
  TopologyTestDriver,
  WindowedSerdes,
  type Windowed,
} from '../../../streams/index.js';

const S = Serdes.String();
const L = Serdes.Long();
const W = WindowedSerdes.timeWindowed(S);
const label = (w: Windowed<string>): string => `${w.key}@${w.window.start}-${w.window.end}`;

function windowedCount(windows: TimeWindows, suppress = false): TopologyTestDriver {
  const b = new StreamsBuilder();
  let table = b.stream('events', { keySerde: S, valueSerde: S }).groupByKey().windowedBy(windows).count({ storeName: 'counts' });
  if (suppress) table = table.suppress(Suppressed.untilWindowCloses());
  table.toStream().to('out', { keySerde: W, valueSerde: L });
  return new TopologyTestDriver(b.build());
}

describe('tumbling windows with grace', () => {
  it('counts per window; a record exactly at the window end opens the next window', () => {
    const driver = windowedCount(TimeWindows.ofSizeAndGrace(10_000, 5_000));
    const input = driver.createInputTopic('events', S, S);
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 9_999);
    input.pipeInput('a', 'x', 10_000);
    input.pipeInput('b', 'x', 10_001);
    const out = driver.createOutputTopic('out', W, L).readRecordsToList();
    expect(out.map((r) => [label(r.key), r.value])).toEqual([
      ['a@0-10000', 1],
      ['a@0-10000', 2],
      ['a@10000-20000', 1],
      ['b@10000-20000', 1],
    ]);
    const store = driver.getWindowStore<string, number>('counts');
    expect(store.fetch('a', 0)).toBe(2);
    expect(store.fetch('a', 10_000)).toBe(1);
    expect(store.fetchRange('a', 0, 20_000)).toEqual([
      { windowStart: 0, value: 2 },
      { windowStart: 10_000, value: 1 },
    ]);
  });

  it('accepts out-of-order records until stream time reaches window end + grace, then drops and counts them', () => {
    const driver = windowedCount(TimeWindows.ofSizeAndGrace(10_000, 5_000));
    const input = driver.createInputTopic('events', S, S);
    const out = driver.createOutputTopic('out', W, L);
    input.pipeInput('a', 'x', 1_000);
    input.pipeInput('b', 'x', 14_999); // stream time 14 999: window [0,10000) closes at 15 000
    input.pipeInput('a', 'x', 2_000); // still in grace
    expect(out.readRecordsToList().map((r) => [label(r.key), r.value])).toEqual([
      ['a@0-10000', 1],
      ['b@10000-20000', 1],
      ['a@0-10000', 2],
    ]);
    input.pipeInput('b', 'x', 15_000); // stream time reaches 15 000 = end + grace
    input.pipeInput('a', 'x', 9_999); // late: dropped
    expect(out.readRecordsToList().map((r) => [label(r.key), r.value])).toEqual([['b@10000-20000', 2]]);
    expect(driver.getWindowStore<string, number>('counts').fetch('a', 0)).toBe(2);
    expect(driver.metrics.get(STREAMS_METRICS.dropped, { reason: 'late' })).toBe(1);
  });

  it('without grace a window closes as soon as stream time reaches its end', () => {
    const driver = windowedCount(TimeWindows.ofSizeWithNoGrace(1_000));
    const input = driver.createInputTopic('events', S, S);
    input.pipeInput('a', 'x', 500);
    input.pipeInput('a', 'x', 1_000);
    input.pipeInput('a', 'x', 999); // window [0,1000) closed at stream time 1000
    expect(driver.createOutputTopic('out', W, L).readRecordsToList().map((r) => [label(r.key), r.value])).toEqual([
      ['a@0-1000', 1],
      ['a@1000-2000', 1],
    ]);
    expect(driver.metrics.get(STREAMS_METRICS.dropped, { reason: 'late' })).toBe(1);
  });
});

describe('hopping windows', () => {
  it('adds each record to every window containing it', () => {
    const driver = windowedCount(TimeWindows.ofSizeAndGrace(10_000, 0).advanceBy(5_000));
    const input = driver.createInputTopic('events', S, S);
    input.pipeInput('a', 'x', 7_000); // windows [0,10000) and [5000,15000)
    input.pipeInput('a', 'x', 12_000); // windows [5000,15000) and [10000,20000)
    expect(driver.createOutputTopic('out', W, L).readRecordsToList().map((r) => [label(r.key), r.value])).toEqual([
      ['a@0-10000', 1],
      ['a@5000-15000', 1],
      ['a@5000-15000', 2],
      ['a@10000-20000', 1],
    ]);
  });

  it('drops a record only for the windows of it that are closed', () => {
    const driver = windowedCount(TimeWindows.ofSizeAndGrace(10_000, 0).advanceBy(5_000));
    const input = driver.createInputTopic('events', S, S);
    input.pipeInput('a', 'x', 12_000);
    input.pipeInput('a', 'x', 8_000); // [0,10000) closed (10000 <= 12000), [5000,15000) open
    const out = driver.createOutputTopic('out', W, L).readRecordsToList().map((r) => [label(r.key), r.value]);
    expect(out.slice(2)).toEqual([['a@5000-15000', 2]]);
    expect(driver.metrics.get(STREAMS_METRICS.dropped, { reason: 'late' })).toBe(1);
  });
});

describe('suppress(untilWindowCloses)', () => {
  it('emits each window once, with its final count, when stream time passes end + grace', () => {
    const driver = windowedCount(TimeWindows.ofSizeAndGrace(10_000, 5_000), true);
    const input = driver.createInputTopic('events', S, S);
    const out = driver.createOutputTopic('out', W, L);
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 5_000);
    input.pipeInput('b', 'x', 12_000);
    input.pipeInput('a', 'x', 9_999);
    input.pipeInput('b', 'x', 14_999);
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('b', 'x', 15_000);
    expect(out.readRecordsToList().map((r) => [label(r.key), r.value, r.timestamp])).toEqual([['a@0-10000', 3, 9_999]]);
    input.pipeInput('a', 'x', 3_000); // late: does not change or re-emit the final result
    input.pipeInput('c', 'x', 25_000);
    expect(out.readRecordsToList().map((r) => [label(r.key), r.value])).toEqual([['b@10000-20000', 3]]);
  });
});

describe('session windows', () => {
  function sessions(gap: number, grace: number, suppress = false): TopologyTestDriver {
    const b = new StreamsBuilder();
    let table = b.stream('events', { keySerde: S, valueSerde: S }).groupByKey().windowedBy(SessionWindows.ofInactivityGapAndGrace(gap, grace)).count({ storeName: 'sessions' });
    if (suppress) table = table.suppress(Suppressed.untilWindowCloses());
    table.toStream().to('out', { keySerde: W, valueSerde: L });
    return new TopologyTestDriver(b.build());
  }

  it('merges sessions a record bridges, with tombstones for the merged-away sessions', () => {
    const driver = sessions(5_000, 60_000);
    const input = driver.createInputTopic('events', S, S);
    const out = driver.createOutputTopic('out', W, L);
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 3_000);
    input.pipeInput('a', 'x', 10_000);
    input.pipeInput('a', 'x', 20_000);
    expect(out.readRecordsToList().map((r) => [label(r.key), r.value])).toEqual([
      ['a@0-0', 1],
      ['a@0-0', null],
      ['a@0-3000', 2],
      ['a@10000-10000', 1],
      ['a@20000-20000', 1],
    ]);
    input.pipeInput('a', 'x', 7_000); // within the gap of [0,3000] and of [10000,10000]
    expect(out.readRecordsToList().map((r) => [label(r.key), r.value])).toEqual([
      ['a@0-3000', null],
      ['a@10000-10000', null],
      ['a@0-10000', 4],
    ]);
    const store = driver.getSessionStore<string, number>('sessions');
    expect(store.fetch('a')).toEqual([
      { start: 0, end: 10_000, value: 4 },
      { start: 20_000, end: 20_000, value: 1 },
    ]);
  });

  it('drops a record whose session ended before stream time minus grace', () => {
    const driver = sessions(1_000, 2_000);
    const input = driver.createInputTopic('events', S, S);
    input.pipeInput('a', 'x', 10_000);
    input.pipeInput('a', 'x', 8_000); // 8000 >= 10000 - 2000: accepted
    input.pipeInput('a', 'x', 7_999); // merges into [8000,..]? no: gap 1000 → bridges to 8000, end 8000 ≥ 8000: accepted
    input.pipeInput('b', 'x', 5_000); // end 5000 < 8000: late
    expect(driver.metrics.get(STREAMS_METRICS.dropped, { reason: 'late' })).toBe(1);
    expect(driver.getSessionStore<string, number>('sessions').fetch('a')).toEqual([
      { start: 7_999, end: 8_000, value: 2 },
      { start: 10_000, end: 10_000, value: 1 },
    ]);
  });

  it('with suppression emits a session once, after end + gap + grace', () => {
    const driver = sessions(1_000, 500, true);
    const input = driver.createInputTopic('events', S, S);
    const out = driver.createOutputTopic('out', W, L);
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 800);
    input.pipeInput('b', 'x', 2_300); // 800 + 1000 + 500 = 2300: not yet past
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('b', 'x', 2_301);
    expect(out.readRecordsToList().map((r) => [label(r.key), r.value])).toEqual([['a@0-800', 2]]);
  });

  it('reduce and aggregate merge session values', () => {
    const b = new StreamsBuilder();
    const grouped = b.stream('events', { keySerde: S, valueSerde: S }).groupByKey();
    const windows = SessionWindows.ofInactivityGapAndGrace(1_000, 10_000);
    grouped
      .windowedBy(windows)
      .reduce((a, v) => `${a}+${v}`, { storeName: 'reduced' })
      .toStream()
      .to('reduced', { keySerde: W, valueSerde: S });
    grouped
      .windowedBy(windows)
      .aggregate(
        () => [] as string[],
        (_k, v, agg) => [...agg, v],
        (_k, left, right) => [...left, ...right],
        { storeName: 'aggregated' },
      )
      .toStream()
      .to('aggregated', { keySerde: W, valueSerde: Serdes.Json<string[]>() });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic('events', S, S);
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'z', 1_800);
    input.pipeInput('a', 'y', 900);
    expect(driver.getSessionStore<string, string>('reduced').fetch('a')).toEqual([{ start: 0, end: 1_800, value: 'x+z+y' }]);
    expect(driver.getSessionStore<string, string[]>('aggregated').fetch('a')).toEqual([{ start: 0, end: 1_800, value: ['x', 'z', 'y'] }]);
  });
});

describe('windowed reduce and aggregate', () => {
  it('reduce and aggregate per time window', () => {
    const b = new StreamsBuilder();
    const windowed = b.stream('events', { keySerde: S, valueSerde: Serdes.Long() }).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(100));
    windowed.reduce((a, v) => Math.max(a, v), { storeName: 'max' });
    windowed.aggregate(
      () => ({ sum: 0, n: 0 }),
      (_k, v, agg) => ({ sum: agg.sum + v, n: agg.n + 1 }),
      { storeName: 'avg', retentionMs: 10_000 },
    );
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic('events', S, Serdes.Long());
    input.pipeInput('a', 3, 10);
    input.pipeInput('a', 7, 20);
    input.pipeInput('a', 5, 99);
    expect(driver.getWindowStore<string, number>('max').fetch('a', 0)).toBe(7);
    input.pipeInput('a', 1, 100);
    expect(driver.getWindowStore<string, number>('max').fetch('a', 100)).toBe(1);
    // Default retention is size + grace: window 0 is gone; 'avg' keeps 10 s.
    expect(driver.getWindowStore<string, number>('max').fetch('a', 0)).toBeUndefined();
    expect(driver.getWindowStore<string, { sum: number; n: number }>('avg').fetch('a', 0)).toEqual({ sum: 15, n: 3 });
  });

  it('window stores expire windows older than size + grace behind the newest window', () => {
    const driver = windowedCount(TimeWindows.ofSizeAndGrace(1_000, 1_000));
    const input = driver.createInputTopic('events', S, S);
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 1_500);
    expect(driver.getWindowStore<string, number>('counts').fetch('a', 0)).toBe(1);
    input.pipeInput('a', 'x', 2_000); // newest start 2000: window 0 is 2000 behind = retention
    expect(driver.getWindowStore<string, number>('counts').fetch('a', 0)).toBeUndefined();
    expect(driver.getWindowStore<string, number>('counts').all().map((w) => w.windowStart)).toEqual([1_000, 2_000]);
  });
});
