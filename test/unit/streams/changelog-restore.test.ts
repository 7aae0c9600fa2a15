import { describe, expect, it } from 'vitest';
import {
  Serdes,
  SessionWindows,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  TopologyTestDriver,
  WindowedSerdes,
  type KeyValueStore,
  type RawTestRecord,
  type ReadOnlyKeyValueStore,
  type ReadOnlySessionStore,
  type ReadOnlyWindowStore,
  type Topology,
} from '../../../streams/index.js';

const S = Serdes.String();
const L = Serdes.Long();
const W = WindowedSerdes.timeWindowed(S);

function statefulTopology(): Topology {
  const b = new StreamsBuilder();
  const events = b.stream('events', { keySerde: S, valueSerde: S });
  const grouped = events.groupByKey();
  grouped.count({ storeName: 'totals' }).toStream().to('totals-out', { keySerde: S, valueSerde: L });
  grouped
    .windowedBy(TimeWindows.ofSizeAndGrace(1_000, 500))
    .count({ storeName: 'per-second' })
    .suppress(Suppressed.untilWindowCloses({ name: 'final-seconds' }))
    .toStream()
    .to('seconds-out', { keySerde: W, valueSerde: L });
  grouped
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(300, 1_000))
    .count({ storeName: 'sessions' })
    .toStream()
    .to('sessions-out', { keySerde: W, valueSerde: L });
  events
    .groupBy((_k, v) => v, { name: 'by-value', keySerde: S })
    .reduce((a, v) => a + v, { storeName: 'by-value-store' });
  b.table('profiles', { keySerde: S, valueSerde: S, storeName: 'profiles-store' });
  return b.build();
}

/** A deterministic pseudo-random event sequence with out-of-order and late records. */
function events(count: number, seed: number): { key: string; value: string; timestamp: number }[] {
  let state = seed;
  const next = (): number => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  const result = [];
  let time = 10_000;
  for (let i = 0; i < count; i++) {
    time += Math.floor(next() * 200);
    const jitter = next() < 0.2 ? Math.floor(next() * 2_000) : 0;
    result.push({ key: `k${Math.floor(next() * 7)}`, value: String.fromCharCode(97 + Math.floor(next() * 4)), timestamp: time - jitter });
  }
  return result;
}

function snapshot(driver: TopologyTestDriver): unknown {
  const kv = (name: string): unknown => driver.getKeyValueStore(name).all();
  const sort = <T>(items: T[]): T[] => items.map((i) => JSON.stringify(i)).sort().map((i) => JSON.parse(i) as T);
  return {
    totals: sort((driver.getKeyValueStore('totals') as ReadOnlyKeyValueStore<string, number>).all()),
    perSecond: sort((driver.getWindowStore('per-second') as ReadOnlyWindowStore<string, number>).all()),
    sessions: sort((driver.getSessionStore('sessions') as ReadOnlySessionStore<string, number>).all()),
    byValue: sort(kv('by-value-store') as unknown[]),
    profiles: sort(kv('profiles-store') as unknown[]),
    suppressBuffer: sort(kv('final-seconds-store') as unknown[]),
  };
}

function changelogs(driver: TopologyTestDriver): Record<string, RawTestRecord[]> {
  const result: Record<string, RawTestRecord[]> = {};
  for (const { topic } of driver.metadata.changelogTopics) result[topic] = [...driver.readRawRecords(topic)];
  return result;
}

/** What log compaction keeps: the last record per (partition, key), tombstones included. */
function compact(records: readonly RawTestRecord[]): RawTestRecord[] {
  const last = new Map<string, RawTestRecord>();
  for (const r of records) last.set(`${r.partition}:${r.key?.toString('hex')}`, r);
  return [...last.values()].sort((a, b) => Number(a.offset) - Number(b.offset) || a.partition - b.partition);
}

describe('changelogs and restore', () => {
  it('logs every store change to <applicationId>-<store>-changelog on the task partition', () => {
    const driver = new TopologyTestDriver(statefulTopology(), { applicationId: 'restore-app', partitions: 2 });
    expect(driver.metadata.changelogTopics.map((c) => c.topic).sort()).toEqual(
      [
        'restore-app-by-value-store-changelog',
        'restore-app-final-seconds-store-changelog',
        'restore-app-per-second-changelog',
        'restore-app-profiles-store-changelog',
        'restore-app-sessions-changelog',
        'restore-app-totals-changelog',
      ].sort(),
    );
    const input = driver.createInputTopic('events', S, S);
    input.pipeInput('k1', 'a', 1_000);
    input.pipeInput('k1', 'a', 1_100);
    const totals = driver.readRawRecords('restore-app-totals-changelog');
    expect(totals.map((r) => [r.key?.toString(), r.value?.readBigInt64BE(0), r.timestamp])).toEqual([
      ['k1', 1n, 1_000],
      ['k1', 2n, 1_100],
    ]);
    const owner = driver.tasks.find((t) => t.subtopology === 0 && t.partition === totals[0]?.partition);
    expect(owner?.getStateStore<KeyValueStore<string, number>>('totals').get('k1')).toBe(2);
  });

  it('a fresh driver restored from the changelogs has exactly the same state and produces the same outputs', () => {
    const topology = statefulTopology;
    const history = events(600, 7);
    const future = events(300, 11).map((e) => ({ ...e, timestamp: e.timestamp + 60_000 }));
    const profiles = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 7}`, value: i % 5 === 0 ? null : `profile-${i}`, timestamp: 10_000 + i }));

    const original = new TopologyTestDriver(topology(), { applicationId: 'app', partitions: 3 });
    original.createInputTopic('events', S, S).pipeRecordList(history);
    original.createInputTopic('profiles', S, S).pipeRecordList(profiles as { key: string; value: string; timestamp: number }[]);
    const logs = changelogs(original);
    expect(Object.values(logs).every((records) => records.length > 0)).toBe(true);

    for (const [, restoreFrom] of [logs, Object.fromEntries(Object.entries(logs).map(([topic, records]) => [topic, compact(records)]))].entries()) {
      const restored = new TopologyTestDriver(topology(), { applicationId: 'app', partitions: 3, restoreFrom });
      expect(snapshot(restored)).toEqual(snapshot(original));
      // Stream time comes back with the first record; the engine can also restore it from commit metadata.
      for (const task of restored.tasks) {
        const twin = original.tasks.find((t) => t.id === task.id);
        task.restoreStreamTime(twin?.streamTime ?? -1);
      }

      // Same future input → same outputs and same state as the original would produce.
      const reference = new TopologyTestDriver(topology(), { applicationId: 'app', partitions: 3 });
      reference.createInputTopic('events', S, S).pipeRecordList(history);
      reference.createInputTopic('profiles', S, S).pipeRecordList(profiles as { key: string; value: string; timestamp: number }[]);
      for (const topic of ['totals-out', 'seconds-out', 'sessions-out']) reference.createOutputTopic(topic, S, S).readRecordsToList();
      for (const driver of [reference, restored]) driver.createInputTopic('events', S, S).pipeRecordList(future);
      for (const topic of ['totals-out', 'seconds-out', 'sessions-out']) {
        const read = (d: TopologyTestDriver): unknown => d.readRawRecords(topic).slice(-d.createOutputTopic(topic, S, S).getQueueSize()).map((r) => [r.key, r.value, r.timestamp]);
        expect(read(restored)).toEqual(read(reference));
      }
      expect(snapshot(restored)).toEqual(snapshot(reference));
    }
  });
});
