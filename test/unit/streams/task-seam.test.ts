import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  InMemoryStreamsMetrics,
  Serdes,
  StreamsBuilder,
  StreamTask,
  STREAMS_METRICS,
  TimeWindows,
  Topology,
  TopologyTestDriver,
  type ConsumedRecord,
  type ProducedRecord,
  type ProducedRecordKind,
} from '../../../streams/index.js';

const S = Serdes.String();

function record(topic: string, offset: number, key: string, value: string, timestamp: number): ConsumedRecord {
  return { topic, partition: 2, offset: String(offset), key: Buffer.from(key), value: Buffer.from(value), timestamp, headers: {} };
}

describe('StreamTask, the engine seam', () => {
  function countingTask(): { task: StreamTask; sent: [ProducedRecordKind, ProducedRecord][] } {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: S }).groupByKey().count({ storeName: 'counts' }).toStream().to('out', { keySerde: S, valueSerde: Serdes.Long() });
    const sent: [ProducedRecordKind, ProducedRecord][] = [];
    const task = new StreamTask(b.build(), { applicationId: 'seam', subtopology: 0, partition: 2, collector: { send: (r, kind) => sent.push([kind, r]) } });
    return { task, sent };
  }

  it('processes synchronously (no Promise), sends sink and changelog records, and reports the offsets to commit', () => {
    const { task, sent } = countingTask();
    expect(task.id).toBe('0_2');
    expect(task.inputTopics).toEqual(['in']);
    expect(task.changelogTopicOf('counts')).toBe('seam-counts-changelog');
    expect(task.initialize()).toBeUndefined();
    expect(task.process([record('in', 41, 'a', 'x', 1_000), record('in', 42, 'a', 'y', 900)])).toBeUndefined();
    expect(sent.map(([kind, r]) => [kind, r.topic, r.partition, r.key?.toString()])).toEqual([
      ['changelog', 'seam-counts-changelog', 2, 'a'],
      ['sink', 'out', undefined, 'a'],
      ['changelog', 'seam-counts-changelog', 2, 'a'],
      ['sink', 'out', undefined, 'a'],
    ]);
    expect(sent[3]?.[1].timestamp).toBe(900);
    expect(task.committableOffsets()).toEqual([{ topic: 'in', partition: 2, offset: '43' }]);
    expect(task.streamTime).toBe(1_000);
  });

  it("waits for processors' writes outside Kafka in flush(), and hands them over in flushDeferred()", async () => {
    let release: () => void = () => undefined;
    const order: string[] = [];
    const topology = new Topology().addSource('in', 'in', { keySerde: S, valueSerde: S }).addProcessor(
      'writer',
      () => ({
        process: () => undefined,
        beforeCommit: () => void order.push('beforeCommit'),
        writesAcknowledged: () => {
          order.push('writesAcknowledged');
          return new Promise<void>((resolve) => {
            release = resolve;
          });
        },
      }),
      'in',
    );
    const task = new StreamTask(topology, { applicationId: 'seam', subtopology: 0, partition: 2, collector: { send: () => undefined } });
    task.initialize();
    let flushed = false;
    const flushing = Promise.resolve(task.flush()).then(() => (flushed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['beforeCommit', 'writesAcknowledged']);
    expect(flushed).toBe(false);
    release();
    await flushing;
    const deferred = await task.flushDeferred();
    expect(order).toEqual(['beforeCommit', 'writesAcknowledged', 'beforeCommit', 'writesAcknowledged']);
    expect(deferred.acknowledged).toBeInstanceOf(Promise);
    release();
    await deferred.acknowledged;
  });

  it('restores a store from changelog records before processing', () => {
    const first = countingTask();
    first.task.initialize();
    first.task.process([record('in', 0, 'a', 'x', 1), record('in', 1, 'a', 'x', 2), record('in', 2, 'b', 'x', 3)]);
    const changelog = first.sent.filter(([kind]) => kind === 'changelog').map(([, r]) => ({ key: r.key, value: r.value }));
    const second = countingTask();
    second.task.restoreStore('counts', changelog);
    second.task.initialize();
    second.task.process([record('in', 3, 'a', 'x', 4)]);
    const [, out] = second.sent.filter(([kind]) => kind === 'sink')[0] ?? [];
    expect(out?.value?.readBigInt64BE(0)).toBe(3n);
  });

  it('refuses records of a topic it does not own and calls made in the wrong state', () => {
    const { task } = countingTask();
    expect(() => task.process([])).toThrow(expect.objectContaining({ code: 'STREAMS_TASK_STATE' }));
    task.initialize();
    expect(() => task.process([record('other', 0, 'a', 'x', 1)])).toThrow(expect.objectContaining({ code: 'STREAMS_UNKNOWN_TOPIC' }));
    expect(() => task.process([record('in', 1, 'a', 'x', 1)])).toThrow(expect.objectContaining({ code: 'STREAMS_TASK_STATE' }));
    expect(task.close()).toBeUndefined();
  });

  it('reports processed records to the metrics sink once per batch', () => {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: S }).to('out', { keySerde: S, valueSerde: S });
    const metrics = new InMemoryStreamsMetrics();
    const task = new StreamTask(b.build(), { applicationId: 'm', subtopology: 0, partition: 2, collector: { send: () => undefined }, metrics });
    task.initialize();
    task.process([record('in', 0, 'a', 'x', 1), record('in', 1, 'a', 'x', 2)]);
    expect(metrics.get(STREAMS_METRICS.processed, { task: '0_2' })).toBe(2);
  });
});

describe('windowed count matches a reference model', () => {
  it('for any out-of-order sequence: per-window counts and late drops', () => {
    const size = 100;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 150 }),
        fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), timestamp: fc.integer({ min: 0, max: 2_000 }) }), { maxLength: 60 }),
        (grace, events) => {
          const b = new StreamsBuilder();
          b.stream('in', { keySerde: S, valueSerde: S })
            .groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(size, grace))
            .count({ storeName: 'w', retentionMs: 1_000_000 });
          const driver = new TopologyTestDriver(b.build());
          const input = driver.createInputTopic('in', S, S);
          const expected = new Map<string, number>();
          let late = 0;
          let streamTime = -1;
          for (const e of events) {
            input.pipeInput(e.key, 'x', e.timestamp);
            streamTime = Math.max(streamTime, e.timestamp);
            const start = e.timestamp - (e.timestamp % size);
            if (start + size <= streamTime - grace) late++;
            else expected.set(`${e.key}@${start}`, (expected.get(`${e.key}@${start}`) ?? 0) + 1);
          }
          const actual = new Map(driver.getWindowStore<string, number>('w').all().map((w) => [`${w.key}@${w.windowStart}`, w.value]));
          expect(actual).toEqual(expected);
          expect(driver.metrics.get(STREAMS_METRICS.dropped, { reason: 'late' })).toBe(late);
        },
      ),
      { numRuns: 150 },
    );
  });
});
